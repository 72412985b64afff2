"""A sign-in is the person's own record; an organisation sees only that they came in.

A consultant who belongs to two organisations and signs in to work for one of them must leave no
trace (time, address) in the other's audit log.
"""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from mentorship.models import AuditEvent, User
from tests.conftest import PASSWORD, Tenant, totp_code
from tests.factories import MembershipFactory, UserFactory

ADDRESS = "198.51.100.7"


@pytest.fixture
def consultant(alpha: Tenant, beta: Tenant) -> User:
    user = UserFactory(email="consultant@example.com")
    for tenant in (alpha, beta):
        MembershipFactory(organization=tenant.organization, user=user, is_participant=True)
    return user


def sign_in(user: User, address: str = ADDRESS) -> Client:
    client = Client(REMOTE_ADDR=address)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def events_of(tenant: Tenant, user: User) -> list[AuditEvent]:
    with tenant.scope():
        return list(AuditEvent.objects.filter(summary__contains=user.email))


def test_signing_in_to_work_for_one_organisation_leaves_no_trace_in_the_other(
    alpha: Tenant, beta: Tenant, consultant: User, client_for
) -> None:
    client = sign_in(consultant)
    assert client.get("/o/beta/").status_code == 200
    assert client.get("/o/beta/programs/").status_code == 200  # a second page, same session

    assert events_of(alpha, consultant) == []
    assert consultant.email not in client_for(alpha.hr).get("/o/alpha/audit/").content.decode()

    (entered,) = events_of(beta, consultant)
    assert entered.action == AuditEvent.Action.ORGANIZATION_ENTERED
    assert (entered.actor, entered.ip_address) == (consultant, ADDRESS)
    page = client_for(beta.hr).get("/o/beta/audit/").content.decode()
    assert f"{consultant.email} entered the organisation" in page and ADDRESS in page


def test_the_person_sees_their_own_sign_ins_with_the_address_and_failed_attempts(
    alpha: Tenant, consultant: User
) -> None:
    Client(REMOTE_ADDR="203.0.113.66").post(
        "/accounts/login/", {"login": consultant.email, "password": "wrong"}
    )
    client = sign_in(consultant)
    sign_in(alpha.hr, address="192.0.2.99")  # someone else's

    page = client.get("/accounts/sign-ins/")
    assert page.status_code == 200
    rows = [(s.succeeded, s.ip_address, s.get_method_display()) for s in page.context["page"]]
    assert rows == [(True, ADDRESS, "Password"), (False, "203.0.113.66", "Password")]
    html = page.content.decode()
    assert ADDRESS in html and "203.0.113.66" in html and "192.0.2.99" not in html
    assert "Failed attempt" in html
    assert '<a href="/accounts/sign-ins/">Sign-ins</a>' in html  # in the account menu
    # A failed attempt is about the account, not about an organisation: no audit event either.
    assert events_of(alpha, consultant) == []


def test_each_session_enters_an_organisation_once(beta: Tenant, consultant: User) -> None:
    first = sign_in(consultant)
    for _ in range(3):
        first.get("/o/beta/")
    second = sign_in(consultant, address="192.0.2.10")
    second.get("/o/beta/")
    first.get("/o/beta/")
    assert sorted((e.action, e.ip_address) for e in events_of(beta, consultant)) == [
        (AuditEvent.Action.ORGANIZATION_ENTERED, "192.0.2.10"),
        (AuditEvent.Action.ORGANIZATION_ENTERED, ADDRESS),
    ]


def test_the_sign_ins_page_needs_a_signed_in_user(client, db) -> None:
    assert client.get("/accounts/sign-ins/")["Location"].startswith("/accounts/login/")


def test_a_sign_in_with_a_second_factor_says_so(consultant: User) -> None:
    secret = generate_totp_secret()
    TOTP.activate(consultant, secret)
    client = Client(REMOTE_ADDR=ADDRESS)
    client.post("/accounts/login/", {"login": consultant.email, "password": PASSWORD})
    assert not consultant.sign_ins.exists()  # the password alone has not signed in yet
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    (sign_in,) = client.get("/accounts/sign-ins/").context["page"]
    assert sign_in.get_method_display() == "Password and second factor"
