"""The beat dispatcher and the per-calendar task: due calendars only, across organisations,
leased so that the next minute does not send for them again, each read once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mentorship.identity.secrets import encrypt
from mentorship.models import Membership, Role
from mentorship.tenancy import across_all_organizations
from pairings import busy_fetch, tasks
from pairings.models import BusyCalendar
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.pairings.freebusy.conftest import CalendarServer, Reply, ics


def connect(membership: Membership, url: str, *, due_in: timedelta = timedelta(0)) -> BusyCalendar:
    with across_all_organizations():
        return BusyCalendar.objects.create(
            organization=membership.organization,
            membership=membership,
            url_encrypted=encrypt(url),
            url_hint=busy_fetch.url_hint(url),
            next_fetch_at=timezone.now() + due_in,
        )


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, int]]:
    calls: list[dict[str, int]] = []
    monkeypatch.setattr(tasks.fetch_busy_calendar, "delay", lambda **kwargs: calls.append(kwargs))
    return calls


def test_the_dispatcher_sends_for_due_calendars_of_every_organisation_once(
    alpha: Tenant, beta: Tenant, sent: list[dict[str, int]]
) -> None:
    a = connect(alpha.members[Role.PARTICIPANT], "https://calendar.example.com/a.ics")
    b = connect(beta.members[Role.HR_ADMIN], "https://calendar.example.com/b.ics")
    connect(
        alpha.members[Role.SPONSOR],
        "https://calendar.example.com/c.ics",
        due_in=timedelta(minutes=9),
    )
    assert tasks.dispatch_busy_calendar_fetches() == 2
    assert sorted(sent, key=lambda c: c["calendar_id"]) == [
        {"organization_id": alpha.organization.pk, "calendar_id": a.pk},
        {"organization_id": beta.organization.pk, "calendar_id": b.pk},
    ]
    # The next minute: leased, not sent for again.
    assert tasks.dispatch_busy_calendar_fetches() == 0
    assert len(sent) == 2


def test_a_lease_that_runs_out_unread_is_sent_for_again(
    alpha: Tenant, sent: list[dict[str, int]]
) -> None:
    calendar = connect(alpha.members[Role.PARTICIPANT], "https://calendar.example.com/a.ics")
    tasks.dispatch_busy_calendar_fetches()
    # The task's message was lost: after the lease, the dispatcher catches up.
    with across_all_organizations():
        BusyCalendar.objects.filter(pk=calendar.pk).update(
            next_fetch_at=timezone.now() - timedelta(seconds=1)
        )
    assert tasks.dispatch_busy_calendar_fetches() == 1


@pytest.mark.parametrize("calendars", [1, 12])
def test_a_dispatch_costs_the_same_whatever_is_due(
    alpha: Tenant,
    sent: list[dict[str, int]],
    calendars: int,
    django_assert_max_num_queries: object,
) -> None:
    for _ in range(calendars):
        member = MembershipFactory(organization=alpha.organization, is_participant=True)
        connect(member, "https://calendar.example.com/a.ics")
    with django_assert_max_num_queries(2):  # the due calendars; their lease
        assert tasks.dispatch_busy_calendar_fetches() == calendars


def test_a_dispatch_with_nothing_due_is_one_query(
    alpha: Tenant, sent: list[dict[str, int]], django_assert_num_queries: object
) -> None:
    connect(
        alpha.members[Role.PARTICIPANT], "https://c.example.com/a.ics", due_in=timedelta(minutes=3)
    )
    with django_assert_num_queries(1):
        assert tasks.dispatch_busy_calendar_fetches() == 0


@pytest.mark.usefixtures("private_networks_allowed")
def test_the_task_reads_in_its_organisation_and_twice_is_once(
    alpha: Tenant, calendar_server: CalendarServer
) -> None:
    url = calendar_server.serve("/private/basic.ics", Reply(body=ics("google.ics")))
    calendar = connect(alpha.members[Role.PARTICIPANT], url)
    org = alpha.organization.pk
    assert tasks.fetch_busy_calendar(organization_id=org, calendar_id=calendar.pk) == "read"
    assert tasks.fetch_busy_calendar(organization_id=org, calendar_id=calendar.pk) == "skipped"
    assert len(calendar_server.requests) == 1
    with across_all_organizations():
        assert BusyCalendar.objects.get(pk=calendar.pk).state == BusyCalendar.State.OK


@pytest.mark.usefixtures("private_networks_allowed")
def test_the_task_never_reads_another_organisations_calendar(
    alpha: Tenant, beta: Tenant, calendar_server: CalendarServer
) -> None:
    url = calendar_server.serve("/private/basic.ics", Reply(body=ics("google.ics")))
    calendar = connect(beta.members[Role.PARTICIPANT], url)
    outcome = tasks.fetch_busy_calendar(
        organization_id=alpha.organization.pk, calendar_id=calendar.pk
    )
    assert outcome == "skipped"
    assert calendar_server.requests == []


def test_the_task_of_a_removed_calendar_does_nothing(alpha: Tenant) -> None:
    calendar = connect(alpha.members[Role.PARTICIPANT], "https://calendar.example.com/a.ics")
    with across_all_organizations():
        calendar.delete()
    outcome = tasks.fetch_busy_calendar(
        organization_id=alpha.organization.pk, calendar_id=calendar.pk
    )
    assert outcome == "skipped"
