"""Accounts through django-allauth: email login, mandatory verification, reset, re-authentication,
rate limits, and the record of sign-ins."""

from __future__ import annotations

import re

from django.core import mail

from mentorship.models import AuditEvent, SignIn
from tests.conftest import PASSWORD, Tenant


def test_sign_up_requires_email_verification(client, db) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "email": "New.Person@Example.com",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/").status_code == 302  # not signed in before verifying
    link = re.search(
        r"https?://testserver(/accounts/confirm-email/\S+)", mail.outbox[-1].body
    ).group(1)
    client.post(link)
    page = client.get("/", follow=True).content.decode()
    assert "not a member of any organisation yet" in page


def test_sign_in_by_email_lands_on_the_organisation(alpha: Tenant, client) -> None:
    response = client.post(
        "/accounts/login/", {"login": alpha.hr.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/o/{alpha.organization.slug}/"


def test_sign_ins_are_the_users_own_and_the_organisation_records_the_entry(
    alpha: Tenant, beta: Tenant, client
) -> None:
    client.post("/accounts/login/", {"login": alpha.hr.email, "password": "wrong"})
    client.post("/accounts/login/", {"login": alpha.hr.email, "password": PASSWORD})
    assert [s.succeeded for s in SignIn.objects.filter(user=alpha.hr)] == [True, False]
    with alpha.scope():
        assert not AuditEvent.objects.exists()  # signing in is not entering
    client.get("/o/alpha/")
    with alpha.scope():
        actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == [AuditEvent.Action.ORGANIZATION_ENTERED]
    with beta.scope():
        assert not AuditEvent.objects.exists()


def test_repeated_failures_lock_the_address_for_a_while(alpha: Tenant, client) -> None:
    for _ in range(5):
        client.post("/accounts/login/", {"login": alpha.hr.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"login": alpha.hr.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link(alpha: Tenant, client) -> None:
    client.post("/accounts/password/reset/", {"email": alpha.hr.email})
    assert "/accounts/password/reset/key/" in mail.outbox[-1].body


def test_changing_email_or_enabling_mfa_asks_to_reauthenticate(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.hr)  # signed in without a fresh password entry
    response = client.post("/accounts/email/", {"action_add": "", "email": "other@example.com"})
    assert response.status_code == 302 and "/accounts/reauthenticate/" in response["Location"]
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302 and "/accounts/reauthenticate/" in response["Location"]


def test_mfa_offers_totp_and_security_keys(alpha: Tenant, client) -> None:
    client.post("/accounts/login/", {"login": alpha.hr.email, "password": PASSWORD})
    page = client.get("/accounts/2fa/").content.decode()
    assert "Authenticator App" in page
    assert "Security Keys" in page


def test_account_pages_use_the_app_layout(client, db) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert 'class="skip-link"' in page and "<main" in page
