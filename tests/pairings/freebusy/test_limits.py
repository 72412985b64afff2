"""What a person's calendar may cost and show: screened repeat rules, bounded expansion, stale
readings, one read a minute per member, the masked address, the port, the time-limit words."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from mentorship.events import fence
from mentorship.identity.secrets import encrypt
from mentorship.models import Membership, Role
from mentorship.tenancy import across_all_organizations
from pairings import busy_fetch, freebusy
from pairings.busy import busy_for, stale_after
from pairings.freebusy import BadSeries, TooManyEvents, busy_intervals
from pairings.models import BusyCalendar
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory
from tests.pairings.freebusy.conftest import CalendarServer, Reply

NOW = datetime(2027, 3, 1, tzinfo=UTC)
WINDOW = {"start": NOW, "end": NOW + timedelta(weeks=8)}
GOOGLE = (
    "https://calendar.google.com/calendar/ical/sam%40example.com/"
    "private-0123456789abcdef0123456789abcdef/basic.ics"
)


def calendar(*events: str) -> bytes:
    body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//limits//EN\r\n"
    for i, event in enumerate(events):
        body += (
            f"BEGIN:VEVENT\r\nUID:{i}@limits\r\nDTSTAMP:20270101T000000Z\r\n{event}END:VEVENT\r\n"
        )
    return (body + "END:VCALENDAR\r\n").encode()


def repeating(rule: str, start: str = "20270302T100000Z") -> bytes:
    return calendar(f"DTSTART:{start}\r\nDURATION:PT1H\r\nRRULE:{rule}\r\n")


# --- Screening and bounded expansion (pairings.freebusy) ----------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ=WEEKLY;INTERVAL=-1",
        "FREQ=MINUTELY",
        "FREQ=SECONDLY;COUNT=5",
        "FREQ=FORTNIGHTLY",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;UNTIL=20270501X",
    ],
)
def test_a_rule_that_cannot_be_read_or_repeats_too_often_refuses_the_calendar(rule: str) -> None:
    started = time.monotonic()
    with pytest.raises(BadSeries):
        busy_intervals(repeating(rule), **WINDOW)
    assert time.monotonic() - started < 1


def test_a_rule_whose_expansion_costs_too_much_is_refused_before_expanding() -> None:
    every_minute = ",".join(str(m) for m in range(60))
    started = time.monotonic()
    with pytest.raises(TooManyEvents):
        busy_intervals(repeating(f"FREQ=HOURLY;BYMINUTE={every_minute};BYSECOND=0,30"), **WINDOW)
    assert time.monotonic() - started < 1


def test_real_series_are_read_a_long_count_and_years_of_history_included() -> None:
    weekly = repeating("FREQ=WEEKLY;COUNT=1000000")
    daily_since_1995 = repeating("FREQ=DAILY;BYHOUR=9,14", start="19950102T090000Z")
    assert len(busy_intervals(weekly, **WINDOW)) == 8
    assert len(busy_intervals(daily_since_1995, **WINDOW)) == 8 * 7 * 2


def test_the_expansion_stops_at_the_occurrence_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freebusy, "MAX_OCCURRENCES", 20)
    with pytest.raises(TooManyEvents):
        busy_intervals(repeating("FREQ=DAILY"), **WINDOW)
    assert len(busy_intervals(repeating("FREQ=WEEKLY"), **WINDOW)) == 8


def test_the_expansion_stops_at_the_deadline() -> None:
    with pytest.raises(TooManyEvents):
        busy_intervals(repeating("FREQ=DAILY"), **WINDOW, deadline=time.monotonic() - 1)
    assert busy_intervals(repeating("FREQ=DAILY"), **WINDOW, deadline=time.monotonic() + 60)


# --- What the owner is told (pairings.busy_fetch) ------------------------------------------------


def connect(membership: Membership, url: str) -> BusyCalendar:
    with across_all_organizations():
        return BusyCalendar.objects.create(
            organization=membership.organization,
            membership=membership,
            url_encrypted=encrypt(url),
            url_hint=busy_fetch.url_hint(url),
            next_fetch_at=NOW,
        )


def fetch(tenant: Tenant, calendar: BusyCalendar) -> BusyCalendar:
    with tenant.scope():
        busy_fetch.busy_calendar_fetch(calendar_id=calendar.pk, now=NOW)
        return BusyCalendar.objects.get(pk=calendar.pk)


@pytest.mark.usefixtures("private_networks_allowed")
@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=FORTNIGHTLY", "A repeating event in your calendar could not be read"),
        ("FREQ=MINUTELY", "A repeating event in your calendar could not be read"),
        (
            "FREQ=HOURLY;BYSECOND=0,30;BYMINUTE=" + ",".join(str(m) for m in range(60)),
            "too many events to read",
        ),
    ],
)
def test_an_unreadable_or_too_costly_calendar_fails_with_its_reason(
    alpha: Tenant, calendar_server: CalendarServer, rule: str, words: str
) -> None:
    url = calendar_server.serve("/c.ics", Reply(body=repeating(rule)))
    read = fetch(alpha, connect(alpha.members[Role.PARTICIPANT], url))
    assert read.state == BusyCalendar.State.FAILING
    assert words in read.last_error


@pytest.mark.usefixtures("private_networks_allowed")
@pytest.mark.parametrize("location", ["https://[::1/c.ics", "ftp://calendar.example.com/c.ics"])
def test_a_redirect_to_an_unreadable_location_is_an_unreachable_address(
    alpha: Tenant, calendar_server: CalendarServer, location: str
) -> None:
    url = calendar_server.serve("/c.ics", Reply(status=302, headers={"Location": location}))
    read = fetch(alpha, connect(alpha.members[Role.PARTICIPANT], url))
    assert read.last_error == busy_fetch.UNREACHABLE_REDIRECT_MESSAGE
    assert "did not answer with a calendar" not in read.last_error


def test_the_time_limit_message_states_the_limit_in_force(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(busy_fetch, "TIMEOUT_SECONDS", 7)
    assert "within 7 seconds in all" in busy_fetch.seconds_message()


# --- The masked address and the port ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        (GOOGLE, "https://calendar.google.com/…/basic.ics"),
        (
            "https://outlook.office365.com/owa/calendar/abc@example.com/S3cr3tT0k3n/calendar.ics",
            "https://outlook.office365.com/…/calendar.ics",
        ),
        (
            "https://outlook.live.com/owa/calendar/00000000/S3cr3tT0k3n/reachcalendar.ics",
            "https://outlook.live.com/…/reachcalendar.ics",
        ),
        ("https://cal.example.com/u/S3cr3tT0k3n.ics", "https://cal.example.com/…"),
        ("https://cal.example.com/S3cr3t.ics", "https://cal.example.com/…"),
        ("https://cal.example.com/basic.ics?token=S3cr3t", "https://cal.example.com/…"),
        ("https://cal.example.com/S3cr3tT0k3n/", "https://cal.example.com/…"),
        (
            "https://p52-caldav.icloud.com/published/2/S3cr3tT0k3n",
            "https://p52-caldav.icloud.com/…",
        ),
    ],
)
def test_the_masked_address_never_shows_what_could_be_the_secret(url: str, hint: str) -> None:
    assert busy_fetch.url_hint(url) == hint
    assert "S3cr3t" not in busy_fetch.url_hint(url)


def test_only_the_standard_https_port_is_read_on_public_servers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fence, "resolve", lambda host, port: ["142.250.74.238"])
    other = "https://calendar.google.com:8443/basic.ics"
    problem = busy_fetch.calendar_url_problem(other, allow_private=False)
    assert problem is not None and "standard https port (443)" in problem
    assert busy_fetch.calendar_url_problem(GOOGLE, allow_private=False) is None
    explicit = "https://calendar.google.com:443/basic.ics"
    assert busy_fetch.calendar_url_problem(explicit, allow_private=False) is None
    assert busy_fetch.calendar_url_problem(other, allow_private=True) is None


# --- Stale readings (pairings.busy) ------------------------------------------------------------


@pytest.mark.parametrize(("age", "unknown"), [(timedelta(minutes=30), False), (None, True)])
def test_a_reading_older_than_four_refreshes_is_unknown(
    alpha: Tenant, settings: object, age: timedelta | None, unknown: bool
) -> None:
    settings.BUSY_CALENDAR_REFRESH_MINUTES = 15  # type: ignore[attr-defined]
    assert stale_after() == timedelta(hours=1)
    member = alpha.members[Role.PARTICIPANT]
    participant = ParticipantFactory(
        program=ProgramFactory(organization=alpha.organization), membership=member
    )
    now = timezone.now()
    read_at = now - (age or stale_after() + timedelta(minutes=1))
    with across_all_organizations():
        BusyCalendar.objects.create(
            organization=alpha.organization,
            membership=member,
            url_encrypted=encrypt(GOOGLE),
            url_hint=busy_fetch.url_hint(GOOGLE),
            state=BusyCalendar.State.OK,
            busy=[],
            fetched_at=read_at,
            next_fetch_at=now,
        )
    with alpha.scope():
        busy = busy_for(participants=[participant], start=now, end=now + timedelta(days=7))
    assert busy[participant.pk].unknown is unknown
