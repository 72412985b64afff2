"""Hostile calendars and hostile members against free/busy from a person's own calendar.

Each test fails on the code as it stands and passes once the defect it names is fixed."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from mentorship.identity.secrets import encrypt
from mentorship.models import Membership, Role
from mentorship.tenancy import across_all_organizations
from pairings import busy_fetch
from pairings.busy import busy_for
from pairings.freebusy import NotACalendar, busy_intervals
from pairings.models import BusyCalendar
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory
from tests.pairings.freebusy.conftest import (  # noqa: F401 (fixtures)
    CalendarServer,
    Reply,
    calendar_server,
    private_networks_allowed,
)

NOW = datetime(2027, 3, 1, tzinfo=UTC)


def calendar(*events: str) -> bytes:
    body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//attack//EN\r\n"
    for i, event in enumerate(events):
        body += (
            f"BEGIN:VEVENT\r\nUID:{i}@attack\r\nDTSTAMP:20270101T000000Z\r\n{event}END:VEVENT\r\n"
        )
    return (body + "END:VCALENDAR\r\n").encode()


def connect(membership: Membership, url: str) -> BusyCalendar:
    with across_all_organizations():
        return BusyCalendar.objects.create(
            organization=membership.organization,
            membership=membership,
            url_encrypted=encrypt(url),
            url_hint=busy_fetch.url_hint(url),
            next_fetch_at=NOW,
        )


def fetch(tenant: Tenant, calendar: BusyCalendar, *, now: datetime = NOW) -> BusyCalendar:
    with tenant.scope():
        busy_fetch.busy_calendar_fetch(calendar_id=calendar.pk, now=now)
        return BusyCalendar.objects.get(pk=calendar.pk)


# --- Expansion is unbounded (pairings/freebusy.py busy_intervals; busy_fetch._read) -------------


def test_a_145_byte_calendar_with_interval_0_does_not_hang_the_worker() -> None:
    """``RRULE:FREQ=WEEKLY;INTERVAL=0`` sends dateutil (under recurring-ical-events) into an
    endless loop that also grows memory (~8 MB/s): the worker never comes back (until the OOM
    killer), and every 15 minutes the dispatcher hands the calendar to another worker.
    Expanding must end (a refusal as ``NotACalendar`` is fine)."""
    ics = calendar(
        "DTSTART:20270302T100000Z\r\nDTEND:20270302T110000Z\r\nRRULE:FREQ=WEEKLY;INTERVAL=0\r\n"
    )
    outcome: list[object] = []

    def expand() -> None:
        try:
            outcome.append(busy_intervals(ics, start=NOW, end=NOW + timedelta(weeks=8)))
        except NotACalendar as exc:
            outcome.append(exc)

    worker = threading.Thread(target=expand, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "expanding a 145-byte calendar still running after 10 s"
    assert outcome


@pytest.mark.usefixtures("private_networks_allowed")
def test_a_tiny_calendar_of_minutely_rules_is_read_within_the_time_limit(
    alpha: Tenant,
    calendar_server: CalendarServer,  # noqa: F811 (the fixture imported above)
) -> None:
    """The 10 s budget covers the download only; expanding runs after it, unbounded. Three
    ``FREQ=MINUTELY`` events (a 400-byte file) are ~240,000 occurrences over the 8 weeks: ~16 s
    of a worker's CPU every 15 minutes (``FREQ=SECONDLY``, 136 bytes: many minutes and GBs).
    A person's calendar must cost a bounded amount of work, whatever it says."""
    events = [
        f"DTSTART:20270302T10000{i}Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\n" for i in range(3)
    ]
    url = calendar_server.serve("/minutely.ics", Reply(body=calendar(*events)))
    member = alpha.members[Role.PARTICIPANT]
    started = time.monotonic()
    fetch(alpha, connect(member, url))
    elapsed = time.monotonic() - started
    assert elapsed < busy_fetch.TIMEOUT_SECONDS, f"one read took {elapsed:.1f} s"


# --- An unreadable series makes its time free, silently (freebusy.py skip_bad_series=True) -------


