"""Home-realm discovery: the sign-in page's "Sign in with single sign-on", ``/sso/`` (the person
types their address) and ``/o/<slug>/sso/``. Nothing tells a visitor which organisation owns a
domain unless it has live single sign-on (whose provider the visitor is then sent to)."""

from __future__ import annotations

import pytest

from mentorship.identity.models import SingleSignOn
from tests.conftest import Tenant
from tests.identity.sso_support import IDP_SSO_URL, browser, claim, provider_url, saml_sso

pytestmark = pytest.mark.usefixtures("sso_insecure")

NO_SSO = "No single sign-on for this address: sign in with your password."


@pytest.fixture
def sso(alpha: Tenant, beta: Tenant) -> SingleSignOn:
    with beta.scope():
        claim(beta.organization, "beta.test")  # claimed, but beta has no single sign-on
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        return saml_sso(alpha.organization)


def test_the_sign_in_page_offers_single_sign_on_and_lists_no_organisation(
    sso: SingleSignOn,
) -> None:
    page = browser().get("/accounts/login/?next=/o/alpha/").content.decode()
    assert 'href="/sso/?next=/o/alpha/"' in page
    assert "Sign in with single sign-on" in page
    assert "Alpha" not in page


def test_an_address_of_an_organisation_with_live_single_sign_on_goes_to_its_provider(
    sso: SingleSignOn,
) -> None:
    client = browser()
    assert client.get("/sso/").status_code == 200  # nobody signed in yet
    response = client.post("/sso/", {"email": "Someone@ALPHA.test"})
    assert provider_url(response).startswith(f"{IDP_SSO_URL}?SAMLRequest=")


@pytest.mark.parametrize("email", ["someone@beta.test", "someone@nobody.example"])
def test_other_addresses_get_the_same_answer(sso: SingleSignOn, email: str) -> None:
    response = browser().post("/sso/", {"email": email})
    body = response.content.decode()
    assert response.status_code == 200
    assert NO_SSO in body
    assert "Beta" not in body and "Alpha" not in body


def test_a_draft_configuration_is_not_offered(sso: SingleSignOn, alpha: Tenant) -> None:
    with alpha.scope():
        SingleSignOn.objects.filter(pk=sso.pk).update(status=SingleSignOn.Status.TESTED)
    client = browser()
    assert NO_SSO in client.post("/sso/", {"email": "someone@alpha.test"}).content.decode()
    assert client.get("/o/alpha/sso/").status_code == 404
    # Nor through allauth's own URLs of the provider.
    assert client.post(f"/accounts/saml/{sso.provider_id}/login/").status_code == 404
    # (Our metadata is still served: test_saml_metadata_before_live.)


def test_the_organisation_link_starts_its_sign_in_and_unknown_ones_are_the_same_404(
    sso: SingleSignOn,
) -> None:
    client = browser()
    page = client.get("/o/alpha/sso/")
    assert page.status_code == 200
    assert "Continue to Alpha" in page.content.decode()
    assert provider_url(client.post("/o/alpha/sso/")).startswith(IDP_SSO_URL)
    for slug in ("beta", "no-such-org"):
        assert client.get(f"/o/{slug}/sso/").status_code == 404
        assert client.post(f"/o/{slug}/sso/").status_code == 404


def test_next_is_kept_only_for_this_site(sso: SingleSignOn) -> None:
    client = browser()
    client.post("/sso/", {"email": "a@alpha.test", "next": "https://evil.example/"})
    client.post("/sso/", {"email": "a@alpha.test", "next": "//evil.example/"})
    client.post("/sso/", {"email": "a@alpha.test", "next": "/o/alpha/members/"})
    states = [state for state, _, _ in client.session["socialaccount_states"].values()]
    assert [state.get("next") for state in states] == [None, None, "/o/alpha/members/"]
