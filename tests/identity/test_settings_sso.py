"""Settings → Single sign-on: HR admins connect their identity provider (SAML 2.0 or OpenID
Connect), after a recent re-authentication, and every change is audited."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.utils import timezone
from oidc_provider_mock import run_server_in_thread

from mentorship.identity import oidc_discovery, saml_metadata
from mentorship.identity.models import SingleSignOn
from mentorship.models import AuditEvent
from tests.conftest import PASSWORD, Tenant
from tests.identity.settings_support import (
    bare_base64,
    certificate,
    idp_metadata,
    reauthenticated,
    sp_key_pair_once,
)

Status = SingleSignOn.Status


@pytest.fixture(autouse=True)
def _one_sp_key_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(saml_metadata, "sp_key_pair", lambda **kw: sp_key_pair_once())


@pytest.fixture(scope="module")
def oidc_issuer() -> Iterator[str]:
    """A real OpenID Connect provider on a loopback port, for the whole module."""
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def insecure_ok(settings) -> None:
    settings.SSO_ALLOW_INSECURE = True


def url(tenant: Tenant, page: str = "") -> str:
    return f"/o/{tenant.organization.slug}/settings/sso/{page}"


@pytest.fixture
def hr(alpha: Tenant, client_for):
    return reauthenticated(client_for(alpha.hr))


def sso_of(tenant: Tenant) -> SingleSignOn | None:
    with tenant.scope():
        return SingleSignOn.objects.filter(organization=tenant.organization).first()


def audit_summaries(tenant: Tenant, action: str) -> list[str]:
    with tenant.scope():
        return list(
            AuditEvent.objects.filter(action=action)
            .order_by("pk")
            .values_list("summary", flat=True)
        )


def save_saml_metadata(client, tenant: Tenant, **kwargs: str):
    return client.post(url(tenant), {"form": "saml", "metadata": idp_metadata(**kwargs)})


def make_sso(tenant: Tenant, **fields: object) -> SingleSignOn:
    values = {
        "provider_id": tenant.organization.slug,
        "protocol": SingleSignOn.Protocol.SAML,
        "idp_entity_id": "https://idp.example.com/saml",
        "idp_sso_url": "https://idp.example.com/sso",
        "idp_certificate": certificate(),
        **fields,
    }
    with tenant.scope():
        return SingleSignOn.objects.create(organization=tenant.organization, **values)


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    ["settings/sso/", "settings/sso/turn-off/", "settings/domains/", "settings/provisioning/"],
)
@pytest.mark.parametrize("role", ["sponsor", "participant"])
def test_identity_settings_are_for_hr_admins_only(
    page: str, role: str, alpha: Tenant, client_for
) -> None:
    make_sso(alpha)
    client = reauthenticated(client_for(getattr(alpha, role)))
    assert client.get(f"/o/alpha/{page}").status_code == 404
    assert client.post(f"/o/alpha/{page}", {"form": "go_live"}).status_code == 404


def test_settings_page_links_to_the_identity_pages(hr) -> None:
    body = hr.get("/o/alpha/settings/").content.decode()
    for page in ("settings/sso/", "settings/domains/", "settings/provisioning/"):
        assert f'href="/o/alpha/{page}"' in body


# --- Re-authentication ----------------------------------------------------------------------------


def test_a_change_needs_a_recent_password_confirmation_and_changes_nothing_before(
    alpha: Tenant, client_for
) -> None:
    client = client_for(alpha.hr)  # signed in, never confirmed the password in this session
    response = save_saml_metadata(client, alpha)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/reauthenticate/?next=%2Fo%2Falpha%2Fsettings%2Fsso%2F"
    assert sso_of(alpha) is None
    # Viewing needs no confirmation; the page offers it up front.
    page = client.get(url(alpha)).content.decode()
    assert "Confirm now" in page
    # The password brings the admin back to the page (not a replayed POST), and the change
    # then goes through.
    back = client.post(response["Location"], {"password": PASSWORD})
    assert back["Location"] == url(alpha)
    assert save_saml_metadata(client, alpha).status_code == 302
    assert sso_of(alpha) is not None
    assert "Confirm now" not in client.get(url(alpha)).content.decode()


def test_a_confirmation_older_than_five_minutes_is_asked_again(alpha: Tenant, client_for) -> None:
    client = reauthenticated(client_for(alpha.hr), seconds_ago=301)
    response = save_saml_metadata(client, alpha)
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert sso_of(alpha) is None


# --- SAML -----------------------------------------------------------------------------------------


def test_saml_saved_from_metadata_with_our_own_key_pair(alpha: Tenant, hr) -> None:
    response = save_saml_metadata(hr, alpha)
    assert response.status_code == 302
    sso = sso_of(alpha)
    assert sso.protocol == "saml" and sso.status == Status.DRAFT
    assert sso.provider_id == "alpha"
    assert sso.idp_entity_id == "https://idp.example.com/saml"
    assert sso.idp_sso_url == "https://idp.example.com/sso"
    assert saml_metadata.certificate_load(sso.idp_certificate).subject.rfc4514_string() == (
        "CN=idp.example.com"
    )
    certificate_pem, _ = sp_key_pair_once()
    assert sso.sp_certificate == certificate_pem
    assert "PRIVATE KEY" not in sso.sp_private_key_encrypted
    assert audit_summaries(alpha, AuditEvent.Action.SSO_CHANGED) == [
        "Single sign-on: SAML 2.0 connection saved (IdP https://idp.example.com/saml)."
    ]
    page = hr.get(url(alpha)).content.decode()
    assert "http://testserver/accounts/saml/alpha/acs/" in page
    assert "http://testserver/accounts/saml/alpha/metadata/" in page
    assert 'data-copy="sp-acs-url"' in page and "js/copy.js" in page
    assert "CN=idp.example.com" in page


def test_our_key_pair_is_made_once_and_kept_on_later_saves(alpha: Tenant, hr, monkeypatch) -> None:
    monkeypatch.undo()  # the real generator, once
    save_saml_metadata(hr, alpha)
    first = sso_of(alpha)
    cert = x509_of(first.sp_certificate)
    assert cert.public_key().key_size == 2048
    years = (cert.not_valid_after_utc - cert.not_valid_before_utc).days / 365
    assert years >= 9.99
    save_saml_metadata(hr, alpha, sso_url="https://idp.example.com/other")
    again = sso_of(alpha)
    assert again.sp_certificate == first.sp_certificate
    assert again.sp_private_key_encrypted == first.sp_private_key_encrypted


def x509_of(pem: str):
    return saml_metadata.certificate_load(pem)


def test_saml_saved_from_fields_with_a_bare_base64_certificate(alpha: Tenant, hr) -> None:
    cert = certificate("fields.example.com")
    response = hr.post(
        url(alpha),
        {
            "form": "saml",
            "entity_id": "urn:idp",
            "sso_url": "https://idp.example.com/login",
            "certificate": bare_base64(cert)[:40] + "\n" + bare_base64(cert)[40:],
        },
    )
    assert response.status_code == 302
    sso = sso_of(alpha)
    assert sso.idp_entity_id == "urn:idp"
    assert sso.idp_certificate.strip() == cert.strip()


@pytest.mark.parametrize(
    ("fields", "explained"),
    [
        ({"certificate": "hello"}, "This is not an X.509 certificate"),
        ({"sso_url": "ftp://idp"}, "must be a full https:// URL"),
        ({"sso_url": "http://idp.example.com/sso"}, "must be a full https:// URL"),
        ({"entity_id": ""}, "The IdP entity ID is required"),
    ],
)
def test_bad_saml_fields_are_explained(alpha: Tenant, hr, fields, explained) -> None:
    data = {
        "form": "saml",
        "entity_id": "urn:idp",
        "sso_url": "https://idp.example.com/login",
        "certificate": certificate(),
        **fields,
    }
    response = hr.post(url(alpha), data)
    assert response.status_code == 200
    assert explained in response.content.decode()
    assert sso_of(alpha) is None


def test_an_expired_certificate_is_refused(alpha: Tenant, hr) -> None:
    response = save_saml_metadata(hr, alpha, cert=certificate("old.example.com", days=-1))
    assert "This certificate expired on" in response.content.decode()
    assert sso_of(alpha) is None


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;"/>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">
&xxe;</md:EntityDescriptor>"""


