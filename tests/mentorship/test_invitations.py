"""HR admins invite by email; the link leads through sign-in to the membership, once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from mentorship.models import AuditEvent, Invitation, Membership, Role
from mentorship.tenancy import across_all_organizations
from tests.conftest import Tenant
from tests.factories import UserFactory


@pytest.fixture
def send_invite(alpha: Tenant, client_for, django_capture_on_commit_callbacks):
    """``send_invite(email, role)``: alpha's HR admin invites; returns the link in the email."""
    hr = client_for(alpha.hr)
    return lambda email, role: invite(hr, alpha, email, role, django_capture_on_commit_callbacks)


def invite(client, tenant: Tenant, email: str, role: Role, capture) -> str:
    with capture(execute=True):
        response = client.post(
            f"/o/{tenant.organization.slug}/invitations/", {"email": email, "role": role.value}
        )
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == [email]
    return re.search(r"http://testserver(/invitations/[^/\s]+/)", message.body).group(1)


def test_hr_admin_invites_and_the_invitee_joins_with_that_role(
    alpha: Tenant, client_for, send_invite
) -> None:
    link = send_invite("newbie@example.com", Role.SPONSOR)
    assert "Alpha" in mail.outbox[-1].subject

    newbie = UserFactory(email="newbie@example.com")
    client = client_for(newbie)
    page = client.get(link)
    assert page.status_code == 200
    assert "Executive sponsor" in page.content.decode()
    response = client.post(link)
    assert response["Location"] == f"/o/{alpha.organization.slug}/"
    with alpha.scope():
        membership = Membership.objects.get(user=newbie)
        assert membership.roles == [Role.SPONSOR]
        assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITATION_ACCEPTED).exists()


def test_a_used_link_says_so(alpha: Tenant, client_for, send_invite) -> None:
    link = send_invite("once@example.com", Role.PARTICIPANT)
    client = client_for(UserFactory(email="once@example.com"))
    client.post(link)
    again = client.get(link)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


def test_an_expired_link_says_so(alpha: Tenant, client_for, send_invite) -> None:
    link = send_invite("late@example.com", Role.PARTICIPANT)
    with across_all_organizations():
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client_for(UserFactory(email="late@example.com")).get(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_revoked_link_says_so(alpha: Tenant, client_for, send_invite) -> None:
    hr = client_for(alpha.hr)
    link = send_invite("gone@example.com", Role.PARTICIPANT)
    with alpha.scope():
        invitation = Invitation.objects.get(email="gone@example.com")
    confirm = hr.get(f"/o/{alpha.organization.slug}/invitations/{invitation.pk}/revoke/")
    assert "Withdraw the invitation" in confirm.content.decode()
    hr.post(f"/o/{alpha.organization.slug}/invitations/{invitation.pk}/revoke/")
    response = client_for(UserFactory(email="gone@example.com")).get(link)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_a_made_up_link_is_not_found(client, db) -> None:
    response = client.get("/invitations/not-a-real-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_a_forwarded_link_does_not_let_someone_else_in(
    alpha: Tenant, client_for, send_invite
) -> None:
    link = send_invite("meant@example.com", Role.HR_ADMIN)
    intruder = UserFactory(email="intruder@example.com")
    response = client_for(intruder).post(link)
    assert response.status_code == 200
    assert "This invitation is for meant@example.com" in response.content.decode()
    with alpha.scope():
        assert not Membership.objects.filter(user=intruder).exists()


def test_an_anonymous_invitee_is_asked_to_sign_in_and_comes_back(
    alpha: Tenant, client, client_for, send_invite
) -> None:
    link = send_invite("fresh@example.com", Role.PARTICIPANT)
    page = client.get(link)
    assert "Create an account" in page.content.decode()
    UserFactory(email="fresh@example.com")
    assert client.login(username="fresh@example.com", password="correct horse battery staple")
    assert client.get("/")["Location"] == link


def test_inviting_an_existing_member_with_the_same_role_is_refused(
    alpha: Tenant, client_for
) -> None:
    response = client_for(alpha.hr).post(
        f"/o/{alpha.organization.slug}/invitations/",
        {"email": alpha.sponsor.email, "role": Role.SPONSOR.value},
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b"])
def test_invalid_addresses_are_refused_with_a_message(
    alpha: Tenant, client_for, email: str
) -> None:
    response = client_for(alpha.hr).post(
        f"/o/{alpha.organization.slug}/invitations/", {"email": email, "role": "participant"}
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    with alpha.scope():
        assert not Invitation.objects.exists()


def test_participants_cannot_open_the_invitations_page(alpha: Tenant, client_for) -> None:
    assert (
        client_for(alpha.participant).get(f"/o/{alpha.organization.slug}/invitations/").status_code
        == 404
    )


def test_a_new_person_signs_up_from_the_link_and_lands_on_the_acceptance(
    alpha: Tenant, client, client_for, send_invite
) -> None:
    link = send_invite("brand.new@example.com", Role.PARTICIPANT)
    client.get(link)
    client.post(
        f"/accounts/signup/?next={link}",
        {
            "email": "brand.new@example.com",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    confirm = re.search(r"https?://testserver(/accounts/confirm-email/\S+)", mail.outbox[-1].body)
    response = client.post(confirm.group(1), follow=True)
    assert response.redirect_chain[-1][0] == link
    assert "Accept and join" in response.content.decode()
    client.post(link)
    with alpha.scope():
        assert Membership.objects.get(user__email="brand.new@example.com").is_participant


def test_operators_create_an_organisation_with_its_first_hr_admin(
    db, django_capture_on_commit_callbacks
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    from mentorship.models import Organization

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_organization",
            "initech",
            "Initech",
            "--hr-admin",
            "boss@initech.test",
            stdout=out,
        )
    assert Organization.objects.get(slug="initech").name == "Initech"
    assert mail.outbox[-1].to == ["boss@initech.test"]
    assert (
        "An HR admin invited you" in mail.outbox[-1].body or "invited you" in mail.outbox[-1].body
    )
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_organization", "initech", "Again", "--hr-admin", "x@initech.test")
    with pytest.raises(CommandError):
        call_command("create_organization", "bad slug!", "Bad", "--hr-admin", "x@initech.test")
