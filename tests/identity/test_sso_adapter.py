"""allauth's apps built per organisation, and the attribute mapping (a pure module)."""

from __future__ import annotations

import pytest
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.test import RequestFactory

from mentorship.identity.mapping import MAPPING_PRESETS, PROFILE_FIELDS, map_attributes
from mentorship.identity.sso.providers import OpenIDConnectProvider, SAMLProvider
from tests.conftest import Tenant
from tests.identity.sso_support import ENTRA, key_pair, oidc_sso, saml_sso


@pytest.fixture
def two_providers(alpha: Tenant, beta: Tenant) -> None:
    with alpha.scope():
        saml_sso(alpha.organization)
    with beta.scope():
        oidc_sso(beta.organization, "https://login.beta.example")


def test_no_organisations_provider_is_ever_listed(two_providers: None) -> None:
    request = RequestFactory().get("/accounts/login/")
    request.session = {}  # type: ignore[attr-defined]
    adapter = get_adapter(request)
    assert adapter.list_apps(request) == []
    assert adapter.list_providers(request) == []
    assert adapter.list_apps(request, provider="openid_connect", client_id="client-beta") == []


def test_each_organisations_app_is_found_by_its_own_keys(two_providers: None) -> None:
    adapter = get_adapter()
    saml = adapter.get_app(None, provider="saml", client_id="saml-alpha")
    assert saml.settings["advanced"]["private_key"] == key_pair("sp.testserver").private_key
    assert saml.settings["verified_email"] == []
    oidc = adapter.get_app(None, provider="oidc-beta")
    assert (oidc.client_id, oidc.secret) == ("client-beta", "a client secret")
    assert oidc.settings["oauth_pkce_enabled"] is True
    with pytest.raises(SocialApp.DoesNotExist):
        adapter.get_app(None, provider="saml", client_id="oidc-beta")


def test_a_linked_account_finds_its_provider(two_providers: None, alpha: Tenant) -> None:
    saml = SocialAccount(user=alpha.hr, provider="saml-alpha", uid="x")
    oidc = SocialAccount(user=alpha.hr, provider="oidc-beta", uid="y")
    assert isinstance(saml.get_provider(), SAMLProvider)
    assert isinstance(oidc.get_provider(), OpenIDConnectProvider)


def test_presets_cover_every_profile_field() -> None:
    assert set(MAPPING_PRESETS) == {"entra", "okta", "google", "custom"}
    for preset in MAPPING_PRESETS.values():
        assert set(preset) == set(PROFILE_FIELDS)


def test_attributes_map_through_the_mapping_with_defaults() -> None:
    raw = {
        f"{ENTRA}/emailaddress": ["Dana@Alpha.TEST"],
        f"{ENTRA}/givenname": ["Dana"],
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/department": ["Data"],
        "https://ns.example/claims/jobtitle": "Analyst",
        "mgr": ["not an address"],
        "level": ["Grade 7"],
    }
    mapped = map_attributes({"manager_email": "mgr"}, raw)
    assert mapped == {
        "email": "dana@alpha.test",
        "first_name": "Dana",
        "last_name": None,
        "department": "Data",
        "title": "Analyst",
        "manager_email": None,
        "level": 7,
    }
    oidc = map_attributes({}, {"email": "a@b.test", "family_name": "B" * 300, "level": "x"})
    assert oidc["email"] == "a@b.test" and len(oidc["last_name"]) == 150
    assert oidc["level"] is None