@pytest.mark.parametrize(
    ("xml", "explained"),
    [
        (BILLION_LAUGHS, "declares a document type or entities"),
        (EXTERNAL_ENTITY, "declares a document type or entities"),
        ("<md:EntityDescriptor", "not well-formed XML"),
        ("not xml at all", "not well-formed XML"),
        (
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>',
            "No identity provider found",
        ),
        (
            idp_metadata(binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"),
            "no single sign-on URL with the HTTP-Redirect binding",
        ),
    ],
    ids=["billion-laughs", "external-entity", "truncated", "text", "sp-metadata", "post-only"],
)
def test_bad_metadata_is_refused_and_explained(alpha: Tenant, hr, xml, explained) -> None:
    response = hr.post(url(alpha), {"form": "saml", "metadata": xml})
    assert response.status_code == 200
    assert explained in response.content.decode()
    assert sso_of(alpha) is None


def test_an_empty_saml_form_says_what_to_paste(alpha: Tenant, hr) -> None:
    response = hr.post(url(alpha), {"form": "saml"})
    assert "Paste the metadata XML" in response.content.decode()


# --- OpenID Connect -------------------------------------------------------------------------------


def save_oidc(client, tenant: Tenant, issuer: str, secret: str = "s3cret-value", **extra):
    data = {"form": "oidc", "issuer": issuer, "client_id": "rm-app", "client_secret": secret}
    return client.post(url(tenant), {**data, **extra})


def test_oidc_saved_after_discovery_at_a_real_provider(
    alpha: Tenant, hr, oidc_issuer: str, insecure_ok
) -> None:
    response = save_oidc(hr, alpha, oidc_issuer + "/")
    assert response.status_code == 302, response.content.decode()
    sso = sso_of(alpha)
    assert sso.protocol == "oidc" and sso.status == Status.DRAFT
    assert sso.issuer == oidc_issuer and sso.client_id == "rm-app"
    page = hr.get(url(alpha)).content.decode()
    assert "http://testserver/accounts/oidc/alpha/login/callback/" in page
    assert "Saved — leave empty to keep it." in page
    [summary] = audit_summaries(alpha, AuditEvent.Action.SSO_CHANGED)
    assert summary.startswith(
        f"Single sign-on: OpenID Connect connection saved (issuer {oidc_issuer}"
    )


def test_an_empty_secret_keeps_the_saved_one(
    alpha: Tenant, hr, oidc_issuer: str, insecure_ok
) -> None:
    save_oidc(hr, alpha, oidc_issuer)
    before = sso_of(alpha).client_secret_encrypted
    assert save_oidc(hr, alpha, oidc_issuer, secret="").status_code == 302
    assert sso_of(alpha).client_secret_encrypted == before


def test_a_first_oidc_save_needs_a_secret(alpha: Tenant, hr, oidc_issuer, insecure_ok) -> None:
    response = save_oidc(hr, alpha, oidc_issuer, secret="")
    assert "The client secret is required." in response.content.decode()
    assert sso_of(alpha) is None


def test_an_unreachable_issuer_is_explained(alpha: Tenant, hr, insecure_ok) -> None:
    response = save_oidc(hr, alpha, "http://127.0.0.1:9")  # the discard port: nothing listens
    assert "Could not reach http://127.0.0.1:9/.well-known/openid-configuration" in (
        response.content.decode()
    )
    assert sso_of(alpha) is None


def test_a_wrong_path_is_explained(alpha: Tenant, hr, oidc_issuer, insecure_ok) -> None:
    response = save_oidc(hr, alpha, oidc_issuer + "/tenant")
    assert "answered HTTP 404" in response.content.decode()


class FakeResponse:
    def __init__(self, content: bytes, status_code: int = 200) -> None:
        self.content = content
        self.status_code = status_code
        self.is_redirect = self.is_permanent_redirect = status_code in (301, 302)


GOOD = {
    "issuer": "https://idp.example.com",
    "authorization_endpoint": "https://idp.example.com/authorize",
    "token_endpoint": "https://idp.example.com/token",
    "jwks_uri": "https://idp.example.com/jwks",
    "response_types_supported": ["code", "id_token"],
}


@pytest.mark.parametrize(
    ("answer", "explained"),
    [
        (FakeResponse(b"<html>hello</html>"), "did not answer with JSON"),
        (FakeResponse(b"[1, 2]"), "did not answer with a discovery document"),
        (FakeResponse(b"", 302), "redirects elsewhere"),
        (FakeResponse(b"{}", 500), "answered HTTP 500"),
        (
            FakeResponse(b'{"issuer": "https://evil.example.com"}'),
            "The provider calls itself &#x27;https://evil.example.com&#x27;",
        ),
        (
            FakeResponse(
                json_bytes := __import__("json").dumps({**GOOD, "jwks_uri": None}).encode()
            ),
            "The discovery document lacks jwks_uri",
        ),
        (
            FakeResponse(json.dumps({**GOOD, "response_types_supported": ["token"]}).encode()),
            "does not offer the authorization code flow",
        ),
    ],
    ids=["html", "not-object", "redirect", "server-error", "issuer-mismatch", "no-jwks", "no-code"],
)
def test_a_bad_discovery_document_is_explained(
    alpha: Tenant, hr, monkeypatch, insecure_ok, answer, explained
) -> None:
    monkeypatch.setattr(oidc_discovery, "fetch", lambda url: answer)
    response = save_oidc(hr, alpha, "https://idp.example.com")
    assert response.status_code == 200
    assert explained in response.content.decode()
    assert sso_of(alpha) is None


def test_an_http_issuer_is_refused_in_production(alpha: Tenant, hr, oidc_issuer) -> None:
    response = save_oidc(hr, alpha, oidc_issuer)
    assert "The issuer URL must use https://." in response.content.decode()


def test_an_issuer_on_a_private_network_is_never_fetched(alpha: Tenant, hr, monkeypatch) -> None:
    fetched = []
    monkeypatch.setattr(oidc_discovery, "fetch", lambda url: fetched.append(url))
    for issuer in ("https://localhost", "https://10.0.0.8", "https://169.254.169.254"):
        response = save_oidc(hr, alpha, issuer)
        assert "is on a private network" in response.content.decode()
    assert fetched == []


# --- The configuration's life ---------------------------------------------------------------------


def test_a_changed_connection_goes_back_to_draft_until_tested(alpha: Tenant, hr) -> None:
    save_saml_metadata(hr, alpha)
    with alpha.scope():
        SingleSignOn.objects.update(
            status=Status.LIVE, tested_at=timezone.now(), test_attributes={"subject": "x"}
        )
    # The same values again change nothing.
    save_saml_metadata(hr, alpha)
    assert sso_of(alpha).status == Status.LIVE
    response = save_saml_metadata(hr, alpha, sso_url="https://idp.example.com/new")
    page = hr.get(response["Location"]).content.decode()
    assert "single sign-on is off until you test the connection again" in page
    sso = sso_of(alpha)
    assert sso.status == Status.DRAFT and sso.tested_at is None and sso.test_attributes == {}
    assert audit_summaries(alpha, AuditEvent.Action.SSO_CHANGED)[-1].endswith(
        "Single sign-on is off until the connection is tested again."
    )


def test_switching_protocol_keeps_the_provider_id_and_drops_the_other_settings(
    alpha: Tenant, hr, oidc_issuer, insecure_ok
) -> None:
    save_oidc(hr, alpha, oidc_issuer)
    save_saml_metadata(hr, alpha)
    sso = sso_of(alpha)
    assert sso.protocol == "saml" and sso.provider_id == "alpha"
    assert sso.issuer == sso.client_id == sso.client_secret_encrypted == ""


def test_a_provider_id_taken_by_another_organisation_gets_a_suffix(
    alpha: Tenant, beta: Tenant, hr
) -> None:
    make_sso(beta, provider_id="alpha")  # beta's organisation used to be called alpha
    save_saml_metadata(hr, alpha)
    assert sso_of(alpha).provider_id == f"alpha-{alpha.organization.pk}"
    assert sso_of(beta).provider_id == "alpha"


def test_go_live_is_refused_until_the_connection_was_tested(alpha: Tenant, hr) -> None:
    make_sso(alpha)
    page = hr.get(url(alpha)).content.decode()
    assert "Go live" not in page
    response = hr.post(url(alpha), {"form": "go_live"}, follow=True)
    assert "Test the connection first" in response.content.decode()
    assert sso_of(alpha).status == Status.DRAFT
    with alpha.scope():
        SingleSignOn.objects.update(status=Status.TESTED)
    assert "Go live" in hr.get(url(alpha)).content.decode()
    hr.post(url(alpha), {"form": "go_live"})
    assert sso_of(alpha).status == Status.LIVE
    assert audit_summaries(alpha, AuditEvent.Action.SSO_CHANGED) == [
        "Single sign-on is live (SAML 2.0)"
    ]


def test_the_page_shows_what_the_test_sign_in_received(alpha: Tenant, hr) -> None:
    make_sso(
        alpha,
        status=Status.TESTED,
        tested_at=timezone.now(),
        tested_by=alpha.hr,
        test_attributes={
            "subject": "ada@alpha.test",
            "received": {"department": ["Research"], "email": ["ada@alpha.test"]},
            "mapped": {"email": "ada@alpha.test", "department": "Research", "level": None},
            "claimed": False,
        },
    )
    page = hr.get(url(alpha)).content.decode()
    assert "ada@alpha.test" in page and "Research" in page
    assert "not in one of your" in page  # the address is outside the claimed domains
    assert "Attributes received (2)" in page


def test_turning_off_asks_first_then_goes_back_to_draft(alpha: Tenant, hr) -> None:
    make_sso(alpha, status=Status.LIVE)
    confirm = hr.get(url(alpha, "turn-off/"))
    assert "Turn off single sign-on?" in confirm.content.decode()
    assert sso_of(alpha).status == Status.LIVE
    assert hr.post(url(alpha, "turn-off/"))["Location"] == url(alpha)
    assert sso_of(alpha).status == Status.DRAFT
    assert audit_summaries(alpha, AuditEvent.Action.SSO_CHANGED) == [
        "Single sign-on turned off (back to draft)"
    ]


def test_turning_off_needs_a_recent_confirmation(alpha: Tenant, client_for) -> None:
    make_sso(alpha, status=Status.LIVE)
    client = client_for(alpha.hr)
    assert client.post(url(alpha, "turn-off/"))["Location"].startswith("/accounts/reauthenticate/")
    assert sso_of(alpha).status == Status.LIVE


def test_policies_are_saved_and_audited(alpha: Tenant, hr) -> None:
    make_sso(alpha)
    hr.post(
        url(alpha),
        {
            "form": "policies",
            "sso_only": "on",
            "new_people": "invited_only",
            "accept_idp_mfa": "on",
        },
    )
    sso = sso_of(alpha)
    assert sso.sso_only and not sso.break_glass and sso.accept_idp_mfa
    assert sso.new_people == "invited_only"
    [summary] = audit_summaries(alpha, AuditEvent.Action.SSO_CHANGED)
    assert summary == (
        "Single sign-on policy: require single sign-on on; break-glass sign-in for HR admins "
        "off; new people: get nothing until invited; accept the identity provider's second "
        "factor on"
    )
    assert sso.status == Status.DRAFT


def test_a_mapping_preset_fills_the_fields_and_fields_can_be_edited(alpha: Tenant, hr) -> None:
    from mentorship.identity.mapping import MAPPING_PRESETS

    make_sso(alpha, status=Status.LIVE)
    hr.post(url(alpha), {"form": "mapping", "preset": "okta", "apply_preset": "1"})
    sso = sso_of(alpha)
    assert sso.mapping_preset == "okta" and sso.attribute_mapping == MAPPING_PRESETS["okta"]
    hr.post(url(alpha), {"form": "mapping", "preset": "custom", "department": "costCenter"})
    sso = sso_of(alpha)
    assert sso.attribute_mapping == {"department": "costCenter"}
    assert sso.status == Status.LIVE  # the mapping is not the connection
    page = hr.get(url(alpha)).content.decode()
    assert 'value="costCenter"' in page
    assert len(audit_summaries(alpha, AuditEvent.Action.SSO_CHANGED)) == 2


def test_the_page_renders_before_anything_is_set_up(alpha: Tenant, hr) -> None:
    page = hr.get(url(alpha)).content.decode()
    assert "Not set up" in page
    # The IdP admin registers our URLs before handing over metadata: they are shown already.
    assert "http://testserver/accounts/saml/alpha/acs/" in page
    oidc = hr.get(url(alpha) + "?protocol=oidc").content.decode()
    assert "http://testserver/accounts/oidc/alpha/login/callback/" in oidc
    assert 'name="client_secret"' in oidc
