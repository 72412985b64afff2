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

A person's calendar is hostile input, and its cost is bounded:

- every repeat rule is screened before anything is expanded (:func:`_screen`): a rule that
  cannot be read (``FREQ=FORTNIGHTLY``, ``BYDAY=XX``), an ``INTERVAL`` below 1 (dateutil would
  loop for ever on it), ``FREQ=SECONDLY``/``MINUTELY`` (no meeting series repeats that often),
  or a rule whose expansion from its first occurrence to the end of the window would cost
  more than ``MAX_RULE_WORK`` steps of dateutil (a long ``COUNT`` is fine: only the window
  counts) refuses the whole calendar (``BadSeries``, ``TooManyEvents``);
- occurrences are then taken one at a time, series by series (not one list for the whole
  calendar), and the expansion stops with ``TooManyEvents`` at ``MAX_OCCURRENCES`` or at the
  caller's ``deadline``.

What is not interruptible: one rule's expansion inside dateutil (``rrule.between`` builds its
list before returning). The screening bounds it by the rule's span, except for a rule that is
valid but never occurs (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``): dateutil scans to the year
9999 for it, about 4 to 6 seconds of CPU, after which the deadline stops the read. So a read
costs at most its deadline plus one such rule.

A series that cannot be expanded is never skipped: a calendar with a weekly meeting left out
would make its owner look free at it. The read fails instead, and the person's busy times
count as unknown.
"""

from __future__ import annotations

import time
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
# Occurrences read from one calendar at most (8 weeks of a busy person's calendar are a few
# hundred); more is a calendar that cannot be a person's week.
MAX_OCCURRENCES = 50_000
# Steps of dateutil one rule may cost, from its first occurrence to the window's end (a step:
# a day examined, times the times of day it lists). A daily meeting since 1990 is ~14,000, a
# yearly birthday since 1900 ~47,000; dateutil runs ~600,000 a second, and an occurrence in
# the window costs the library ~30 times a step.
MAX_RULE_WORK = 100_000
# Frequencies read; SECONDLY and MINUTELY are refused (see the module's docstring).
_FREQUENCIES = {"YEARLY": 366, "MONTHLY": 31, "WEEKLY": 7, "DAILY": 1, "HOURLY": 1}
_PERIOD = {
    "YEARLY": timedelta(days=365),
    "MONTHLY": timedelta(days=28),
    "WEEKLY": timedelta(weeks=1),
    "DAILY": timedelta(days=1),
    "HOURLY": timedelta(hours=1),
}
_RULE_PROPERTIES = ("RRULE", "RDATE", "EXDATE")


def gettext_noop(message: str) -> str:
    """Marks ``message`` for translation (a pure module: Django's own cannot be imported here);
    ``pairings.busy_fetch`` translates it for the calendar's owner."""
    return message


class NotACalendar(ValueError):
    """The bytes are not an iCalendar file (an HTML sign-in page, an error text, a JSON), or
    not one that can be read. ``owner_message`` is what to tell the calendar's owner (None: the
    caller's own words for "not a calendar")."""

    owner_message: str | None = None


class BadSeries(NotACalendar):
    """A repeating event whose rule cannot be read, or repeats more often than a meeting."""

    owner_message = gettext_noop(
        "A repeating event in your calendar could not be read (its repeat rule is invalid, "
        "or it repeats more often than every hour). Until it is corrected in your calendar, "
        "your busy times count as unknown."
    )


class TooManyEvents(NotACalendar):
    """Expanding the calendar would cost more than a person's calendar may."""

    owner_message = gettext_noop(
        "The calendar has too many events to read (or events that repeat too often). A "
        "separate calendar for work, or one with fewer repeating events, will do."
    )


def busy_intervals(
    ics: bytes,
    *,
    start: datetime,
    end: datetime,
    default_zone: tzinfo | None = None,
    deadline: float | None = None,
) -> list[Interval]:
    """The busy intervals of the calendar ``ics`` in [start, end) (aware datetimes), in UTC,
    sorted and merged. ``NotACalendar`` (or its ``BadSeries``, ``TooManyEvents``) when ``ics``
    is not a calendar that can be read; ``deadline`` is a ``time.monotonic()`` value."""
    calendar = _parse(ics)
    zone = _calendar_zone(calendar) or default_zone or UTC
    _screen(calendar, until=end + _MARGIN)
    found: list[Interval] = []
    for event in _occurrences(calendar, start - _MARGIN, end + _MARGIN, deadline=deadline):
        if _is_free(event):
            continue
        dtstart, dtend = event.get("DTSTART"), event.get("DTEND")
        if dtstart is None:
            continue
        begins = _as_utc(dtstart.dt, zone)
        ends = _as_utc(dtend.dt, zone) if dtend is not None else begins
        found.append((begins, ends))
    return merge_intervals(found, start=start, end=end)


def _screen(calendar: icalendar.Calendar, *, until: datetime) -> None:
    """Refuse, before expanding anything, a calendar with a repeat rule that cannot be read
    or would cost too much (see the module's docstring)."""
    dates = 0
    for event in calendar.walk("VEVENT"):
        if any(name in _RULE_PROPERTIES for name, _ in getattr(event, "errors", ())):
            raise BadSeries("a repeat rule or date that cannot be read")
        for name in ("RDATE", "EXDATE"):
            for value in _as_list(event.get(name)):
                dates += len(getattr(value, "dts", ()) or ())
        first = event.get("DTSTART")
        for rule in _as_list(event.get("RRULE")):
            if not isinstance(rule, icalendar.vRecur):
                raise BadSeries("a repeat rule that cannot be read")
            _screen_rule(rule, first=first.dt if first is not None else None, until=until)
    if dates > MAX_OCCURRENCES:
        raise TooManyEvents(f"more than {MAX_OCCURRENCES} dates listed in repeating events")


def _screen_rule(rule: icalendar.vRecur, *, first: date | datetime | None, until: datetime) -> None:
    frequency = str((rule.get("FREQ") or [""])[0]).upper()
    if frequency not in _FREQUENCIES:
        raise BadSeries(f"FREQ={frequency or 'missing'} is not read")
    try:
        interval = int((rule.get("INTERVAL") or [1])[0])
    except (TypeError, ValueError) as exc:
        raise BadSeries("INTERVAL is not a number") from exc
    if interval < 1:
        raise BadSeries("INTERVAL below 1")
    if first is None:
        return  # the library refuses a rule without a start
    if not isinstance(first, datetime):
        first = datetime(first.year, first.month, first.day)
    begins = first.replace(tzinfo=UTC) if first.tzinfo is None else first
    periods = max((until - begins) // (_PERIOD[frequency] * interval), 0) + 1
    times_of_day = 1
    for part in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        if part == "BYHOUR" and frequency == "HOURLY":
            continue  # an hourly rule's hours are its periods
        times_of_day *= max(len(rule.get(part) or ()), 1)
    if periods * _FREQUENCIES[frequency] * times_of_day > MAX_RULE_WORK:
        raise TooManyEvents("a repeat rule too costly to expand")


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _occurrences(
    calendar: icalendar.Calendar, start: datetime, end: datetime, *, deadline: float | None
) -> Iterable[icalendar.cal.Component]:
    """The occurrences in [start, end], one at a time, series by series, stopped at
    ``MAX_OCCURRENCES`` or ``deadline``. Any failure of the library is ``BadSeries``: a series
    it cannot expand is never left out."""
    try:
        query = recurring_ical_events.of(calendar)
    except Exception as exc:
        raise BadSeries(f"the events cannot be read ({type(exc).__name__})") from exc
    count = 0
    for series in query.series:
        _check_deadline(deadline)
        try:
            for occurrence in series.between(start, end):
                count += 1
                if count > MAX_OCCURRENCES:
                    raise TooManyEvents(f"more than {MAX_OCCURRENCES} occurrences")
                _check_deadline(deadline)
                yield occurrence.as_component(False)
        except NotACalendar:
            raise
        except Exception as exc:
            raise BadSeries(f"a series cannot be expanded ({type(exc).__name__})") from exc


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise TooManyEvents("the expansion ran out of time")


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
