"""HR admins invite by email; the link leads through sign-in to the membership, once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from mentorship import delivery, services
from mentorship.models import AuditEvent, Invitation, Membership, Role
from mentorship.tenancy import across_all_organizations
from tests.conftest import Tenant
from tests.factories import MembershipFactory, UserFactory


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


def test_a_removed_member_invited_back_gets_only_the_new_role(
    alpha: Tenant, client_for, send_invite
) -> None:
    other_hr = MembershipFactory(organization=alpha.organization, is_hr_admin=True)
    with alpha.scope():
        services.membership_remove(membership=other_hr, actor=alpha.hr)
    link = send_invite(other_hr.user.email, Role.PARTICIPANT)
    client_for(other_hr.user).post(link)
    with alpha.scope():
        other_hr.refresh_from_db()
    assert other_hr.roles == [Role.PARTICIPANT]
    assert client_for(other_hr.user).get("/o/alpha/members/").status_code == 404


def test_an_invitation_withdrawn_while_the_invitee_looks_at_it_cannot_be_accepted(
    alpha: Tenant, client_for, send_invite
) -> None:
    link = send_invite("slow@example.com", Role.HR_ADMIN)
    user = UserFactory(email="slow@example.com")
    with across_all_organizations():
        stale = Invitation.objects.get(email="slow@example.com")  # what the page loaded
        Invitation.objects.filter(pk=stale.pk).update(revoked_at=timezone.now())  # HR withdraws
    with pytest.raises(ValidationError, match="withdrawn"):
        services.invitation_accept(invitation=stale, user=user)
    with alpha.scope():
        assert not Membership.objects.filter(user=user).exists()
    assert client_for(user).get(link).status_code == 410


def test_withdrawing_an_invitation_accepted_meanwhile_is_refused(
    alpha: Tenant, send_invite
) -> None:
    send_invite("quick@example.com", Role.PARTICIPANT)
    with alpha.scope():
        stale = Invitation.objects.get(email="quick@example.com")
        Invitation.objects.filter(pk=stale.pk).update(accepted_at=timezone.now())
        with pytest.raises(ValidationError, match="already accepted"):
            services.invitation_revoke(invitation=stale, actor=alpha.hr)


def test_the_email_is_sent_once_and_the_secret_never_enters_the_broker(
    alpha: Tenant, send_invite, monkeypatch
) -> None:
    from mentorship.tasks import send_invitation_email

    enqueued: list[dict] = []
    original = send_invitation_email.delay_on_commit
    monkeypatch.setattr(
        send_invitation_email,
        "delay_on_commit",
        lambda **kwargs: (enqueued.append(kwargs), original(**kwargs)),
    )
    link = send_invite("once-only@example.com", Role.PARTICIPANT)
    assert set(enqueued[0]) == {"organization_id", "invitation_id"}
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in repr(enqueued)
    with alpha.scope():
        assert delivery.invitation_email_send(invitation_id=enqueued[0]["invitation_id"]) is False
    assert len(mail.outbox) == 1


def test_a_forwarded_link_says_so_before_any_click(alpha: Tenant, client_for, send_invite) -> None:
    link = send_invite("meant2@example.com", Role.PARTICIPANT)
    page = client_for(UserFactory(email="someone.else@example.com")).get(link).content.decode()
    assert "This invitation is for meant2@example.com" in page
    assert "Accept and join" not in page


def test_an_unknown_role_is_refused_with_a_message(alpha: Tenant, client_for) -> None:
    response = client_for(alpha.hr).post(
        "/o/alpha/invitations/", {"email": "ok@example.com", "role": "owner"}
    )
    assert "Select a valid choice" in response.content.decode()
