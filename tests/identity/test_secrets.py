"""Secrets at rest: the OIDC client secret and our SAML private key are stored encrypted, never
shown on a page (not even to the HR admin who saved them) and never written to the audit log."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from mentorship.identity import oidc_discovery, saml_metadata, secrets
from mentorship.identity.models import SingleSignOn
from mentorship.models import AuditEvent
from tests.conftest import Tenant
from tests.identity.settings_support import idp_metadata, reauthenticated, sp_key_pair_once

CLIENT_SECRET = "oidc-client-secret-Zq8sT3pL"
DISCOVERY = {
    "issuer": "https://idp.example.com",
    "authorization_endpoint": "https://idp.example.com/authorize",
    "token_endpoint": "https://idp.example.com/token",
    "jwks_uri": "https://idp.example.com/jwks",
    "response_types_supported": ["code"],
}


class Answer:
    status_code = 200
    is_redirect = is_permanent_redirect = False
    content = json.dumps(DISCOVERY).encode()


@pytest.fixture
def configured(alpha: Tenant, beta: Tenant, client_for, settings, monkeypatch):
    """alpha on OpenID Connect with a client secret, beta on SAML with our key pair."""
    settings.SSO_ALLOW_INSECURE = True  # no DNS look-up of idp.example.com
    monkeypatch.setattr(oidc_discovery, "fetch", lambda url: Answer())
    monkeypatch.setattr(saml_metadata, "sp_key_pair", lambda **kw: sp_key_pair_once())
    alpha_hr = reauthenticated(client_for(alpha.hr))
    beta_hr = reauthenticated(client_for(beta.hr))
    response = alpha_hr.post(
        "/o/alpha/settings/sso/",
        {
            "form": "oidc",
            "issuer": DISCOVERY["issuer"],
            "client_id": "rm",
            "client_secret": CLIENT_SECRET,
        },
    )
    assert response.status_code == 302
    assert (
        beta_hr.post(
            "/o/beta/settings/sso/", {"form": "saml", "metadata": idp_metadata()}
        ).status_code
        == 302
    )
    return alpha_hr, beta_hr


def stored(tenant: Tenant) -> SingleSignOn:
    with tenant.scope():
        return SingleSignOn.objects.get()


def test_secrets_are_encrypted_in_the_database_and_decrypt_back(
    configured, alpha: Tenant, beta: Tenant
) -> None:
    oidc = stored(alpha)
    assert CLIENT_SECRET not in oidc.client_secret_encrypted
    assert secrets.decrypt(oidc.client_secret_encrypted) == CLIENT_SECRET
    saml = stored(beta)
    _, private_key = sp_key_pair_once()
    assert "PRIVATE KEY" not in saml.sp_private_key_encrypted
    assert secrets.decrypt(saml.sp_private_key_encrypted) == private_key


def private_key_lines() -> list[str]:
    _, private_key = sp_key_pair_once()
    return [line for line in private_key.splitlines() if "PRIVATE KEY" not in line]


def test_no_page_shows_a_secret(configured, alpha: Tenant, beta: Tenant) -> None:
    alpha_hr, beta_hr = configured
    pages = [
        "settings/sso/",
        "settings/sso/?protocol=oidc",
        "settings/sso/?protocol=saml",
        "settings/sso/turn-off/",
        "settings/domains/",
        "settings/provisioning/",
        "settings/",
        "audit/",
    ]
    for client, slug in ((alpha_hr, "alpha"), (beta_hr, "beta")):
        for page in pages:
            response = client.get(f"/o/{slug}/{page}")
            assert response.status_code == 200, page
            body = response.content.decode()
            assert CLIENT_SECRET not in body, page
            assert not any(line in body for line in private_key_lines()), page
    # The client-secret field says one is saved, and is empty.
    body = alpha_hr.get("/o/alpha/settings/sso/").content.decode()
    assert "Saved — leave empty to keep it." in body
    assert 'name="client_secret"' in body and 'type="password"' in body


def test_no_audit_summary_holds_a_secret(configured, alpha: Tenant, beta: Tenant) -> None:
    summaries = []
    for tenant in (alpha, beta):
        with tenant.scope():
            summaries += list(AuditEvent.objects.values_list("summary", flat=True))
    text = "\n".join(summaries)
    assert "OpenID Connect connection saved" in text and "new client secret" in text
    assert CLIENT_SECRET not in text
    assert not any(line in text for line in private_key_lines())


def test_a_refused_form_does_not_echo_the_secret(alpha: Tenant, client_for, settings) -> None:
    settings.SSO_ALLOW_INSECURE = True
    client = reauthenticated(client_for(alpha.hr))
    response = client.post(
        "/o/alpha/settings/sso/",
        {"form": "oidc", "issuer": "not a url", "client_id": "rm", "client_secret": CLIENT_SECRET},
    )
    assert response.status_code == 200
    assert CLIENT_SECRET not in response.content.decode()


def test_keys_rotate_and_an_unknown_key_is_an_error(settings) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    try:
        settings.SECRETS_ENCRYPTION_KEYS = [old]
        secrets._fernet.cache_clear()
        cipher = secrets.encrypt("s")
        settings.SECRETS_ENCRYPTION_KEYS = [new, old]  # the new key encrypts, both decrypt
        secrets._fernet.cache_clear()
        assert secrets.decrypt(cipher) == "s"
        settings.SECRETS_ENCRYPTION_KEYS = [new]
        secrets._fernet.cache_clear()
        with pytest.raises(ValueError, match="No configured key"):
            secrets.decrypt(cipher)
    finally:
        secrets._fernet.cache_clear()
