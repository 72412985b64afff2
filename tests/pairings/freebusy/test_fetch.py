"""Reading calendars from a real HTTP server: what is stored, conditional requests, limits,
failures in plain words, the fence, and the claim that keeps two workers apart."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from mentorship.events import fence
from mentorship.identity.secrets import encrypt
from mentorship.models import Membership, Role
from mentorship.tenancy import across_all_organizations
from pairings import busy_fetch
from pairings.busy import busy_for
from pairings.freebusy import from_epoch_pairs
from pairings.models import BusyCalendar
from pairings.services import busy_calendars
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory
from tests.pairings.freebusy.conftest import CalendarServer, Reply, ics

NOW = datetime(2027, 3, 1, tzinfo=UTC)
SECRET = "/calendar/ical/sam%40example.com/private-0123456789abcdef/basic.ics"


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=UTC)


def connect(membership: Membership, url: str) -> BusyCalendar:
    """A calendar as ``busy_calendar_set`` leaves it, whatever the current fence says (the
    fetch must check again by itself)."""
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


@pytest.fixture
def member(alpha: Tenant) -> Membership:
    return alpha.members[Role.PARTICIPANT]


@pytest.fixture
def google(calendar_server: CalendarServer) -> str:
    def reply(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"v1"':
            return Reply(status=304)
        return Reply(
            body=ics("google.ics"),
            headers={
                "Content-Type": "text/calendar; charset=UTF-8",
                "ETag": '"v1"',
                "Last-Modified": "Sat, 20 Feb 2027 09:00:00 GMT",
            },
        )

    return calendar_server.serve(SECRET, reply)


pytestmark = pytest.mark.usefixtures("private_networks_allowed")


def test_a_calendar_is_read_and_only_busy_times_are_kept(
    alpha: Tenant, member: Membership, google: str
) -> None:
    calendar = fetch(alpha, connect(member, google))
    assert calendar.state == BusyCalendar.State.OK
    assert calendar.fetched_at == NOW
    assert calendar.last_error == ""
    assert calendar.next_fetch_at == NOW + timedelta(minutes=15)
    assert from_epoch_pairs(calendar.busy) == [
        (utc(3, 2, 10), utc(3, 2, 11)),
        (utc(3, 4, 16), utc(3, 4, 17)),
        (utc(3, 10, 0), utc(3, 11, 0)),
        (utc(3, 29, 9), utc(3, 29, 10, 30)),
        (utc(3, 30, 9), utc(3, 30, 10)),
        (utc(4, 6, 9), utc(4, 6, 10)),
    ]
    assert calendar.etag == '"v1"'
    stored = " ".join(str(getattr(calendar, f.attname)) for f in BusyCalendar._meta.fields)
    for word in ("Leadership", "Leeds", "Dial-in", "birthday", "Board room"):
        assert word not in stored


def test_not_modified_keeps_the_busy_times_and_counts_as_a_good_reading(
    alpha: Tenant, member: Membership, google: str, calendar_server: CalendarServer
) -> None:
    first = fetch(alpha, connect(member, google))
    later = NOW + timedelta(minutes=15)
    second = fetch(alpha, first, now=later)
    assert calendar_server.requests[-1][1].get("if-none-match") == '"v1"'
    assert calendar_server.requests[-1][1].get("if-modified-since") == (
        "Sat, 20 Feb 2027 09:00:00 GMT"
    )
    assert second.busy == first.busy
    assert second.fetched_at == later
    assert second.state == BusyCalendar.State.OK


def test_the_first_reading_of_a_day_reads_the_whole_calendar_again(
    alpha: Tenant, member: Membership, google: str, calendar_server: CalendarServer
) -> None:
    """So that the busy times kept always reach 8 weeks past the last good reading."""
    first = fetch(alpha, connect(member, google))
    next_day = NOW + timedelta(days=2, hours=12)
    second = fetch(alpha, first, now=next_day)
    assert "if-none-match" not in calendar_server.requests[-1][1]
    assert second.fetched_at == next_day
    # Read from the new day on: the first day's busy times are gone.
    assert from_epoch_pairs(second.busy)[0] == (utc(3, 4, 16), utc(3, 4, 17))


def test_times_without_a_zone_are_read_in_the_persons_zone(
    alpha: Tenant, member: Membership, calendar_server: CalendarServer
) -> None:
    ParticipantFactory(
        program=ProgramFactory(organization=alpha.organization),
        membership=member,
        timezone="America/New_York",
    )
    url = calendar_server.serve("/nextcloud.ics", Reply(body=ics("floating.ics")))
    calendar = fetch(alpha, connect(member, url))
    busy = from_epoch_pairs(calendar.busy)
    assert (utc(3, 5, 12, 30), utc(3, 5, 13, 30)) in busy  # 07:30 EST
    assert (utc(3, 19, 11, 30), utc(3, 19, 12, 30)) in busy  # 07:30 EDT
    assert (utc(3, 20, 4), utc(3, 22, 4)) in busy  # all day, New York's days


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(status=404, body=b"Not found"), "not found (HTTP 404)"),
        (Reply(status=410, body=b"Gone"), "not found (HTTP 410)"),
        (Reply(status=403, body=b"Forbidden"), "refused to share it (HTTP 403)"),
        (Reply(status=500, body=b"Oops"), "answered with an error (HTTP 500)"),
        (
            Reply(body=b"<!DOCTYPE html><html><body>Sign in</body></html>"),
            "did not answer with a calendar",
        ),
        (Reply(stream_bytes=6 * 1024 * 1024, omit_length=True), "larger than 5 MB"),
        (Reply(stream_bytes=6 * 1024 * 1024), "larger than 5 MB"),
        (Reply(status=302), "sent us elsewhere"),
    ],
    ids=["404", "410", "403", "500", "html", "too-big-streamed", "too-big-declared", "3xx"],
)
def test_failures_are_told_in_plain_words_and_the_last_busy_times_count_as_unknown(
    alpha: Tenant,
    member: Membership,
    google: str,
    calendar_server: CalendarServer,
    reply: Reply,
    message: str,
) -> None:
    calendar = fetch(alpha, connect(member, google))
    good = calendar.busy
    calendar_server.serve(SECRET, reply)
    # A day later, so the request is not conditional.
    later = NOW + timedelta(days=1)
    calendar = fetch(alpha, calendar, now=later)
    assert calendar.state == BusyCalendar.State.FAILING
    assert message in calendar.last_error
    assert SECRET not in calendar.last_error
    assert calendar.busy == good
    assert calendar.fetched_at == NOW
    assert calendar.last_attempt_at == later
    assert calendar.next_fetch_at == later + timedelta(minutes=15)
    participant = ParticipantFactory(
        program=ProgramFactory(organization=alpha.organization), membership=member
    )
    with alpha.scope():
        busy = busy_for(participants=[participant], start=later, end=later + timedelta(days=7))
    assert busy[participant.pk].unknown is True
    assert busy[participant.pk].calendar_read_at == NOW


def test_a_server_too_slow_is_given_up_at_the_time_limit(
    alpha: Tenant, member: Membership, calendar_server: CalendarServer, monkeypatch: object
) -> None:
    monkeypatch.setattr(busy_fetch, "TIMEOUT_SECONDS", 1)  # type: ignore[attr-defined]
    # A kilobyte every 0.4 s: each read is quick, the whole (10 KB) is not.
    body = ics("google.ics").replace(
        b"END:VCALENDAR", b"X-PAD:" + b"x" * 8000 + b"\r\nEND:VCALENDAR"
    )
    url = calendar_server.serve("/slow.ics", Reply(body=body, drip=0.4))
    started = time.monotonic()
    calendar = fetch(alpha, connect(member, url))
    assert time.monotonic() - started < 3
    assert calendar.state == BusyCalendar.State.FAILING
    assert "did not answer within 1 seconds in all" in calendar.last_error


def test_a_redirect_is_followed_and_checked_again(
    alpha: Tenant, member: Membership, google: str, calendar_server: CalendarServer
) -> None:
    url = calendar_server.serve("/moved", Reply(status=301, headers={"Location": SECRET}))
    assert fetch(alpha, connect(member, url)).state == BusyCalendar.State.OK


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("/loop", "redirects more than 3 times"),
        ("http://169.254.169.254/latest/meta-data/", "link-local or cloud metadata"),
    ],
    ids=["loop", "metadata"],
)
def test_a_redirect_nowhere_good_fails(
    alpha: Tenant,
    member: Membership,
    calendar_server: CalendarServer,
    location: str,
    message: str,
) -> None:
    url = calendar_server.serve("/loop", Reply(status=302, headers={"Location": location}))
    calendar = fetch(alpha, connect(member, url))
    assert calendar.state == BusyCalendar.State.FAILING
    assert message in calendar.last_error


def test_without_the_setting_a_loopback_server_is_never_read(
    alpha: Tenant, member: Membership, calendar_server: CalendarServer, settings: object
) -> None:
    settings.CALENDARS_ALLOW_PRIVATE_NETWORKS = False  # type: ignore[attr-defined]
    url = calendar_server.serve("/c.ics", Reply(body=ics("google.ics")))
    calendar = fetch(alpha, connect(member, url.replace("http://", "https://")))
    assert calendar.state == BusyCalendar.State.FAILING
    assert "not reachable from the internet" in calendar.last_error
    assert calendar_server.requests == []


def test_a_name_that_answers_public_then_connects_to_loopback_is_refused(
    alpha: Tenant,
    member: Membership,
    calendar_server: CalendarServer,
    monkeypatch: object,
    settings: object,
) -> None:
    """DNS rebinding: the check before connecting sees a public address, the connection
    reaches this machine; the fence on the connected socket stops it before a byte is sent."""
    settings.CALENDARS_ALLOW_PRIVATE_NETWORKS = False  # type: ignore[attr-defined]
    monkeypatch.setattr(fence, "resolve", lambda host, port: ["93.184.216.34"])  # type: ignore[attr-defined]
    port = calendar_server.base.rsplit(":", 1)[1]
    # The test server's port stands for 443 here: the check under test is the socket's.
    monkeypatch.setattr(busy_fetch, "HTTPS_PORT", int(port))  # type: ignore[attr-defined]
    calendar = fetch(alpha, connect(member, f"https://localhost:{port}/c.ics"))
    assert calendar.state == BusyCalendar.State.FAILING
    assert "private or local network" in calendar.last_error
    assert calendar_server.requests == []


def test_a_calendar_is_read_once_however_many_tasks_come(
    alpha: Tenant, member: Membership, google: str, calendar_server: CalendarServer
) -> None:
    calendar = connect(member, google)
    with alpha.scope():
        outcomes = [busy_fetch.busy_calendar_fetch(calendar_id=calendar.pk, now=NOW) for _ in "ab"]
    assert outcomes == ["read", "skipped"]
    assert len(calendar_server.requests) == 1


def test_a_calendar_claimed_by_another_worker_is_left_to_it(
    alpha: Tenant,
    member: Membership,
    google: str,
    calendar_server: CalendarServer,
    monkeypatch: object,
) -> None:
    calendar = connect(member, google)
    real_filter = BusyCalendar.objects.filter

    def claimed_meanwhile(*args: object, **kwargs: object) -> object:
        # Between this worker's read and its compare-and-set, another worker claims it.
        if "next_fetch_at" in kwargs:
            real_filter(pk=calendar.pk).update(next_fetch_at=NOW + timedelta(minutes=15))
        return real_filter(*args, **kwargs)

    with alpha.scope():
        monkeypatch.setattr(BusyCalendar.objects, "filter", claimed_meanwhile)  # type: ignore[attr-defined]
        outcome = busy_fetch.busy_calendar_fetch(calendar_id=calendar.pk, now=NOW)
    assert outcome == "skipped"
    assert calendar_server.requests == []


def test_an_address_replaced_during_a_reading_is_not_overwritten(
    alpha: Tenant, member: Membership, google: str, monkeypatch: object
) -> None:
    calendar = connect(member, google)
    real_download = busy_fetch.download

    def replaced_meanwhile(url: str, **kwargs: object) -> busy_fetch.Fetched:
        answer = real_download(url, **kwargs)
        with alpha.scope():
            busy_calendars.busy_calendar_set(membership=member, url=google + "?new")
        return answer

    monkeypatch.setattr(busy_fetch, "download", replaced_meanwhile)  # type: ignore[attr-defined]
    calendar = fetch(alpha, calendar)
    assert calendar.state == BusyCalendar.State.PENDING
    assert calendar.busy == []


def test_the_address_is_never_logged(
    alpha: Tenant,
    member: Membership,
    google: str,
    calendar_server: CalendarServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    calendar = fetch(alpha, connect(member, google))
    calendar_server.serve(SECRET, Reply(status=404))
    fetch(alpha, calendar, now=NOW + timedelta(days=1))
    assert caplog.records, "the test must see the readings' log lines"
    assert "private-0123456789abcdef" not in caplog.text
