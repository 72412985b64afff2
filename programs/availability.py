"""Weekly availability: when a person can usually meet, in their own time zone.

A pure module (no Django, an import-linter contract): the page, the API, the CSV import, the
data migration, matching and "Find a time" all read and write the same shape through it.

The stored shape (``Participant.weekly_availability``) is a JSON list of ranges
``[weekday, "HH:MM", "HH:MM"]``: weekday 0 is Monday, times are wall-clock times of the
participant's ``timezone``, the end is after the start on the same day ("24:00" ends at
midnight), and the list is sorted with no two ranges overlapping or touching (they are merged).

Times are on half-hour steps (:data:`STEP_MINUTES`). The page's grid has one checkbox per half
hour, so every stored range can be shown and edited there without rounding; finer steps would
be lost the first time someone saved the grid. The grid covers :data:`GRID_START` to
:data:`GRID_END`; ranges outside it (set through the API) are valid and kept by the page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

STEP_MINUTES = 30
DAY_MINUTES = 24 * 60
# Matching compares weeks in UTC quarter hours: every zone in use today is a whole number of
# quarter hours from UTC (Asia/Kathmandu +5:45, Asia/Kolkata +5:30), so the comparison is exact.
QUARTER_MINUTES = 15
WEEK_QUARTERS = 7 * DAY_MINUTES // QUARTER_MINUTES
# At most one range per half hour of the week alternating with a gap: a merged list can never
# hold more, so a longer list is a client sending something else.
MAX_RANGES = 7 * DAY_MINUTES // (2 * STEP_MINUTES)
GRID_START = 6 * 60
GRID_END = 22 * 60

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_SHORT = tuple(name[:3] for name in DAY_NAMES)
WEEKDAYS = (0, 1, 2, 3, 4)

# The parts of day of the old free text, as the issue defines them.
MORNING = (9 * 60, 12 * 60)
AFTERNOON = (13 * 60, 17 * 60)
EVENING = (17 * 60, 20 * 60)
WORKING_DAY = (9 * 60, 17 * 60)

Range = list[Any]  # [weekday, "HH:MM", "HH:MM"], as stored
Span = tuple[int, int, int]  # (weekday, start minute, end minute)


class AvailabilityError(ValueError):
    """Ranges that cannot be stored; ``messages`` says why, one sentence each."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


# --- Clock times ----------------------------------------------------------------------------------

_CLOCK = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])")


def parse_clock(text: str) -> int:
    """Minutes since midnight of "HH:MM" ("24:00" is 1440); ValueError otherwise."""
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a time written HH:MM")
    minutes = int(match[1]) * 60 + int(match[2])
    if minutes > DAY_MINUTES:
        raise ValueError(f"{text!r} is after 24:00")
    return minutes


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- Validation -----------------------------------------------------------------------------------


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping or touching spans of a day merged into one."""
    merged: list[Span] = []
    for day, start, end in sorted(spans):
        if merged and merged[-1][0] == day and start <= merged[-1][2]:
            last = merged[-1]
            merged[-1] = (day, last[1], max(last[2], end))
        else:
            merged.append((day, start, end))
    return merged


def spans_of(ranges: Iterable[Sequence[Any]]) -> list[Span]:
    """Stored ranges as minute spans, trusting them (they were normalised when written)."""
    return [(int(r[0]), parse_clock(r[1]), parse_clock(r[2])) for r in ranges]


def ranges_of(spans: Iterable[Span]) -> list[Range]:
    return [[day, clock(start), clock(end)] for day, start, end in spans]


def normalise(raw: Any) -> list[Range]:
    """Check ranges from outside (a form, the API, a migration) and return them as stored:
    merged and sorted. Raises :class:`AvailabilityError` with every problem found."""
    if not isinstance(raw, list | tuple):
        raise AvailabilityError(["Give a list of [weekday, start, end] ranges."])
    if len(raw) > MAX_RANGES:
        raise AvailabilityError([f"Give at most {MAX_RANGES} ranges."])
    problems: list[str] = []
    spans: list[Span] = []
    for index, item in enumerate(raw, start=1):
        where = f"Range {index}"
        if not isinstance(item, list | tuple) or len(item) != 3:
            problems.append(f'{where}: give [weekday, start, end], e.g. [0, "09:00", "12:00"].')
            continue
        day, start_text, end_text = item
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            problems.append(f"{where}: the weekday must be a whole number from 0 (Monday) to 6.")
            continue
        try:
            start, end = parse_clock(start_text), parse_clock(end_text)
        except ValueError:
            problems.append(f"{where}: write times as HH:MM, from 00:00 to 24:00.")
            continue
        if start % STEP_MINUTES or end % STEP_MINUTES:
            problems.append(f"{where}: times must be on the hour or the half hour.")
            continue
        if start >= end:
            problems.append(
                f"{where}: {DAY_NAMES[day]} {clock(start)}–{clock(end)}: the end must be after "
                "the start (a range stays within one day)."
            )
            continue
        spans.append((day, start, end))
    if problems:
        raise AvailabilityError(problems)
    return ranges_of(_merge(spans))


def is_valid(raw: Any) -> bool:
    try:
        return normalise(raw) == raw
    except AvailabilityError:
        return False


# --- The page's grid ------------------------------------------------------------------------------

Cell = tuple[int, int]  # (weekday, start minute of a half hour within the grid)


def grid_times() -> list[int]:
    """Start minutes of the grid's rows."""
    return list(range(GRID_START, GRID_END, STEP_MINUTES))


