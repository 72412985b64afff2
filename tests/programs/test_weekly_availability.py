"""The pure weekly-availability rules: validation, the grid both ways, the old free text, the
summary people read and the UTC hours matching compares."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from programs import availability as weekly
from programs.csv_parser import ParticipantRow, parse_participants_csv

WINTER_MONDAY = date(2027, 1, 4)
SUMMER_MONDAY = date(2027, 7, 5)

cells = st.sets(st.tuples(st.integers(0, 6), st.sampled_from(weekly.grid_times())), max_size=80)
spans = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 47), st.integers(1, 48)).filter(
        lambda s: s[1] < s[2]
    ),
    max_size=30,
)


def as_ranges(raw: list[tuple[int, int, int]]) -> list[list[object]]:
    return [[d, weekly.clock(a * 30), weekly.clock(b * 30)] for d, a, b in raw]


@given(cells)
def test_cells_to_ranges_and_back_is_the_same_cells(ticked: set[tuple[int, int]]) -> None:
    ranges = weekly.cells_to_ranges(ticked)
    assert weekly.is_valid(ranges)
    assert weekly.ranges_to_cells(ranges) == ticked


@given(spans)
def test_normalised_ranges_are_sorted_disjoint_and_stable(raw: list[tuple[int, int, int]]) -> None:
    ranges = weekly.normalise(as_ranges(raw))
    assert weekly.normalise(ranges) == ranges
    flat = weekly.spans_of(ranges)
    assert flat == sorted(flat)
    for (d1, _, e1), (d2, s2, _) in itertools.pairwise(flat):
        assert d1 < d2 or e1 < s2  # neither overlapping nor touching
    # The same half hours before and after.
    before = {(d, m) for d, a, b in raw for m in range(a * 30, b * 30, 30)}
    after = {(d, m) for d, a, b in flat for m in range(a, b, 30)}
    assert before == after


@given(spans)
def test_grid_and_outside_parts_together_are_the_ranges(raw: list[tuple[int, int, int]]) -> None:
    ranges = weekly.normalise(as_ranges(raw))
    rebuilt = weekly.combine(
        weekly.cells_to_ranges(weekly.ranges_to_cells(ranges)), weekly.outside_grid(ranges)
    )
    assert rebuilt == ranges


def test_overlapping_and_touching_ranges_merge() -> None:
    assert weekly.normalise(
        [[2, "13:00", "15:00"], [0, "09:00", "10:00"], [0, "09:30", "11:00"], [0, "11:00", "12:00"]]
    ) == [[0, "09:00", "12:00"], [2, "13:00", "15:00"]]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Mon 9-12", "Give a list"),
        ([[0, "10:00", "09:00"]], "Monday 10:00–09:00: the end must be after the start"),
        ([[0, "09:00", "09:00"]], "Monday 09:00–09:00: the end must be after the start"),
        ([[7, "09:00", "10:00"]], "weekday must be a whole number from 0"),
        ([[True, "09:00", "10:00"]], "weekday must be a whole number"),
        ([[0, "09:15", "10:00"]], "on the hour or the half hour"),
        ([[0, "9:00", "10:00"]], "HH:MM"),
        ([[0, "23:00", "24:30"]], "HH:MM"),
        ([[0, "09:00"]], "give [weekday, start, end]"),
        ([[0, "09:00", "10:00"]] * (weekly.MAX_RANGES + 1), "at most"),
    ],
)
def test_bad_ranges_are_refused_with_a_reason(raw: object, message: str) -> None:
    with pytest.raises(weekly.AvailabilityError) as caught:
        weekly.normalise(raw)
    assert message in str(caught.value)


def test_a_range_may_end_at_midnight() -> None:
    assert weekly.normalise([[6, "22:00", "24:00"]]) == [[6, "22:00", "24:00"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue/Thu mornings", "Tue, Thu 09:00–12:00"),
        ("Wed afternoons", "Wed 13:00–17:00"),
        ("weekdays 9-12", "Mon–Fri 09:00–12:00"),
        ("Mon 14:00-17:00", "Mon 14:00–17:00"),
        ("Mon 14:00–17:00", "Mon 14:00–17:00"),
        ("evenings", "Mon–Fri 17:00–20:00"),
        ("Tue mornings, Thu afternoons", "Tue 09:00–12:00 · Thu 13:00–17:00"),
        ("mornings on Tue and Thu", "Tue, Thu 09:00–12:00"),
        ("Mon-Wed 2-5pm", "Mon–Wed 14:00–17:00"),
        ("Fridays", "Fri 09:00–17:00"),
        ("weekends", "Sat, Sun 09:00–17:00"),
        ("Mon morning & evening", "Mon 09:00–12:00, 17:00–20:00"),
    ],
)
def test_the_old_free_text_that_parses(text: str, expected: str) -> None:
    ranges = weekly.parse_legacy(text)
    assert ranges is not None and weekly.is_valid(ranges)
    assert weekly.summary(ranges) == expected


@pytest.mark.parametrize(
    "text", ["", "  ", "not in August", "Tue mornings except holidays", "9:15-10", "Fri-Mon", "5-3"]
)
def test_text_that_does_not_parse_fully_is_none(text: str) -> None:
    assert weekly.parse_legacy(text) is None


def test_the_summary_groups_days_with_the_same_hours() -> None:
    assert (
        weekly.summary([[0, "09:00", "12:00"], [2, "09:00", "12:00"], [3, "14:00", "17:00"]])
        == "Mon, Wed 09:00–12:00 · Thu 14:00–17:00"
    )
    assert weekly.summary([]) == ""


def quarters(first_hour: float, last_hour: float) -> set[int]:
    """The quarter hours of the week from ``first_hour`` to ``last_hour`` (UTC hours)."""
    return set(range(int(first_hour * 4), int(last_hour * 4)))


def test_quarters_of_week_follow_the_zone_and_its_daylight_saving() -> None:
    paris = [[0, "09:00", "11:00"]]
    assert weekly.quarters_of_week_utc(paris, "Europe/Paris", WINTER_MONDAY) == quarters(8, 10)
    assert weekly.quarters_of_week_utc(paris, "Europe/Paris", SUMMER_MONDAY) == quarters(7, 9)
    # Half-hour and quarter-hour zones are exact: 03:30–05:30 and 03:15–05:15 UTC.
    assert weekly.quarters_of_week_utc(paris, "Asia/Kolkata", WINTER_MONDAY) == quarters(3.5, 5.5)
    assert weekly.quarters_of_week_utc(paris, "Asia/Kathmandu", WINTER_MONDAY) == quarters(
        3.25, 5.25
    )
    # Monday early in Tokyo is Sunday in UTC: the week wraps round.
    assert weekly.quarters_of_week_utc(
        [[0, "01:00", "02:00"]], "Asia/Tokyo", WINTER_MONDAY
    ) == quarters(7 * 24 - 8, 7 * 24 - 7)
    assert weekly.quarters_of_week_utc(paris, "Not/AZone", WINTER_MONDAY) == quarters(9, 11)
    # Any day of the week stands for its Monday.
    assert weekly.quarters_of_week_utc(paris, "UTC", date(2027, 1, 7)) == quarters(9, 11)


@given(cells, st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kathmandu"]))
def test_quarters_of_week_are_within_the_week(ticked: set[tuple[int, int]], zone: str) -> None:
    found = weekly.quarters_of_week_utc(weekly.cells_to_ranges(ticked), zone, SUMMER_MONDAY)
    assert all(0 <= q < weekly.WEEK_QUARTERS for q in found)
    assert len(found) == 2 * len(ticked)  # no half hour lost or doubled, whatever the zone


def test_copy_day_replaces_the_targets() -> None:
    ranges = [[0, "09:00", "10:00"], [1, "15:00", "16:00"], [6, "10:00", "11:00"]]
    assert weekly.copy_day(ranges, source=0, targets=weekly.WEEKDAYS) == [
        [d, "09:00", "10:00"] for d in range(5)
    ] + [[6, "10:00", "11:00"]]


def test_cell_keys_outside_the_grid_are_refused() -> None:
    assert weekly.parse_cell_key("2-09:30") == (2, 570)
    for key in ("7-09:00", "x-09:00", "1-05:00", "1-22:00", "1-09:15", "1"):
        with pytest.raises(ValueError):
            weekly.parse_cell_key(key)


# --- The CSV import's availability cell -------------------------------------------------------

HEADER = "email,first_name,last_name,side,availability\n"


def test_the_csv_cell_gives_hours_where_it_parses_and_a_note_otherwise() -> None:
    result = parse_participants_csv(
        HEADER
        + "a@x.test,A,A,junior,Tue/Thu mornings\n"
        + "b@x.test,B,B,senior,not in August\n"
        + "c@x.test,C,C,senior,\n"
    )
    assert result.is_clean
    a, b, c = result.rows
    assert a.weekly_availability == ((1, "09:00", "12:00"), (3, "09:00", "12:00"))
    assert a.availability == ""
    assert (b.weekly_availability, b.availability) == (None, "not in August")
    assert (c.weekly_availability, c.availability) == (None, None)  # left as it is
    assert ParticipantRow.from_dict(a.to_dict()) == a
    assert ParticipantRow.from_dict(c.to_dict()) == c
    held = [[1, "09:00", "12:00"], [3, "09:00", "12:00"]]
    assert a.availability_changes(held, "") == {}
    # Only what is empty is filled: hours people set are kept, and a note is never emptied.
    assert a.availability_changes([], "old") == {"weekly_availability": held}
    assert a.availability_changes([[0, "09:00", "10:00"]], "") == {}
    assert b.availability_changes([], "") == {"availability": "not in August"}
    assert b.availability_changes([], "mine") == {}
    assert c.availability_changes(held, "old") == {}


def test_a_long_availability_cell_is_reported_on_its_line() -> None:
    result = parse_participants_csv(HEADER + "a@x.test,A,A,junior," + "x" * 201 + "\n")
    assert result.errors == [(2, "availability is longer than 200 characters")]
