"""The pure slot finder: both people available in their own zone and clock, never busy, one a
day, after the lead time and within four weeks; fast on large calendars."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from pairings.slots import DEFAULT_LEAD, Person, suggest
from tests.bench.slots_bench import people

NOW = datetime(2027, 3, 10, 7, 0, tzinfo=UTC)
ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
]


def minutes_of(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


def wall_clock(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The instant a person's clock shows ``minutes`` after midnight of ``day``. A time the
    clocks skip (spring forward) is the moment they resume, as the slot finder documents."""
    naive = datetime.combine(day, time_of_day()) + timedelta(minutes=minutes)
    moment = naive.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == naive:
        return moment
    # Skipped: the first minute, between the two readings of the skipped time, on the new offset.
    after = naive.replace(tzinfo=zone, fold=1).utcoffset()
    at = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    while at.astimezone(zone).utcoffset() != after:
        at += timedelta(minutes=1)
    return at


def inside_weekly(person: Person, start: datetime, minutes: int) -> bool:
    """The meeting lies inside one of the person's ranges, read on their own day and clock."""
    zone = ZoneInfo(person.zone)
    local = start.astimezone(zone)
    end = start + timedelta(minutes=minutes)
    for day, lo, hi in person.weekly:
        if local.weekday() != day:
            continue
        begin = wall_clock(local.date(), minutes_of(lo), zone)
        finish = wall_clock(local.date(), minutes_of(hi), zone)
        if begin <= start and end <= finish:
            return True
    return False


def test_the_earliest_common_time_each_day_in_both_zones() -> None:
    london = Person([[d, "13:00", "18:00"] for d in range(5)], "Europe/London")
    new_york = Person([[d, "08:00", "12:00"] for d in range(5)], "America/New_York")
    found = suggest(first=london, second=new_york, minutes=60, now=NOW)
    # Before the US change (14 March 2027): 08:00 EST is 13:00 GMT; between the two changes
    # 08:00 EDT is 12:00 GMT, so London's 13:00 is the start; after 28 March, 13:00 BST.
    assert found[0] == datetime(2027, 3, 10, 13, 0, tzinfo=UTC)
    assert datetime(2027, 3, 15, 13, 0, tzinfo=UTC) in found
    assert datetime(2027, 3, 29, 12, 0, tzinfo=UTC) in found  # 13:00 BST = 08:00 EDT
    assert all(at.weekday() < 5 for at in found)
    assert found[-1] < NOW + timedelta(days=28)


def test_busy_times_are_skipped_and_touching_is_fine() -> None:
    london = Person(
        [[2, "09:00", "12:00"]],
        "Europe/London",
        busy=[(datetime(2027, 3, 17, 9, 0, tzinfo=UTC), datetime(2027, 3, 17, 10, 0, tzinfo=UTC))],
    )
    other = Person(
        [[2, "09:00", "12:00"]],
        "Europe/London",
        busy=[(datetime(2027, 3, 17, 11, 0, tzinfo=UTC), datetime(2027, 3, 17, 12, 0, tzinfo=UTC))],
    )
    found = suggest(first=london, second=other, minutes=60, now=datetime(2027, 3, 15, tzinfo=UTC))
    assert found[0] == datetime(2027, 3, 17, 10, 0, tzinfo=UTC)  # between the two, touching both


def test_an_unknown_calendar_or_no_hours_gives_no_suggestion() -> None:
    hours = [[d, "09:00", "17:00"] for d in range(7)]
    assert (
        suggest(
            first=Person(hours, "UTC"),
            second=Person(hours, "UTC", unknown=True),
            minutes=60,
            now=NOW,
        )
        == []
    )
    assert suggest(first=Person([], "UTC"), second=Person(hours, "UTC"), minutes=60, now=NOW) == []


def test_times_start_on_the_half_hour_of_the_first_persons_clock() -> None:
    hours = [[d, "09:10", "17:00"] for d in range(7)]
    found = suggest(
        first=Person(hours, "Asia/Kathmandu"),
        second=Person([[d, "00:00", "24:00"] for d in range(7)], "UTC"),
        minutes=30,
        now=NOW,
    )
    local = [at.astimezone(ZoneInfo("Asia/Kathmandu")) for at in found]
    # Today (now + 2 h is 14:45 there) at 15:00; then every day at 09:30, not 09:10.
    assert (local[0].hour, local[0].minute) == (15, 0)
    assert {(t.hour, t.minute) for t in local[1:]} == {(9, 30)}


