"""Suggested meeting times for two people: a pure module (no Django), fast on large calendars.

Each person brings their weekly availability (``[weekday, "HH:MM", "HH:MM"]`` ranges, Monday
= 0, in their own IANA zone), their busy intervals (UTC, from their calendar and the app's
meetings), and whether their busy times are *unknown* (a calendar that cannot be read): an
unknown person gets no suggestions, since "not known to be busy" is not "free".

A suggestion is a start time (UTC) such that the meeting ``[start, start + minutes)``

- lies inside one of each person's weekly ranges, read on that person's own calendar day and
  clock (so a range keeps its wall-clock hours across daylight-saving changes);
- overlaps none of either person's busy intervals (touching one is fine: a meeting may start
  when another ends);
- starts on the half-hour grid of the *first* person's clock (:00 or :30; in a zone such as
  Asia/Kathmandu the first person still sees :00/:30) and at least ``lead`` after ``now``;
- ends within ``days`` days of ``now``.

At most one suggestion per day, the earliest, where "day" is the first person's calendar day:
the first person is the one asking ("Find a time" passes the viewer first), and "one a day" is
what they read down their own list.

Cost: the weekly ranges become a few dozen UTC windows; both people's busy intervals are sorted
and merged once (O(n log n)) and subtracted from the common windows in one sweep, so two people
with 2,000 busy intervals each take a few milliseconds (``tests/bench/slots_bench.py``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

GRID_MINUTES = 30
DEFAULT_LEAD = timedelta(hours=2)
DEFAULT_DAYS = 28

Interval = tuple[float, float]  # [start, end) in UTC epoch seconds


@dataclass(frozen=True)
class Person:
    """One side of the search. ``busy`` holds aware datetimes or epoch seconds, in any order,
    possibly overlapping."""

    weekly: Sequence[Sequence[object]]
    zone: str
    busy: Sequence[tuple[datetime | float, datetime | float]] = field(default=())
    unknown: bool = False


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC when it is empty or unknown (imported rows may hold
    anything)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(text: object) -> int | None:
    """Minutes after midnight of ``"HH:MM"`` (``"24:00"`` is the end of the day), or None."""
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        return None
    hours, minutes = text[:2], text[3:]
    if not (hours.isdecimal() and minutes.isdecimal()):
        return None
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > 24 * 60:
        return None
    return value


def weekly_ranges(weekly: Iterable[Sequence[object]]) -> dict[int, list[tuple[int, int]]]:
    """The weekly ranges by weekday, as minutes after midnight. Malformed entries are skipped:
    the page that writes them validates them, and a stray row must not break the search."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for entry in weekly:
        if len(entry) != 3:
            continue
        day, start, end = entry
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
            continue
        first, last = _clock(start), _clock(end)
        if first is None or last is None or first >= last:
            continue
        by_day.setdefault(day, []).append((first, last))
    return by_day


def _epoch(value: datetime | float) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("busy intervals must be timezone-aware")
        return value.timestamp()
    return float(value)


def _local_epoch(day: date, minutes: int, tz: ZoneInfo) -> float:
    """The UTC instant of a wall-clock time on ``day`` in ``tz``. A time the clocks skip
    (spring forward) maps to the instant just after the gap, so a range that starts inside the
    gap starts when the clocks resume; a time they pass twice is taken the first time."""
    moment = datetime.combine(day, time(), tzinfo=tz) + timedelta(minutes=minutes)
    # datetime + timedelta on an aware datetime is wall-clock arithmetic: exactly what a
    # weekly range means ("09:00 every Monday, whatever the offset").
    after = moment.timestamp()  # fold=0: a skipped time read with the offset before the gap
    if datetime.fromtimestamp(after, tz).replace(tzinfo=None) == moment.replace(tzinfo=None):
        return after
    # Inside the gap: ``after`` lies as far past the gap's end as the time is past its start
    # (02:30 read as EST is 03:30 EDT), and the same time read with the offset after the gap
    # (fold=1) lies before it. The clocks' change is between the two: find it to the second.
    before = moment.replace(fold=1).timestamp()
    offset = datetime.fromtimestamp(after, tz).utcoffset()
    lo, hi = int(before), int(after)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == offset:
            hi = mid
        else:
            lo = mid
    return float(hi)


