"""``pairings.freebusy.busy_intervals``: busy times from real-world calendar exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pairings.freebusy import (
    NotACalendar,
    busy_intervals,
    from_epoch_pairs,
    merge_intervals,
    to_epoch_pairs,
)

CALENDARS = Path(__file__).parent / "calendars"
START = datetime(2027, 3, 1, tzinfo=UTC)
END = datetime(2027, 4, 20, tzinfo=UTC)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=UTC)


def read(name: str) -> bytes:
    return (CALENDARS / name).read_bytes()


def test_google_export_weekly_meeting_moved_across_the_clock_change() -> None:
    """A weekly 10:00 London meeting: 10:00 UTC in winter, 09:00 UTC once the clocks go
    forward (28 March); one occurrence excluded (EXDATE), one cancelled (an override with
    STATUS:CANCELLED), one moved from before the change to after it, one extra (RDATE); an
    opaque all-day event is busy midnight to midnight in the calendar's zone; transparent and
    cancelled events are free."""
    busy = busy_intervals(read("google.ics"), start=START, end=END)
    assert busy == [
        (utc(3, 2, 10), utc(3, 2, 11)),
        (utc(3, 4, 16), utc(3, 4, 17)),  # RDATE
        (utc(3, 10, 0), utc(3, 11, 0)),  # all day, London is on GMT
        # 9 March: EXDATE; 16 March: cancelled; 23 March: moved to the 29th, 10:00 BST.
        (utc(3, 29, 9), utc(3, 29, 10, 30)),
        (utc(3, 30, 9), utc(3, 30, 10)),
        (utc(4, 6, 9), utc(4, 6, 10)),
        # 13 April is past the rule's UNTIL.
    ]


def test_the_calendars_own_zone_wins_over_the_default_for_all_day_events() -> None:
    busy = busy_intervals(
        read("google.ics"), start=START, end=END, default_zone=ZoneInfo("Asia/Tokyo")
    )
    assert (utc(3, 10, 0), utc(3, 11, 0)) in busy


def test_outlook_export_with_windows_zone_names() -> None:
    """Outlook names its zones the Windows way ("W. Europe Standard Time") with a VTIMEZONE;
    out-of-office is busy, X-MICROSOFT-CDO-BUSYSTATUS:FREE and cancelled are free. All-day
    events without X-WR-TIMEZONE are read in the owner's zone."""
    busy = busy_intervals(
        read("outlook.ics"), start=START, end=END, default_zone=ZoneInfo("Europe/Berlin")
    )
    assert busy == [
        (utc(3, 1, 8), utc(3, 1, 8, 30)),
        (utc(3, 8, 8), utc(3, 8, 8, 30)),
        # 15 March excluded.
        (utc(3, 16, 23), utc(3, 17, 23)),  # out of office, a Berlin day
        # 22 March moved to the 29th, 14:00 CEST; the 29th's own stand-up at 09:00 CEST.
        (utc(3, 29, 7), utc(3, 29, 7, 30)),
        (utc(3, 29, 12), utc(3, 29, 12, 30)),
        (utc(4, 5, 7), utc(4, 5, 7, 30)),
        (utc(4, 12, 7), utc(4, 12, 7, 30)),
        (utc(4, 19, 7), utc(4, 19, 7, 30)),  # UNTIL is inclusive
    ]


def test_floating_times_and_all_day_events_in_the_owners_zone() -> None:
    """A calendar without any zone: floating times keep their wall-clock time across New
    York's clock change (14 March); an all-day event spans the owner's days; a tentative event
    is busy; an event with a start and no length takes no time."""
    busy = busy_intervals(
        read("floating.ics"), start=START, end=END, default_zone=ZoneInfo("America/New_York")
    )
    assert busy == [
        (utc(3, 1, 15), utc(3, 1, 15, 45)),
        (utc(3, 5, 12, 30), utc(3, 5, 13, 30)),
        (utc(3, 12, 12, 30), utc(3, 12, 13, 30)),
        (utc(3, 19, 11, 30), utc(3, 19, 12, 30)),
        (utc(3, 20, 4), utc(3, 22, 4)),
        (utc(3, 26, 11, 30), utc(3, 26, 12, 30)),
    ]


def test_floating_times_default_to_utc() -> None:
    busy = busy_intervals(read("floating.ics"), start=START, end=utc(3, 6, 0))
    assert busy == [(utc(3, 1, 15), utc(3, 1, 15, 45)), (utc(3, 5, 7, 30), utc(3, 5, 8, 30))]


def test_the_window_clips_and_an_event_spanning_it_is_cut() -> None:
    busy = busy_intervals(read("floating.ics"), start=utc(3, 21, 0), end=utc(3, 21, 12))
    assert busy == [(utc(3, 21, 0), utc(3, 21, 12))]


def test_an_unknown_x_wr_timezone_falls_back_to_the_default() -> None:
    ics = read("google.ics").replace(b"X-WR-TIMEZONE:Europe/London", b"X-WR-TIMEZONE:Mars/Base")
    busy = busy_intervals(ics, start=START, end=END, default_zone=ZoneInfo("Europe/Paris"))
    assert (utc(3, 9, 23), utc(3, 10, 23)) in busy


def test_nothing_but_times_leaves_the_module() -> None:
    busy = busy_intervals(read("google.ics"), start=START, end=END)
    assert all(
        isinstance(s, datetime) and isinstance(e, datetime) and s.tzinfo is UTC for s, e in busy
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>Sign in to continue</body></html>",
        b'{"error": "not found"}',
        b"",
        b"BEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n",
    ],
    ids=["html", "json", "empty", "event-only", "broken"],
)
def test_anything_else_is_not_a_calendar(body: bytes) -> None:
    with pytest.raises(NotACalendar):
        busy_intervals(body, start=START, end=END)


def test_an_empty_calendar_is_free() -> None:
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n"
    assert busy_intervals(ics, start=START, end=END) == []


def test_merge_joins_touching_and_overlapping_intervals() -> None:
    a, b, c, d = (utc(3, 2, h) for h in (8, 9, 10, 11))
    assert merge_intervals(
        [(c, d), (a, b), (b, c), (a, b + timedelta(minutes=5))], start=START, end=END
    ) == [(a, d)]


def test_epoch_pairs_round_trip_and_never_shrink() -> None:
    s = utc(3, 2, 8) + timedelta(microseconds=500)
    e = utc(3, 2, 9) + timedelta(microseconds=500)
    pairs = to_epoch_pairs([(s, e)])
    (back,) = from_epoch_pairs(pairs)
    assert back[0] <= s and back[1] >= e
    assert back == (utc(3, 2, 8), utc(3, 2, 9, 0) + timedelta(seconds=1))
