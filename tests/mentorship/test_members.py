"""The members page: list, filter, change roles, remove with confirmation, history kept."""

from __future__ import annotations

from mentorship.models import AuditEvent, Membership, Role
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.queries import assert_queries_do_not_grow


def url(tenant: Tenant, suffix: str = "") -> str:
    return f"/o/{tenant.organization.slug}/members/{suffix}"


def test_hr_admin_sees_members_of_their_organisation_only(
    alpha: Tenant, beta: Tenant, client_for
) -> None:
    body = client_for(alpha.hr).get(url(alpha)).content.decode()
    assert alpha.sponsor.email in body
    assert beta.sponsor.email not in body


def test_filter_by_role_and_text(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.hr)
    body = client.get(url(alpha), {"role": "sponsor"}).content.decode()
    assert alpha.sponsor.email in body and alpha.participant.email not in body
    body = client.get(url(alpha), {"q": "participant@"}).content.decode()
    assert alpha.participant.email in body and alpha.sponsor.email not in body
    assert "No members match" in client.get(url(alpha), {"q": "zzz"}).content.decode()


def test_htmx_filter_returns_only_the_table(alpha: Tenant, client_for) -> None:
    response = client_for(alpha.hr).get(url(alpha), {"role": "sponsor"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<table>" in body and "<html" not in body


def test_change_roles(alpha: Tenant, client_for) -> None:
    member = alpha.members[Role.PARTICIPANT]
    response = client_for(alpha.hr).post(
        url(alpha, f"{member.pk}/"), {"roles": ["participant", "sponsor"]}
    )
    assert response.status_code == 302
    with alpha.scope():
        member.refresh_from_db()
        assert member.roles == [Role.SPONSOR, Role.PARTICIPANT]
        assert AuditEvent.objects.filter(action=AuditEvent.Action.ROLES_CHANGED).count() == 1


def test_a_member_needs_at_least_one_role(alpha: Tenant, client_for) -> None:
    member = alpha.members[Role.PARTICIPANT]
    response = client_for(alpha.hr).post(url(alpha, f"{member.pk}/"), {"roles": []})
    assert "Choose at least one role" in response.content.decode()


def test_the_last_hr_admin_cannot_demote_or_remove_themselves(alpha: Tenant, client_for) -> None:
    me = alpha.members[Role.HR_ADMIN]
    client = client_for(alpha.hr)
    response = client.post(url(alpha, f"{me.pk}/"), {"roles": ["participant"]})
    assert "only HR admin" in response.content.decode()
    response = client.post(url(alpha, f"{me.pk}/remove/"))
    assert "only HR admin" in response.content.decode()
    with alpha.scope():
        me.refresh_from_db()
        assert me.is_hr_admin and me.removed_at is None


def test_removal_asks_first_then_keeps_history(alpha: Tenant, client_for) -> None:
    member = alpha.members[Role.SPONSOR]
    client = client_for(alpha.hr)
    confirm = client.get(url(alpha, f"{member.pk}/remove/"))
    assert "history" in confirm.content.decode()
    with alpha.scope():
        member.refresh_from_db()
        assert member.removed_at is None  # looking at the confirmation changes nothing
    client.post(url(alpha, f"{member.pk}/remove/"))
    with alpha.scope():
        member.refresh_from_db()
        assert member.removed_at is not None  # the row stays: history is kept
        assert AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_REMOVED).exists()
    assert member.user.email not in client.get(url(alpha)).content.decode()


def test_sponsors_and_participants_cannot_manage_members(alpha: Tenant, client_for) -> None:
    for user in (alpha.sponsor, alpha.participant):
        assert client_for(user).get(url(alpha)).status_code == 404


def test_members_page_query_count_does_not_grow_with_members(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.hr)

    def page() -> None:
        assert client.get(url(alpha)).status_code == 200

    def grow() -> None:
        for _ in range(30):
            MembershipFactory(organization=alpha.organization, is_participant=True)

    # session, user, membership+organisation, count, page of members with users,
    # the header's organisations and unread count
    assert_queries_do_not_grow(page, grow=grow, at_most=7)
    with alpha.scope():
        assert Membership.objects.count() == 33


def test_htmx_back_button_restores_the_whole_page(alpha: Tenant, client_for) -> None:
    response = client_for(alpha.hr).get(
        url(alpha), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]