@pytest.mark.usefixtures("private_networks_allowed")
@pytest.mark.parametrize(
    "rule", ["FREQ=WEEKLY;UNTIL=20270501X", "FREQ=WEEKLY;BYDAY=XX", "FREQ=FORTNIGHTLY"]
)
def test_a_weekly_meeting_whose_rule_cannot_be_read_is_not_counted_free(
    alpha: Tenant,
    calendar_server: CalendarServer,  # noqa: F811 (the fixture imported above)
    rule: str,
) -> None:
    """``skip_bad_series=True`` drops a series the library cannot read, first occurrence
    included, and the calendar is stored "ok": the person looks free at their weekly meeting.
    The design: what cannot be read is unknown, not free (and the ``except`` meant to turn an
    unreadable rule into "not a calendar" never runs)."""
    ics = calendar(
        "DTSTART;TZID=Europe/Paris:20270302T100000\r\n"
        "DTEND;TZID=Europe/Paris:20270302T110000\r\n"
        f"RRULE:{rule}\r\n"
    )
    url = calendar_server.serve("/weekly.ics", Reply(body=ics))
    member = alpha.members[Role.PARTICIPANT]
    participant = ParticipantFactory(
        program=ProgramFactory(organization=alpha.organization), membership=member
    )
    fetch(alpha, connect(member, url))
    meeting = (datetime(2027, 3, 2, 9, tzinfo=UTC), datetime(2027, 3, 2, 10, tzinfo=UTC))
    with alpha.scope():
        busy = busy_for(participants=[participant], start=NOW, end=NOW + timedelta(days=7))
    mine = busy[participant.pk]
    assert mine.unknown or meeting in mine.intervals, (
        "the meeting on 2 March 10:00 Paris counts as free, and the calendar as read"
    )


# --- "Check now at most once a minute", bypassed by saving the same address again ---------------


@pytest.mark.usefixtures("private_networks_allowed")
def test_saving_the_same_address_again_does_not_bypass_the_once_a_minute_limit(
    alpha: Tenant,
    client_for,
    calendar_server: CalendarServer,  # noqa: F811 (the fixture imported above)
    django_capture_on_commit_callbacks,
) -> None:
    """``busy_calendar_check_now`` refuses a read within a minute of the last attempt ("each one
    is a request to the person's calendar server"), but ``busy_calendar_set`` resets
    ``last_attempt_at`` and queues a read on every save, with no limit: re-posting the same
    address makes the workers request any public https host and port (up to 4 requests with
    redirects) as often as a member likes, and resolves its name in the web request each time."""
    url = calendar_server.serve("/c.ics", Reply(body=calendar()))
    client = client_for(alpha.participant)
    page = f"/o/{alpha.organization.slug}/calendar/busy/"
    client.post(page, {"url": url})
    membership = alpha.members[Role.PARTICIPANT]
    with across_all_organizations():
        BusyCalendar.objects.filter(membership=membership).update(
            last_attempt_at=timezone.now(), next_fetch_at=timezone.now() + timedelta(minutes=15)
        )
    queued_reads = 0
    for _ in range(5):
        with django_capture_on_commit_callbacks() as queued:
            client.post(page, {"url": url})
        queued_reads += len(queued)
    assert queued_reads == 0, f"{queued_reads} reads queued within the minute"


# --- A reading weeks old still counts as known (pairings/busy.py busy_for) ----------------------


def test_a_reading_days_old_is_not_trusted_as_current(alpha: Tenant) -> None:
    """``busy_for`` trusts a calendar in state "ok" until 8 weeks after its last good reading.
    A read that never ends (a worker killed by the expansions above, a lost lease, workers
    stopped) leaves the state "ok": the calendar is claimed every 15 minutes
    (``last_attempt_at`` moves on) but never read again, and ten-day-old busy times pass for
    current ones: whatever the person booked since counts as free. Meant to be read every 15
    minutes, a reading that old is unknown, not free."""
    member = alpha.members[Role.PARTICIPANT]
    participant = ParticipantFactory(
        program=ProgramFactory(organization=alpha.organization), membership=member
    )
    now = timezone.now()
    with across_all_organizations():
        BusyCalendar.objects.create(
            organization=alpha.organization,
            membership=member,
            url_encrypted=encrypt("https://calendar.example.com/c.ics"),
            url_hint="https://calendar.example.com/…/c.ics",
            state=BusyCalendar.State.OK,
            busy=[],
            fetched_at=now - timedelta(days=10),
            last_attempt_at=now - timedelta(minutes=3),
            next_fetch_at=now + timedelta(minutes=12),
        )
    with alpha.scope():
        busy = busy_for(participants=[participant], start=now, end=now + timedelta(days=7))
    assert busy[participant.pk].unknown, "a 10-day-old reading counts as today's"
