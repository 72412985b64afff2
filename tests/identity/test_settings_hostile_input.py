"""The attack these tests refuse (each failed before its fix):

Settings → Single sign-on with hostile input.

- An issuer URL that ``urlsplit`` cannot parse (``http://[::1``) is a 500: ``_check_url`` lets
  its ``ValueError`` out.
- Pasted metadata is not held to the columns' lengths: an entity ID or single sign-on URL of
  more than 500 characters is saved as is (the typed fields have ``max_length=500``, the
  metadata path has no limit). On PostgreSQL that is a ``DataError`` (500); on SQLite a value
  longer than its column is stored."""

from __future__ import annotations

import pytest

from mentorship.identity import saml_metadata
from mentorship.identity.models import SingleSignOn
from tests.conftest import Tenant
from tests.identity.settings_support import idp_metadata, reauthenticated, sp_key_pair_once

PAGE = "/o/alpha/settings/sso/"


@pytest.fixture
def hr(alpha: Tenant, client_for, settings, monkeypatch):
    settings.SSO_ALLOW_INSECURE = True
    monkeypatch.setattr(saml_metadata, "sp_key_pair", lambda **kw: sp_key_pair_once())
    client = reauthenticated(client_for(alpha.hr))
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("issuer", ["http://[::1", "https://[bad/", "https://a]b.example"])
def test_an_unparsable_issuer_is_explained_not_a_500(hr, issuer: str) -> None:
    response = hr.post(
        PAGE, {"form": "oidc", "issuer": issuer, "client_id": "c", "client_secret": "s"}
    )
    assert response.status_code == 200, response.status_code


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param(
            idp_metadata(entity_id="https://idp.example.com/" + "e" * 600), id="entity-id"
        ),
        pytest.param(idp_metadata(sso_url="https://idp.example.com/" + "s" * 600), id="sso-url"),
    ],
)
def test_metadata_values_longer_than_their_columns_are_refused(
    alpha: Tenant, hr, metadata: str
) -> None:
    response = hr.post(PAGE, {"form": "saml", "metadata": metadata})
    with alpha.scope():
        saved = SingleSignOn.objects.filter(organization=alpha.organization).first()
    assert saved is None, (
        f"saved a {len(saved.idp_entity_id)}-character entity ID / "
        f"{len(saved.idp_sso_url)}-character URL into 500-character columns"
    )
    assert response.status_code == 200
