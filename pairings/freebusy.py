"""Busy intervals from an iCalendar file (a person's own calendar, read through its private
address). A pure module: no Django import.

Only [start, end) intervals in UTC leave this module: never a title, an attendee, a place or a
description.

What counts as busy: every event occurrence (``recurring-ical-events`` expands RRULE, RDATE,
EXDATE and moved or cancelled occurrences, RECURRENCE-ID, over ``icalendar``, which reads the
calendar's VTIMEZONE definitions, Windows zone names included), except those marked free
(``TRANSP:TRANSPARENT``, Outlook's ``X-MICROSOFT-CDO-BUSYSTATUS:FREE``) and cancelled ones
(``STATUS:CANCELLED``, on the series or on one occurrence). Tentative events are busy: a person
who might be elsewhere is not free. Events without a length (a start time only) take no time.

Times without a zone: floating times (``DTSTART:20270301T090000``, no TZID, no Z) and all-day
events (busy from midnight to midnight) are read in the calendar's own zone, its
``X-WR-TIMEZONE`` (Google and Apple write it: the zone the owner chose in their calendar), and
otherwise in ``default_zone``, the owner's zone in this app (the caller's choice), else UTC.
The calendar's own setting wins because it is where the owner created those events.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events

Interval = tuple[datetime, datetime]

# Busy times are read, stored and trusted for this long after a good fetch.
HORIZON = timedelta(weeks=8)
# Local times reach at most 14 hours from UTC: the library is asked for a wider window, in
# case it compares floating times with the window's UTC clock time.
_MARGIN = timedelta(days=1)
_FREE = {"TRANSPARENT"}


class NotACalendar(ValueError):
    """The bytes are not an iCalendar file (an HTML sign-in page, an error text, a JSON)."""


def busy_intervals(
    ics: bytes, *, start: datetime, end: datetime, default_zone: tzinfo | None = None
) -> list[Interval]:
    """The busy intervals of the calendar ``ics`` in [start, end) (aware datetimes), in UTC,
    sorted and merged. ``NotACalendar`` when ``ics`` is not a calendar."""
    calendar = _parse(ics)
    zone = _calendar_zone(calendar) or default_zone or UTC
    try:
        occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(
            start - _MARGIN, end + _MARGIN
        )
    except (ValueError, TypeError, KeyError) as exc:  # a rule the library cannot read at all
        raise NotACalendar(f"the calendar's events cannot be read ({exc})") from exc
    found: list[Interval] = []
    for event in occurrences:
        if _is_free(event):
            continue
        dtstart, dtend = event.get("DTSTART"), event.get("DTEND")
        if dtstart is None:
            continue
        begins = _as_utc(dtstart.dt, zone)
        ends = _as_utc(dtend.dt, zone) if dtend is not None else begins
        found.append((begins, ends))
    return merge_intervals(found, start=start, end=end)


def _parse(ics: bytes) -> icalendar.Calendar:
    if not ics.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR"):
        raise NotACalendar("the address did not answer with a calendar (no BEGIN:VCALENDAR)")
    try:
        calendar = icalendar.Calendar.from_ical(ics)
    except (ValueError, IndexError, KeyError, UnicodeDecodeError) as exc:
        raise NotACalendar(f"the calendar cannot be read ({exc})") from exc
    if not isinstance(calendar, icalendar.Calendar):
        raise NotACalendar("the address did not answer with a calendar")
    return calendar


def _calendar_zone(calendar: icalendar.Calendar) -> tzinfo | None:
    """The calendar's ``X-WR-TIMEZONE`` when it names a known zone. An unknown one is dropped
    (the library would fail on it), and the times it would have placed take the default."""
    name = calendar.get("X-WR-TIMEZONE")
    if name is None:
        return None
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        del calendar["X-WR-TIMEZONE"]
        return None


def _is_free(event: icalendar.cal.Component) -> bool:
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return True
    if str(event.get("TRANSP", "")).upper() in _FREE:
        return True
    return str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() == "FREE"


def _as_utc(value: date | datetime, zone: tzinfo) -> datetime:
    """A DTSTART/DTEND value as an aware UTC datetime: a date is its midnight in ``zone``, a
    floating time is read in ``zone`` (the first of a repeated hour, a skipped hour shifted
    as the clocks do)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def merge_intervals(
    intervals: Iterable[Interval], *, start: datetime, end: datetime
) -> list[Interval]:
    """``intervals`` clipped to [start, end), sorted, with overlapping or touching ones merged."""
    clipped = sorted((max(s, start), min(e, end)) for s, e in intervals if s < end and e > start)
    merged: list[Interval] = []
    for s, e in clipped:
        if s >= e:
            continue
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def to_epoch_pairs(intervals: Iterable[Interval]) -> list[list[int]]:
    """Intervals as [start, end] pairs of UTC epoch seconds (as ``BusyCalendar.busy`` stores
    them); a start is rounded down and an end up, so nothing busy ever shrinks."""
    pairs = []
    for s, e in intervals:
        start = int(s.timestamp() // 1)
        end = -int(-e.timestamp() // 1)
        pairs.append([start, end])
    return pairs


def from_epoch_pairs(pairs: Iterable[Iterable[int]]) -> list[Interval]:
    """The reverse of :func:`to_epoch_pairs`: aware UTC datetimes."""
    result = []
    for pair in pairs:
        s, e = pair
        result.append((datetime.fromtimestamp(int(s), UTC), datetime.fromtimestamp(int(e), UTC)))
    return result
