"""A bulk invitation (an import of thousands) goes out from the one wake-up after it, page after
page, instead of one page a minute from beat: found by ``make bench``, where the 6,500
invitations the import bench left went out 500 a tick."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from mentorship import selectors
from mentorship.frame.ticks import tick
from mentorship.models import Invitation, Role
from mentorship.services import invitations_create_bulk
from tests.conftest import Tenant


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(selectors, "INVITATION_EMAIL_PAGE", 3)
    return 3


def emails(n: int, domain: str = "alpha.example") -> list[str]:
    return [f"newcomer{i:02d}@{domain}" for i in range(n)]


def waiting(tenant: Tenant, addresses: list[str], **fields: object) -> None:
    """Invitations whose email has not gone out (as a bulk insert leaves them)."""
    with tenant.scope():
        Invitation.objects.bulk_create(
            Invitation(
                organization=tenant.organization,
                email=email,
                role=Role.PARTICIPANT,
                expires_at=timezone.now() + timedelta(days=7),
                **fields,
            )
            for email in addresses
        )


def test_an_import_of_more_than_a_page_of_invitations_emails_each_once_from_one_wake_up(
    alpha: Tenant, django_capture_on_commit_callbacks, small_pages: int
) -> None:
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        invited = invitations_create_bulk(
            organization=alpha.organization,
            emails=emails(3 * small_pages + 1),  # three full pages and one more
            role=Role.PARTICIPANT,
            invited_by=alpha.hr,
        )
    assert invited == 10
    assert sorted(m.to[0] for m in mail.outbox) == sorted(emails(10))
    with alpha.scope():
        assert not Invitation.objects.filter(emailed_at__isnull=True).exists()


def test_pages_follow_creation_order_and_skip_nothing_created_in_the_same_instant(
    alpha: Tenant, small_pages: int
) -> None:
    """Invitations of one bulk insert can share their creation time: the page boundary is the
    (time, id) pair, so none is read twice or skipped."""
    waiting(alpha, emails(8), created_at=timezone.now())
    pages, after = [], None
    while page := selectors.invitations_due_for_email_across_organizations(after=after):
        pages.append([pk for _, pk, _ in page])
        after = (page[-1][2], page[-1][1])
    assert [len(p) for p in pages] == [3, 3, 2]
    ids = [pk for p in pages for pk in p]
    assert ids == sorted(ids) and len(set(ids)) == 8


def test_one_beat_tick_emails_every_waiting_invitation(
    alpha: Tenant, beta: Tenant, small_pages: int
) -> None:
    now = timezone.now()
    for tenant in (alpha, beta):
        waiting(tenant, emails(4, tenant.organization.slug + ".example"))
    rows = {row.name: row for row in tick(now=now)}
    assert rows["invitation emails"].sent == 8
    assert rows["invitation emails"].organizations == 2
    assert len(mail.outbox) == 8
    assert {row.name: row.sent for row in tick(now=now)}["invitation emails"] == 0