def _merge(intervals: list[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals (touching ones joined)."""
    intervals.sort()
    merged: list[Interval] = []
    for start, end in intervals:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def available_windows(person: Person, start: float, end: float) -> list[Interval]:
    """The person's weekly ranges between two instants, as merged UTC intervals."""
    tz = zone_of(person.zone)
    by_day = weekly_ranges(person.weekly)
    if not by_day:
        return []
    first_day = datetime.fromtimestamp(start, tz).date() - timedelta(days=1)
    last_day = datetime.fromtimestamp(end, tz).date() + timedelta(days=1)
    windows: list[Interval] = []
    day = first_day
    while day <= last_day:
        for lo, hi in by_day.get(day.weekday(), ()):
            window = (max(_local_epoch(day, lo, tz), start), min(_local_epoch(day, hi, tz), end))
            if window[0] < window[1]:
                windows.append(window)
        day += timedelta(days=1)
    return _merge(windows)


def _intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    """Where two sorted lists of disjoint intervals overlap (a linear sweep)."""
    found: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            found.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return found


def _subtract(windows: list[Interval], busy: list[Interval]) -> list[Interval]:
    """``windows`` minus ``busy`` (both sorted and disjoint), in one sweep from the first busy
    interval that can matter (found by bisection)."""
    free: list[Interval] = []
    ends = [end for _, end in busy]
    for start, end in windows:
        # Busy intervals ending at or before the window's start cannot cut it.
        k = bisect.bisect_right(ends, start)
        cursor = start
        while k < len(busy) and busy[k][0] < end:
            if busy[k][0] > cursor:
                free.append((cursor, busy[k][0]))
            cursor = max(cursor, busy[k][1])
            k += 1
        if cursor < end:
            free.append((cursor, end))
    return free


def _on_grid(moment: float, tz: ZoneInfo) -> float:
    """The first instant at or after ``moment`` whose wall clock in ``tz`` shows a multiple of
    the grid (seconds dropped). Offsets can change across the step, so it checks once more."""
    step = GRID_MINUTES * 60
    candidate = moment
    for _ in range(3):
        offset = datetime.fromtimestamp(candidate, tz).utcoffset()
        shift = offset.total_seconds() if offset else 0.0
        local = candidate + shift
        aligned = -(-local // step) * step  # round up to the grid
        rounded = aligned - shift
        if rounded == candidate:
            return candidate
        candidate = max(rounded, moment)
    return candidate


def _next_local_midnight(moment: float, tz: ZoneInfo) -> float:
    day = datetime.fromtimestamp(moment, tz).date() + timedelta(days=1)
    return datetime.combine(day, time(), tzinfo=tz).timestamp()


def suggest(
    *,
    first: Person,
    second: Person,
    minutes: int,
    now: datetime,
    days: int = DEFAULT_DAYS,
    lead: timedelta = DEFAULT_LEAD,
    limit: int | None = None,
) -> list[datetime]:
    """The earliest start each day (the first person's day) that suits both people; see the
    module's docstring. Returns UTC datetimes, earliest first, at most ``limit`` of them."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if first.unknown or second.unknown or minutes <= 0:
        return []
    start = (now + lead).timestamp()
    end = (now + timedelta(days=days)).timestamp()
    common = _intersect(available_windows(first, start, end), available_windows(second, start, end))
    if not common:
        return []
    busy = _merge([(_epoch(a), _epoch(b)) for a, b in (*first.busy, *second.busy)])
    length = minutes * 60
    tz = zone_of(first.zone)
    found: list[datetime] = []
    taken_day: date | None = None
    for lo, hi in _subtract(common, busy):
        cursor = lo
        while True:
            slot = _on_grid(cursor, tz)
            if slot + length > hi:
                break
            day = datetime.fromtimestamp(slot, tz).date()
            if day == taken_day:
                # One a day: look again from the first person's next midnight.
                cursor = _next_local_midnight(slot, tz)
                continue
            found.append(datetime.fromtimestamp(slot, UTC))
            if limit is not None and len(found) >= limit:
                return found
            taken_day = day
            cursor = _next_local_midnight(slot, tz)
    return found
