"""The second factor is asked of each session, not only of the account.

The MFA gates (an organisation's policy, the operator admin) let a session in only if that
session itself passed a second factor. Adding or removing one ends the account's other sessions.
"""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from mentorship.models import Organization, User
from tests.conftest import PASSWORD, Tenant, totp_code

CONFIRM = "/accounts/2fa/reauthenticate/"


def sign_in(email: str, user_agent: str) -> Client:
    """A browser signed in through allauth's form with the password alone."""
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def sign_in_with_code(email: str, user_agent: str, code: str) -> Client:
    """A browser signed in with the password, then a code (TOTP or recovery code)."""
    client = sign_in(email, user_agent)
    assert client.get("/o/alpha/")["Location"].startswith("/accounts/login/")  # not yet
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    return client


def signed_out(client: Client) -> bool:
    response = client.get("/o/alpha/")
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.fixture
def strict(alpha: Tenant) -> Tenant:
    """Alpha requires a second factor of HR admins and sponsors; its HR admin is an operator too."""
    Organization.objects.filter(pk=alpha.organization.pk).update(mfa_required=True)
    User.objects.filter(pk=alpha.hr.pk).update(is_staff=True, is_superuser=True)
    return alpha


def enrol_totp(client: Client) -> str:
    """Activate an authenticator app through allauth's pages in ``client``; returns its secret.

    allauth announces the new authenticator once its transaction commits, from inside the
    request: the test must run with real commits (``transaction=True``) for the announcement
    to reach the session as it does in production."""
    confirm = client.get("/accounts/2fa/totp/activate/")["Location"]
    assert confirm.startswith("/accounts/reauthenticate/")
    client.post(confirm, {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()
    return secret


def test_a_session_signed_in_with_the_password_alone_is_refused_once_the_account_enrols(
    strict: Tenant,
) -> None:
    hr = strict.hr
    laptop = sign_in(hr.email, "Laptop")
    assert laptop.get("/o/alpha/members/")["Location"] == "/accounts/2fa/"  # enrol first
    # The account gets an authenticator elsewhere (here by a path that ends no session, so the
    # gate alone must hold): the laptop's sign-in still had no second factor.
    secret = generate_totp_secret()
    TOTP.activate(hr, secret)

    response = laptop.get("/o/alpha/members/")
    assert response.status_code == 302
    assert response["Location"] == f"{CONFIRM}?next=%2Fo%2Falpha%2Fmembers%2F"
    page = laptop.get(response["Location"])
    assert page.status_code == 200
    assert "Alpha requires two-factor authentication" in page.content.decode()
    assert "This session signed in without it" in page.content.decode()
    # The operator admin too, every page of it.
    for url in ("/admin/", "/admin/mentorship/organization/"):
        chain = laptop.get(url, follow=True).redirect_chain
        assert chain[-1][0].startswith(CONFIRM), (url, chain)
    assert laptop.get("/accounts/2fa/").status_code == 200  # no loop: the 2FA pages stay open

    # Confirming with the code lets this session in, where it was going.
    response = laptop.post(f"{CONFIRM}?next=%2Fo%2Falpha%2Fmembers%2F", {"code": totp_code(secret)})
    assert response["Location"] == "/o/alpha/members/"
    assert laptop.get("/o/alpha/members/").status_code == 200
    assert laptop.get("/admin/").status_code == 200


def test_a_session_that_passed_the_second_factor_at_sign_in_gets_through(strict: Tenant) -> None:
    secret = generate_totp_secret()
    TOTP.activate(strict.hr, secret)
    client = sign_in_with_code(strict.hr.email, "Laptop", totp_code(secret))
    assert client.get("/o/alpha/members/").status_code == 200
    assert client.get("/admin/mentorship/organization/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_adding_a_second_factor_ends_the_other_sessions_and_counts_for_this_one(
    strict: Tenant,
) -> None:
    hr = strict.hr
    laptop = sign_in(hr.email, "Laptop")
    phone = sign_in(hr.email, "Phone")
    enrol_totp(phone)

    assert signed_out(laptop)
    # The session that enrolled proved the new factor with its code: it goes on, gates included.
    assert phone.get("/o/alpha/members/").status_code == 200
    assert phone.get("/admin/").status_code == 200
    assert phone.get("/accounts/sessions/").context["session_count"] == 1


def test_removing_a_second_factor_ends_the_other_sessions(alpha: Tenant) -> None:
    participant = alpha.participant
    secret = generate_totp_secret()
    TOTP.activate(participant, secret)
    (recovery_code, *_) = RecoveryCodes.activate(participant).get_unused_codes()
    laptop = sign_in_with_code(participant.email, "Laptop", totp_code(secret))
    phone = sign_in_with_code(participant.email, "Phone", recovery_code)
    assert laptop.get("/o/alpha/").status_code == 200

    phone.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert phone.post("/accounts/2fa/totp/deactivate/").status_code == 302
    assert not Authenticator.objects.filter(user=participant).exists()

    assert signed_out(laptop)
    assert phone.get("/o/alpha/").status_code == 200