def cell_key(day: int, minute: int) -> str:
    """A checkbox's value: "0-09:00" is Monday 09:00–09:30."""
    return f"{day}-{clock(minute)}"


def parse_cell_key(key: str) -> Cell:
    """The cell of a checkbox's value; ValueError for anything not on the grid."""
    day_text, _, time_text = key.partition("-")
    if not day_text.isdigit() or not 0 <= int(day_text) <= 6:
        raise ValueError(f"{key!r} is no day of the grid")
    minute = parse_clock(time_text)
    if minute not in range(GRID_START, GRID_END, STEP_MINUTES):
        raise ValueError(f"{key!r} is no time of the grid")
    return int(day_text), minute


def ranges_to_cells(ranges: Iterable[Sequence[Any]]) -> set[Cell]:
    """The grid's cells the ranges cover (parts outside the grid are not cells)."""
    cells: set[Cell] = set()
    for day, start, end in spans_of(ranges):
        first = max(start, GRID_START)
        for minute in range(first - first % STEP_MINUTES, min(end, GRID_END), STEP_MINUTES):
            if minute >= start:
                cells.add((day, minute))
    return cells


def cells_to_ranges(cells: Iterable[Cell]) -> list[Range]:
    return ranges_of(_merge((day, minute, minute + STEP_MINUTES) for day, minute in cells))


def outside_grid(ranges: Iterable[Sequence[Any]]) -> list[Range]:
    """The parts of the ranges before or after the grid's hours, which the page keeps."""
    parts: list[Span] = []
    for day, start, end in spans_of(ranges):
        if start < GRID_START:
            parts.append((day, start, min(end, GRID_START)))
        if end > GRID_END:
            parts.append((day, max(start, GRID_END), end))
    return ranges_of(_merge(parts))


def range_key(day: int, start: int, end: int) -> str:
    """A kept range's checkbox value: "0-05:00-06:00" is Monday 05:00–06:00."""
    return f"{day}-{clock(start)}-{clock(end)}"


def parse_range_key(key: str) -> Span:
    """The span of a kept range's checkbox value; ValueError unless it is a valid range that
    lies wholly outside the grid's hours (the grid's boxes say what happens inside them)."""
    day_text, _, times = key.partition("-")
    start_text, _, end_text = times.partition("-")
    if not day_text.isdigit() or not 0 <= int(day_text) <= 6:
        raise ValueError(f"{key!r} is no day")
    start, end = parse_clock(start_text), parse_clock(end_text)
    if start % STEP_MINUTES or end % STEP_MINUTES or start >= end:
        raise ValueError(f"{key!r} is no range")
    if not (end <= GRID_START or start >= GRID_END):
        raise ValueError(f"{key!r} is not outside the grid")
    return int(day_text), start, end


def combine(*lists: Iterable[Sequence[Any]]) -> list[Range]:
    """Several valid lists as one (merged)."""
    return ranges_of(_merge(span for ranges in lists for span in spans_of(ranges)))


def copy_day(
    ranges: Iterable[Sequence[Any]], *, source: int, targets: Iterable[int]
) -> list[Range]:
    """Every target day gets exactly the source day's ranges."""
    targets = set(targets) - {source}
    spans = spans_of(ranges)
    kept = [s for s in spans if s[0] not in targets]
    copied = [(day, start, end) for d, start, end in spans if d == source for day in targets]
    return ranges_of(_merge([*kept, *copied]))


# --- The old free text ----------------------------------------------------------------------------

