"""The provider's admin imports our SAML metadata before the configuration can be tested: it is
served in every state, while signing in stays closed until the configuration is live."""

from __future__ import annotations

from django.test import Client

from mentorship.identity.models import SingleSignOn
from tests.identity.sso_support import saml_sso


def test_metadata_is_served_for_a_draft_but_sign_in_is_not(alpha, settings) -> None:
    settings.SSO_ALLOW_INSECURE = True
    with alpha.scope():
        sso = saml_sso(alpha.organization, status=SingleSignOn.Status.DRAFT)
    client = Client(HTTP_HOST="testserver")
    metadata = client.get(f"/accounts/saml/{sso.provider_id}/metadata/")
    assert metadata.status_code == 200
    body = metadata.content.decode()
    assert f"/accounts/saml/{sso.provider_id}/acs/" in body
    assert "PRIVATE KEY" not in body
    assert client.post(f"/accounts/saml/{sso.provider_id}/login/").status_code == 404
