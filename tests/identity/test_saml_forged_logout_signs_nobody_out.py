"""The attack these tests refuse (each failed before its fix):

Allauth's SAML single-logout endpoint answers a GET with an unsigned
``LogoutRequest`` that anyone can forge (python3-saml checks a signature only when
``wantMessagesSigned`` is set, and the configuration does not set it). A link or an <img> on any
page signs the visitor out of the whole site (logout CSRF), for every organisation's members,
since the SLS URL of any live SAML configuration works for any signed-in visitor."""

from __future__ import annotations

import base64
import uuid
import zlib

import pytest

from mentorship.identity.models import SingleSignOn
from tests.conftest import Tenant
from tests.identity.sso_support import IDP_ENTITY_ID, SITE, claim, saml_sso

pytestmark = pytest.mark.usefixtures("sso_insecure")


@pytest.fixture
def sso(alpha: Tenant) -> SingleSignOn:
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        return saml_sso(alpha.organization)


def _forged_logout_request(provider_id: str, name_id: str) -> str:
    xml = (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" '
        f'Destination="{SITE}/accounts/saml/{provider_id}/sls/">'
        f"<saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>"
        f"<saml:NameID>{name_id}</saml:NameID>"
        "</samlp:LogoutRequest>"
    )
    deflated = zlib.compress(xml.encode())[2:-4]
    return base64.b64encode(deflated).decode()


def test_a_forged_unsigned_logout_request_does_not_sign_anyone_out(
    alpha: Tenant, beta: Tenant, sso: SingleSignOn, client_for
) -> None:
    victim = client_for(beta.hr)  # not even a member of alpha
    victim.defaults["HTTP_HOST"] = "testserver"
    victim.raise_request_exception = False
    assert victim.get("/o/beta/").status_code == 200
    victim.get(
        f"/accounts/saml/{sso.provider_id}/sls/",
        {"SAMLRequest": _forged_logout_request(sso.provider_id, "whoever")},
    )
    assert victim.get("/o/beta/").status_code == 200, "a forged GET signed the visitor out"