def test_nothing_starts_before_the_lead_time() -> None:
    always = [[d, "00:00", "24:00"] for d in range(7)]
    found = suggest(first=Person(always, "UTC"), second=Person(always, "UTC"), minutes=60, now=NOW)
    assert found[0] == NOW + DEFAULT_LEAD


def test_a_range_inside_the_spring_forward_gap_starts_when_the_clocks_resume() -> None:
    # Europe/Paris skips 02:00-03:00 on 28 March 2027.
    first = Person([[6, "02:00", "04:00"]], "Europe/Paris")
    second = Person([[d, "00:00", "24:00"] for d in range(7)], "UTC")
    found = suggest(first=first, second=second, minutes=60, now=datetime(2027, 3, 22, tzinfo=UTC))
    paris = found[0].astimezone(ZoneInfo("Europe/Paris"))
    assert (paris.day, paris.hour, paris.minute) == (28, 3, 0)


def test_two_people_with_two_thousand_busy_intervals_each_take_under_50_ms() -> None:
    first, second = people(2000)
    suggest(first=first, second=second, minutes=60, now=NOW)  # warm-up
    samples = []
    for _ in range(9):
        start = time.perf_counter()
        suggest(first=first, second=second, minutes=60, now=NOW)
        samples.append(time.perf_counter() - start)
    assert sorted(samples)[4] < 0.050


# --- Property: random hours, zones and calendars --------------------------------------------

clock = st.integers(min_value=0, max_value=48).map(
    lambda half: f"{half // 2:02d}:{half % 2 * 30:02d}"
)


@st.composite
def weekly(draw: st.DrawFn) -> list[list]:
    ranges = []
    for day in draw(st.sets(st.integers(0, 6), min_size=1, max_size=7)):
        lo, hi = sorted(draw(st.lists(clock, min_size=2, max_size=2, unique=True)))
        ranges.append([day, lo, hi])
    return ranges


@st.composite
def busy_calendar(draw: st.DrawFn) -> list[tuple[datetime, datetime]]:
    starts = draw(st.lists(st.integers(0, 30 * 24 * 4), max_size=120))
    lengths = draw(st.lists(st.integers(1, 16), min_size=len(starts), max_size=len(starts)))
    return [
        (NOW + timedelta(minutes=15 * s), NOW + timedelta(minutes=15 * (s + n)))
        for s, n in zip(starts, lengths, strict=True)
    ]


@settings(max_examples=150, deadline=None)
@given(
    weekly(),
    weekly(),
    st.sampled_from(ZONES),
    st.sampled_from(ZONES),
    busy_calendar(),
    busy_calendar(),
    st.sampled_from([30, 45, 60, 90]),
    st.integers(0, 300 * 24 * 60),
)
def test_suggestions_fit_both_people_and_never_overlap_a_busy_time(
    first_hours, second_hours, first_zone, second_zone, first_busy, second_busy, minutes, shift
) -> None:
    now = NOW + timedelta(minutes=shift)
    first_busy = [
        (s + timedelta(minutes=shift), e + timedelta(minutes=shift)) for s, e in first_busy
    ]
    second_busy = [
        (s + timedelta(minutes=shift), e + timedelta(minutes=shift)) for s, e in second_busy
    ]
    first = Person(first_hours, first_zone, first_busy)
    second = Person(second_hours, second_zone, second_busy)
    found = suggest(first=first, second=second, minutes=minutes, now=now)
    length = timedelta(minutes=minutes)
    days = [at.astimezone(ZoneInfo(first_zone)).date() for at in found]
    assert len(days) == len(set(days)), "at most one a day"
    assert found == sorted(found)
    for at in found:
        assert at >= now + DEFAULT_LEAD
        assert at + length <= now + timedelta(days=28)
        for start, end in (*first_busy, *second_busy):
            assert not (at < end and start < at + length), (at, start, end)
        assert inside_weekly(first, at, minutes), at
        assert inside_weekly(second, at, minutes), at
