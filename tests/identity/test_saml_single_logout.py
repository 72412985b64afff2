"""There is no SAML single logout: allauth's would act on a forged, unsigned ``LogoutRequest``
(test_saml_forged_logout_signs_nobody_out.py), so its endpoint is a 404 and our metadata does
not advertise it (an IdP would send its logouts there)."""

from __future__ import annotations

from django.test import Client

from tests.identity.sso_support import saml_sso


def test_our_metadata_advertises_no_single_logout(alpha, settings) -> None:
    settings.SSO_ALLOW_INSECURE = True
    with alpha.scope():
        sso = saml_sso(alpha.organization)
    client = Client(HTTP_HOST="testserver")
    body = client.get(f"/accounts/saml/{sso.provider_id}/metadata/").content.decode()
    assert "AssertionConsumerService" in body
    assert "SingleLogoutService" not in body
    assert client.get(f"/accounts/saml/{sso.provider_id}/sls/").status_code == 404
