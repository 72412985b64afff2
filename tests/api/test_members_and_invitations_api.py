"""Members through the API (read) and invitations (create): members show their roles and
whether they are still active, another organisation's are not found; an invitation is checked
and sent as from the Invitations page, and a key never invites an HR admin."""

from __future__ import annotations

from django.core import mail

from mentorship import services
from mentorship.forms import InvitationForm
from mentorship.models import AuditEvent, Invitation, Role
from tests.api.support import api_client, results
from tests.conftest import Tenant
from tests.factories import MembershipFactory, UserFactory
from tests.queries import assert_queries_do_not_grow

MEMBERS = "/api/v1/members/"
INVITATIONS = "/api/v1/invitations/"


def test_members_show_email_name_roles_and_whether_they_are_active(alpha: Tenant) -> None:
    with alpha.scope():
        services.membership_remove(membership=alpha.members[Role.SPONSOR], actor=alpha.hr)
    rows = {row["email"]: row for row in results(api_client(alpha.organization).get(MEMBERS))}
    hr = rows[alpha.hr.email]
    assert hr["roles"] == ["hr_admin"]
    assert hr["name"] == alpha.hr.get_full_name()
    assert hr["active"] is True
    assert rows[alpha.sponsor.email]["active"] is False
    assert set(hr) == {"id", "email", "name", "roles", "active", "created_at", "updated_at"}


def test_another_organisations_members_are_not_listed_nor_found(
    alpha: Tenant, beta: Tenant
) -> None:
    client = api_client(alpha.organization)
    listed = {row["email"] for row in results(client.get(MEMBERS))}
    assert listed == {alpha.hr.email, alpha.sponsor.email, alpha.participant.email}
    theirs = beta.members[Role.HR_ADMIN]
    response = client.get(f"{MEMBERS}{theirs.pk}/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_members_list_costs_the_same_queries_at_any_size(alpha: Tenant) -> None:
    client = api_client(alpha.organization)

    def grow(n: int) -> None:
        for _ in range(n):
            MembershipFactory(organization=alpha.organization, user=UserFactory(), is_sponsor=True)

    client.get(MEMBERS)  # the key's "last used" is recorded once a minute
    # The key; the members with their accounts.
    assert_queries_do_not_grow(
        lambda: client.get(f"{MEMBERS}?page_size=100"), grow=lambda: grow(40), pinned=2
    )


def test_an_invitation_is_sent_as_from_the_page(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    client = api_client(alpha.organization, write=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            INVITATIONS, {"email": "New@Example.com", "role": "participant"}, format="json"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["role"], body["status"]) == (
        "new@example.com",
        "participant",
        "pending",
    )
    assert mail.outbox[-1].to == ["new@example.com"]
    with alpha.scope():
        assert Invitation.objects.get().pk == body["id"]
        assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITATION_SENT).exists()


def test_a_bad_address_gets_the_pages_message_and_nothing_is_sent(alpha: Tenant) -> None:
    page = InvitationForm(data={"email": "a@b", "role": "participant"})
    assert not page.is_valid()
    response = api_client(alpha.organization, write=True).post(
        INVITATIONS, {"email": "a@b", "role": "participant"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"email": page.errors["email"]}
    with alpha.scope():
        assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_key_cannot_invite_an_hr_admin_nor_write_when_read_only(alpha: Tenant) -> None:
    writer = api_client(alpha.organization, write=True)
    response = writer.post(
        INVITATIONS, {"email": "boss@example.com", "role": "hr_admin"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"role"}
    reader = api_client(alpha.organization)
    response = reader.post(
        INVITATIONS, {"email": "new@example.com", "role": "participant"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "read_only_key")
    with alpha.scope():
        assert not Invitation.objects.exists()


def test_inviting_a_member_who_already_has_the_role_is_a_conflict(alpha: Tenant) -> None:
    response = api_client(alpha.organization, write=True).post(
        INVITATIONS, {"email": alpha.sponsor.email, "role": "sponsor"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "already_member")
    assert "already a member" in response.json()["message"]
