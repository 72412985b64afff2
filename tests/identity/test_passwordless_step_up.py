"""The attack these tests refuse (each failed before its fix):

An account made by single sign-on has no password and no second factor, and allauth lets
such an account set a password, activate TOTP or add an address WITHOUT re-authenticating
(it has nothing to ask for). A stolen session cookie of an SSO-made HR admin sets a password,
re-authenticates with it, and then rewires single sign-on or mints SCIM tokens.

Now those pages need a sign-in through the organisation's own provider within the
re-authentication timeout, and setting a password is refused for an SSO-only-bound account."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.messages import get_messages
from django.test import Client

from mentorship.identity.models import SingleSignOn
from mentorship.models import User
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.identity.settings_support import reauthenticated
from tests.identity.sso_support import claim, saml_sso

SET_PASSWORD = "/accounts/password/set/"
ACTIVATE_TOTP = "/accounts/2fa/totp/activate/"
NEW_PASSWORD = {
    "password1": "a fresh long passphrase 42",
    "password2": "a fresh long passphrase 42",
}


@pytest.fixture
def sso(alpha: Tenant) -> SingleSignOn:
    with alpha.scope():
        return saml_sso(alpha.organization)


@pytest.fixture
def sso_made_hr(alpha: Tenant, sso: SingleSignOn) -> User:
    """An HR admin of alpha made by single sign-on: no password, no second factor, linked."""
    user = User.objects.create_user(email="dana@sso-made.example")
    MembershipFactory(organization=alpha.organization, user=user, is_hr_admin=True)
    SocialAccount.objects.create(user=user, provider=sso.provider_id, uid="x")
    return user


def _signed_in_through(client: Client, provider_id: str, seconds_ago: float) -> Client:
    """The session signed in through ``provider_id`` ``seconds_ago`` (as allauth records it)."""
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "socialaccount", "at": time.time() - seconds_ago, "provider": provider_id}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = session["_auth_user_id"]
    session.save()
    return client


def _assert_sent_to_alpha_sign_in(response: object, path: str) -> None:
    assert response.status_code == 302, response.status_code  # type: ignore[attr-defined]
    location = urlparse(response["Location"])  # type: ignore[index]
    assert location.path == "/o/alpha/sso/"
    assert parse_qs(location.query)["next"] == [path]


@pytest.mark.parametrize("signed_in_hours_ago", [None, 8], ids=["never", "eight-hours-ago"])
def test_stolen_cookie_of_an_sso_made_account_cannot_set_a_password(
    sso_made_hr: User, client_for, signed_in_hours_ago: int | None
) -> None:
    client = client_for(sso_made_hr)
    if signed_in_hours_ago is not None:
        _signed_in_through(client, "saml-alpha", signed_in_hours_ago * 3600)
    response = client.post(SET_PASSWORD, NEW_PASSWORD)
    sso_made_hr.refresh_from_db()
    assert not sso_made_hr.has_usable_password(), "a password was set on a stolen cookie"
    _assert_sent_to_alpha_sign_in(response, SET_PASSWORD)
    warnings = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Confirm it is you through Alpha's sign-in first." in " ".join(warnings)


def test_sso_made_account_sets_a_password_right_after_signing_in_through_the_provider(
    sso_made_hr: User, client_for
) -> None:
    client = _signed_in_through(client_for(sso_made_hr), "saml-alpha", seconds_ago=30)
    response = client.post(SET_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    sso_made_hr.refresh_from_db()
    assert sso_made_hr.check_password(NEW_PASSWORD["password1"])


def test_a_recent_sign_in_through_another_provider_does_not_count(
    sso_made_hr: User, client_for
) -> None:
    client = _signed_in_through(client_for(sso_made_hr), "saml-beta", seconds_ago=30)
    response = client.post(SET_PASSWORD, NEW_PASSWORD)
    sso_made_hr.refresh_from_db()
    assert not sso_made_hr.has_usable_password()
    _assert_sent_to_alpha_sign_in(response, SET_PASSWORD)


@pytest.mark.parametrize("method", ["get", "post"])
def test_stolen_cookie_cannot_see_a_totp_secret_nor_activate_one(
    sso_made_hr: User, client_for, method: str
) -> None:
    client = client_for(sso_made_hr)
    response = getattr(client, method)(ACTIVATE_TOTP, {"code": "123456"})
    _assert_sent_to_alpha_sign_in(response, ACTIVATE_TOTP)
    assert not Authenticator.objects.filter(user=sso_made_hr).exists()


def test_totp_page_opens_right_after_signing_in_through_the_provider(
    sso_made_hr: User, client_for
) -> None:
    client = _signed_in_through(client_for(sso_made_hr), "saml-alpha", seconds_ago=30)
    assert client.get(ACTIVATE_TOTP).status_code == 200


def test_stolen_cookie_cannot_add_an_address_to_reset_a_password_through(
    sso_made_hr: User, client_for
) -> None:
    client = client_for(sso_made_hr)
    response = client.post("/accounts/email/", {"action_add": "", "email": "thief@evil.example"})
    assert not EmailAddress.objects.filter(email="thief@evil.example").exists()
    _assert_sent_to_alpha_sign_in(response, "/accounts/email/")


def test_without_live_single_sign_on_there_is_no_way_to_confirm_and_the_change_is_refused(
    sso_made_hr: User, sso: SingleSignOn, alpha: Tenant, client_for
) -> None:
    with alpha.scope():
        sso.status = SingleSignOn.Status.DRAFT
        sso.save(update_fields=["status"])
    response = client_for(sso_made_hr).post(SET_PASSWORD, NEW_PASSWORD)
    sso_made_hr.refresh_from_db()
    assert not sso_made_hr.has_usable_password()
    assert response.status_code == 403
    assert "Ask an HR admin" in response.content.decode()


def test_an_account_with_a_password_is_not_stepped_up(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.hr)  # has a password: allauth re-authenticates it itself
    assert client.get("/accounts/email/").status_code == 200
    # Setting a password does not apply; allauth sends to "change password" as before.
    response = client.get(SET_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/"
    reauthenticated(client)
    client.post("/accounts/email/", {"action_add": "", "email": "hr-second@alpha.test"})
    assert EmailAddress.objects.filter(user=alpha.hr, email="hr-second@alpha.test").exists()


def test_sso_only_bound_account_cannot_set_a_password_even_just_after_signing_in(
    alpha: Tenant, client_for
) -> None:
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        sso = saml_sso(alpha.organization, sso_only=True)
    user = User.objects.create_user(email="made-by-sso@alpha.test")
    MembershipFactory(organization=alpha.organization, user=user, is_hr_admin=True)
    SocialAccount.objects.create(user=user, provider=sso.provider_id, uid="x")
    client = _signed_in_through(client_for(user), sso.provider_id, seconds_ago=30)
    response = client.post(SET_PASSWORD, NEW_PASSWORD)
    user.refresh_from_db()
    assert not user.has_usable_password(), "an SSO-only account got a password"
    assert response.status_code == 403
    assert "signs in through single sign-on only" in response.content.decode()
