"""List pages run the same number of queries whatever the number of rows (pinned at two sizes)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from mentorship.models import AuditEvent, Invitation, Notification, Role
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.queries import assert_queries_do_not_grow


def add_members(t: Tenant, n: int) -> None:
    for _ in range(n):
        MembershipFactory(organization=t.organization, is_participant=True)


def add_invitations(t: Tenant, n: int) -> None:
    with t.scope():
        for i in range(n):
            Invitation.objects.create(
                organization=t.organization,
                email=f"p{i}@example.com",
                role=Role.PARTICIPANT,
                token_hash=uuid.uuid4().hex * 2,
                invited_by=t.hr,
                expires_at="2099-01-01T00:00:00Z",
            )


def add_notifications(t: Tenant, n: int) -> None:
    with t.scope():
        for i in range(n):
            Notification.objects.create(
                organization=t.organization, recipient=t.hr, subject=f"n{i}"
            )


def add_audit(t: Tenant, n: int) -> None:
    with t.scope():
        for i in range(n):
            AuditEvent.objects.create(
                organization=t.organization, action="invitation_sent", summary=f"e{i}", actor=t.hr
            )


# page, how to grow its rows, the pinned number of queries:
#   session, user, membership + organisation (middleware), then the page's own
#   (count + page of rows), then the header (the viewer's organisations, unread count).
CASES: list[tuple[str, Callable[[Tenant, int], None], int]] = [
    ("members/", add_members, 7),
    ("invitations/", add_invitations, 7),
    ("notifications/", add_notifications, 7),
    ("audit/", add_audit, 7),
]


@pytest.mark.parametrize(("page", "grow", "pinned"), CASES, ids=[c[0] for c in CASES])
def test_list_page_queries_do_not_grow_with_rows(
    alpha: Tenant, client_for, page, grow, pinned
) -> None:
    client = client_for(alpha.hr)
    url = f"/o/{alpha.organization.slug}/{page}"

    def page() -> None:
        assert client.get(url).status_code == 200

    grow(alpha, 2)
    assert_queries_do_not_grow(page, grow=lambda: grow(alpha, 40), pinned=pinned)
