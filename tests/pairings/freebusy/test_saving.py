"""Saving an address: at most one read a minute per member, whatever is saved; the address
kept out of error reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mentorship.events import fence
from mentorship.models import Membership, Role
from mentorship.tenancy import across_all_organizations
from pairings.models import BusyCalendar
from tests.conftest import Tenant

GOOGLE = (
    "https://calendar.google.com/calendar/ical/sam%40example.com/"
    "private-0123456789abcdef0123456789abcdef/basic.ics"
)


@pytest.fixture(autouse=True)
def _names(monkeypatch: pytest.MonkeyPatch, settings: object) -> None:
    settings.CALENDARS_ALLOW_PRIVATE_NETWORKS = False  # type: ignore[attr-defined]
    monkeypatch.setattr(fence, "resolve", lambda host, port: ["142.250.74.238"])


def page(tenant: Tenant) -> str:
    return f"/o/{tenant.organization.slug}/calendar/busy/"


def calendar_of(membership: Membership) -> BusyCalendar:
    with across_all_organizations():
        return BusyCalendar.objects.get(membership=membership)


def attempted(membership: Membership, ago: timedelta) -> None:
    with across_all_organizations():
        BusyCalendar.objects.filter(membership=membership).update(
            state=BusyCalendar.State.OK,
            busy=[[1, 2]],
            last_attempt_at=timezone.now() - ago,
            next_fetch_at=timezone.now() + timedelta(minutes=14),
        )


def test_the_same_address_again_within_the_minute_changes_nothing_and_says_so(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alpha.participant)
    membership = alpha.members[Role.PARTICIPANT]
    client.post(page(alpha), {"url": GOOGLE})
    attempted(membership, timedelta(seconds=10))
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(page(alpha), {"url": GOOGLE}, follow=True)
    assert queued == []
    assert "already connected" in response.content.decode()
    assert "at most once a minute" in response.content.decode()
    kept = calendar_of(membership)
    assert kept.state == BusyCalendar.State.OK and kept.busy == [[1, 2]]


def test_the_same_address_again_after_the_minute_reads_it_again(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alpha.participant)
    membership = alpha.members[Role.PARTICIPANT]
    client.post(page(alpha), {"url": GOOGLE})
    attempted(membership, timedelta(minutes=2))
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(page(alpha), {"url": GOOGLE}, follow=True)
    assert len(queued) == 1
    assert "being read again" in response.content.decode()
    assert calendar_of(membership).busy == [[1, 2]]


def test_another_address_within_the_minute_is_stored_and_read_when_the_minute_is_over(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alpha.participant)
    membership = alpha.members[Role.PARTICIPANT]
    client.post(page(alpha), {"url": GOOGLE})
    attempted(membership, timedelta(seconds=10))
    last_attempt = calendar_of(membership).last_attempt_at
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(page(alpha), {"url": GOOGLE + "?other"}, follow=True)
    assert queued == []
    assert "read within a minute" in response.content.decode()
    replaced = calendar_of(membership)
    assert replaced.state == BusyCalendar.State.PENDING and replaced.busy == []
    assert replaced.next_fetch_at == last_attempt + timedelta(minutes=1)


def test_the_address_is_kept_out_of_error_reports(alpha: Tenant, client_for) -> None:
    response = client_for(alpha.participant).post(page(alpha), {"url": GOOGLE})
    assert response.wsgi_request.sensitive_post_parameters == ("url",)
