"""Signing in through an organisation's OpenID Connect provider: a real provider
(``oidc-provider-mock``, requiring a nonce) runs in a thread on a loopback port; the browser's
part is played by Django's test client (our pages) and ``requests`` (the provider's)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from mentorship.identity.models import DirectoryProfile, SingleSignOn
from mentorship.models import AuditEvent, Membership, User
from mentorship.tenancy import across_all_organizations
from tests.conftest import Tenant, totp_code
from tests.identity.sso_support import browser, claim, oidc_sso, provider_url, signed_in_user_id

# The provider (Flask, Authlib) warns of its own deprecations.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NEWCOMER = "noor.newhire@alpha.test"


@pytest.fixture
def sso(alpha: Tenant, oidc_server: str) -> SingleSignOn:
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        return oidc_sso(alpha.organization, oidc_server)


def start(client: Client, slug: str) -> str:
    """Our page starts the sign-in; the provider's authorisation URL."""
    return provider_url(client.post(f"/o/{slug}/sso/"))


def consent(url: str, sub: str) -> str:
    """The person signs in at the provider, which sends them back: our callback's path."""
    response = requests.post(url, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    back = urlparse(response.headers["Location"])
    return f"{back.path}?{back.query}"


def sign_in(client: Client, slug: str, sub: str) -> object:
    return client.get(consent(start(client, slug), sub))


def test_signing_in_makes_a_participant_with_the_claims(
    alpha: Tenant, sso: SingleSignOn, oidc_user: Callable
) -> None:
    oidc_user(
        "noor",
        {
            "email": NEWCOMER,
            "given_name": "Noor",
            "family_name": "Newhire",
            "department": "Data",
            "job_title": "Analyst",
            "manager_email": alpha.hr.email,
        },
    )
    client = browser()
    response = sign_in(client, "alpha", "noor")
    assert response.status_code == 302, response.content.decode()[:500]
    user = User.objects.get(email=NEWCOMER)
    assert signed_in_user_id(client) == str(user.pk)
    assert user.first_name == "Noor"
    with alpha.scope():
        membership = Membership.objects.get(user=user)
        assert membership.is_participant
        profile = DirectoryProfile.objects.get(membership=membership)
        assert (profile.department, profile.title, profile.manager_email) == (
            "Data",
            "Analyst",
            alpha.hr.email,
        )


def test_the_request_carries_state_nonce_and_pkce(alpha: Tenant, sso: SingleSignOn) -> None:
    query = parse_qs(urlparse(start(browser(), "alpha")).query)
    assert query["state"][0] and query["nonce"][0]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]


def test_an_address_outside_the_claimed_domains_is_refused(
    alpha: Tenant, beta: Tenant, sso: SingleSignOn, oidc_user: Callable
) -> None:
    oidc_user("intruder", {"email": beta.hr.email, "email_verified": True})
    client = browser()
    response = sign_in(client, "alpha", "intruder")
    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    with alpha.scope():
        assert AuditEvent.objects.filter(action=AuditEvent.Action.SSO_REFUSED).exists()


def test_a_person_of_alpha_gets_nothing_in_beta(
    alpha: Tenant, beta: Tenant, sso: SingleSignOn, oidc_server: str, oidc_user: Callable
) -> None:
    with beta.scope():
        claim(beta.organization, "beta.test")
        oidc_sso(beta.organization, oidc_server)
    oidc_user("noor", {"email": NEWCOMER})
    sign_in(browser(), "alpha", "noor")
    # Beta's provider vouching for an alpha address is refused: nothing in beta.
    other = browser()
    assert sign_in(other, "beta", "noor").status_code == 403
    assert signed_in_user_id(other) is None
    user = User.objects.get(email=NEWCOMER)
    with across_all_organizations():
        assert list(Membership.objects.filter(user=user).values_list("organization__slug")) == [
            ("alpha",)
        ]


def test_a_tampered_state_is_refused(alpha: Tenant, sso: SingleSignOn, oidc_user: Callable) -> None:
    oidc_user("noor", {"email": NEWCOMER})
    client = browser()
    callback = consent(start(client, "alpha"), "noor")
    response = client.get(callback.replace("state=", "state=x"))
    assert response.status_code == 401
    assert signed_in_user_id(client) is None
    assert not User.objects.filter(email=NEWCOMER).exists()


def test_an_id_token_without_this_sign_ins_nonce_is_refused(
    alpha: Tenant, sso: SingleSignOn, oidc_user: Callable
) -> None:
    oidc_user("noor", {"email": NEWCOMER})
    client = browser()
    callback = consent(start(client, "alpha"), "noor")
    # The stashed nonce differs from the one the provider put in the ID token, as when a token
    # obtained for another sign-in is injected.
    session = client.session
    for state in session["socialaccount_states"].values():
        state[0]["oidc_nonce"] = "another sign-in's nonce"
    session.save()
    response = client.get(callback)
    assert response.status_code == 403
    assert signed_in_user_id(client) is None


def test_a_sign_in_paused_for_the_second_factor_resumes(
    alpha: Tenant, sso: SingleSignOn, oidc_user: Callable
) -> None:
    """allauth keeps the login in the session while it asks for the account's own second
    factor; the organisation's provider is found again afterwards."""
    secret = generate_totp_secret()
    TOTP.activate(alpha.participant, secret)
    oidc_user("part", {"email": alpha.participant.email, "department": "Legal"})
    client = browser()
    response = sign_in(client, "alpha", "part")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_user_id(client) is None
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert signed_in_user_id(client) == str(alpha.participant.pk)
    with alpha.scope():
        assert DirectoryProfile.objects.get(membership__user=alpha.participant).department == (
            "Legal"
        )