_DAY_WORDS = {
    **{name.lower(): i for i, name in enumerate(DAY_NAMES)},
    **{name.lower() + "s": i for i, name in enumerate(DAY_NAMES)},
    **{short.lower(): i for i, short in enumerate(DAY_SHORT)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_PART_WORDS = {
    "morning": MORNING,
    "mornings": MORNING,
    "am": MORNING,
    "afternoon": AFTERNOON,
    "afternoons": AFTERNOON,
    "pm": AFTERNOON,
    "evening": EVENING,
    "evenings": EVENING,
}
_GROUP_WORDS = {
    "weekday": WEEKDAYS,
    "weekdays": WEEKDAYS,
    "weekend": (5, 6),
    "weekends": (5, 6),
    "daily": tuple(range(7)),
}
_FILLER = {"and", "or", "on", "&", "+", ",", "/", ";", ".", "plus"}
# Words that join two things as alternatives or a union ("evenings and weekends"), unlike "on".
_JOINERS = {"and", "or", "plus", "&", "+", ",", "/", ";"}
_DAY_ALT = "|".join(sorted(_DAY_WORDS, key=len, reverse=True))
_HOUR = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?"
_TOKEN = re.compile(
    rf"(?P<hours>{_HOUR}\s*(?:-|to)\s*{_HOUR})"
    rf"|(?P<dayrange>(?:{_DAY_ALT})\s*(?:-|to)\s*(?:{_DAY_ALT}))\b"
    r"|(?P<word>[a-z]+)"
    r"|(?P<sep>[,/&+;.])"
    r"|(?P<space>\s+)"
)


def _hour(hour: str, minute: str | None, meridiem: str | None) -> int | None:
    h, m = int(hour), int(minute or 0)
    if meridiem:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if meridiem == "pm" else 0)
    if h > 24 or m >= 60 or (h == 24 and m):
        return None
    return h * 60 + m


def _bare_small(hour: str) -> bool:
    """A one-digit hour 1–7 without am/pm: people who write "Tue 2-5" or "evenings 6-8" mean
    the afternoon or evening, nobody means the middle of the night ("02:00" is written so)."""
    return len(hour) == 1 and 1 <= int(hour) <= 7


def _hours_token(match: re.Match[str]) -> tuple[int, int] | None:
    end = _hour(match[5], match[6], match[7])
    start = _hour(match[2], match[3], match[4])
    if start is None or end is None:
        return None
    if match[4] is None and match[7] is not None:
        # "2-5pm" is 14:00–17:00, but "9-12pm" is 09:00–12:00.
        shared = _hour(match[2], match[3], match[7])
        if shared is not None and shared < end:
            start = shared
    elif match[4] is None and match[7] is None:
        # No am/pm at all: small bare hours are afternoon ones ("2-5" is 14:00–17:00), and an
        # end before its start then is too ("6-8" is 18:00–20:00, "10-2" 10:00–14:00).
        if _bare_small(match[2]):
            start += 12 * 60
        if _bare_small(match[5]) or (end < start and end <= 12 * 60):
            end += 12 * 60
    if start >= end or end > DAY_MINUTES:
        return None
    if start % STEP_MINUTES or end % STEP_MINUTES:
        return None
    return start, end


@dataclass
class _Group:
    days: list[int]
    hours: list[tuple[int, int]]
    # The hours written as numbers ("6-8"). Named with a part of day they say which part of it
    # is meant, so they must fall within it: "evenings 6-8" is 18:00–20:00 (not 17:00–20:00),
    # "mornings 6-8" cannot be read.
    numbers: list[tuple[int, int]]


def parse_legacy(text: str) -> list[Range] | None:
    """Read the old free text ("Tue/Thu mornings", "weekdays 9-12", "Mon 14:00-17:00",
    "evenings") as ranges; None unless every word of it is understood (the text then stays as
    the note). Parts of day: mornings 09:00–12:00, afternoons 13:00–17:00, evenings
    17:00–20:00. Days without hours mean 09:00–17:00; hours without days mean every weekday.
    A bare hour 1–7 is in the afternoon ("Tue 2-5" is 14:00–17:00). Text that joins hours to
    days with "and" or a comma ("evenings and weekends": weekday evenings, or weekend evenings
    only?) is ambiguous, hence None."""
    text = text.lower().replace("–", "-").replace("—", "-").strip()
    if not text:
        return None
    groups: list[_Group] = [_Group([], [], [])]
    joined = False  # a joiner since the last day or hours
    last = ""  # the kind of the last meaningful token: "day" or "hours"
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            return None
        position = match.end()
        kind, days, hours = match.lastgroup, [], []
        if kind == "hours":
            span = _hours_token(match)
            if span is None:
                return None
            hours = [span]
        elif kind == "sep":
            joined = joined or match[0] in _JOINERS
        elif kind == "dayrange":
            first, _, second = re.split(r"\s*(-|to)\s*", match[0], maxsplit=1)
            a, b = _DAY_WORDS[first], _DAY_WORDS[second]
            if a > b:
                return None
            days = list(range(a, b + 1))
        elif kind == "word":
            word = match[0]
            if word in _DAY_WORDS:
                days = [_DAY_WORDS[word]]
            elif word in _GROUP_WORDS:
                days = list(_GROUP_WORDS[word])
            elif word in _PART_WORDS:
                hours = [_PART_WORDS[word]]
            elif word not in _FILLER:
                return None
            joined = joined or word in _JOINERS
        group = groups[-1]
        if days:
            if joined and group.hours and not group.days:
                return None  # "evenings and weekends"
            # "Tue mornings Thu afternoons": a day after hours starts the next group.
            if group.days and group.hours and last == "hours":
                groups.append(_Group([], [], []))
            groups[-1].days.extend(days)
            last, joined = "day", False
        elif hours:
            if joined and group.days and not group.hours:
                return None  # "weekends and evenings"
            if group.days and group.hours and last == "day":
                groups.append(_Group([], [], []))
            groups[-1].hours.extend(hours)
            if kind == "hours":
                groups[-1].numbers.extend(hours)
            last, joined = "hours", False
    for group in groups:
        parts = [span for span in group.hours if span not in group.numbers]
        if parts and group.numbers:
            for start, end in group.numbers:
                if not any(p_start <= start and end <= p_end for p_start, p_end in parts):
                    return None
            for p_start, p_end in parts:  # "morning & evening 6-8": what of the morning?
                if not any(p_start <= start and end <= p_end for start, end in group.numbers):
                    return None
            group.hours = group.numbers
    spans = [
        (day, start, end)
        for group in groups
        if group.days or group.hours
        for day in (group.days or WEEKDAYS)
        for start, end in (group.hours or [WORKING_DAY])
    ]
    return ranges_of(_merge(spans)) if spans else None


# --- Reading --------------------------------------------------------------------------------------


def _day_list(days: list[int], day_short: Sequence[str] = DAY_SHORT) -> str:
    """ "Mon–Fri" for three or more days in a row, else "Mon, Wed"."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{day_short[run[0]]}–{day_short[run[-1]]}")
        else:
            parts.extend(day_short[d] for d in run)
    return ", ".join(parts)


def summary(ranges: Iterable[Sequence[Any]], day_short: Sequence[str] = DAY_SHORT) -> str:
    """One line for people: days with the same hours together, e.g.
    "Mon, Wed 09:00–12:00 · Thu 14:00–17:00"; empty when nothing is set. ``day_short`` names
    the days (Monday first): the pages pass them in the reader's language."""
    by_day: dict[int, list[str]] = {}
    for day, start, end in spans_of(ranges):
        by_day.setdefault(day, []).append(f"{clock(start)}–{clock(end)}")
    groups: dict[tuple[str, ...], list[int]] = {}
    for day in sorted(by_day):
        groups.setdefault(tuple(by_day[day]), []).append(day)
    return " · ".join(
        f"{_day_list(days, day_short)} {', '.join(hours)}" for hours, days in groups.items()
    )


def zone_or_utc(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=8192)
def _quarters_cached(spans: tuple[Span, ...], zone_name: str, monday: date) -> frozenset[int]:
    zone = zone_or_utc(zone_name)
    week_start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    quarters: set[int] = set()
    for day, start, end in spans:
        local_day = monday + timedelta(days=day)
        begin = datetime.combine(local_day, time(0), tzinfo=zone) + timedelta(minutes=start)
        finish = datetime.combine(local_day, time(0), tzinfo=zone) + timedelta(minutes=end)
        # Wall-clock arithmetic above; to UTC through the zone's rules of that very day.
        first = (begin.astimezone(UTC) - week_start).total_seconds() / 60
        last = (finish.astimezone(UTC) - week_start).total_seconds() / 60
        # Exact for today's zones (whole quarter hours from UTC); a historical offset in odd
        # minutes counts the quarter it touches.
        for quarter in range(
            math.floor(first / QUARTER_MINUTES), math.ceil(last / QUARTER_MINUTES)
        ):
            quarters.add(quarter % WEEK_QUARTERS)
    return frozenset(quarters)


def quarters_of_week_utc(
    ranges: Iterable[Sequence[Any]], zone_name: str, reference_monday: date
) -> frozenset[int]:
    """The quarter hours of the week (0 = Monday 00:00–00:15 UTC, up to 671) that the ranges
    cover, in UTC, with the zone's offsets of the week starting ``reference_monday`` (daylight
    saving differs over the year). Quarter hours, because zones sit a quarter or a half hour
    off UTC (Asia/Kathmandu +5:45, Asia/Kolkata +5:30): two people share a quarter only when
    they share its minutes. Quarters past Sunday wrap to Monday: the week repeats. An unknown
    zone counts as UTC."""
    if reference_monday.weekday() != 0:
        reference_monday -= timedelta(days=reference_monday.weekday())
    return _quarters_cached(tuple(spans_of(ranges)), zone_name, reference_monday)
