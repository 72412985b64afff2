"""Suggested times ("Find a time"): the pure slot finder for two people with 2,000 busy
intervals each, in zones with daylight-saving changes inside the four-week window.

Prints the median and the worst time over RUNS searches (the issue's limit: 50 ms). Needs no
database; ``python -m tests.bench.slots_bench`` runs it alone in about a second.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from pairings.slots import Person, suggest

RUNS = 30
BUSY_EACH = 2000
LIMIT_MS = 50.0
# The window holds the European change to summer time (last Sunday of March) and, a fortnight
# earlier, the American one: the search crosses both.
NOW = datetime(2027, 3, 10, 7, 0, tzinfo=UTC)


def busy_calendar(seed: int, count: int) -> list[tuple[datetime, datetime]]:
    """``count`` meetings of 15 to 45 minutes over eight weeks, on a quarter-hour grid
    (overlapping ones included, as real calendars have), shuffled."""
    rnd = random.Random(seed)
    quarters = 8 * 7 * 24 * 4
    intervals = []
    for _ in range(count):
        start = NOW + timedelta(minutes=15 * rnd.randrange(quarters))
        intervals.append((start, start + timedelta(minutes=rnd.choice([15, 15, 30, 30, 45]))))
    return intervals


def people(busy_each: int) -> tuple[Person, Person]:
    weekdays = [[d, "08:00", "12:00"] for d in range(5)] + [[d, "13:00", "18:30"] for d in range(5)]
    return (
        Person(weekdays, "Europe/London", busy_calendar(1, busy_each)),
        Person(
            [[d, "07:00", "11:00"] for d in range(6)],
            "America/New_York",
            busy_calendar(2, busy_each),
        ),
    )


def run_slots_bench(busy_each: int = BUSY_EACH, runs: int = RUNS) -> dict[str, float]:
    first, second = people(busy_each)
    suggest(first=first, second=second, minutes=60, now=NOW)  # warm-up (zone data loads)
    samples = []
    found = 0
    for _ in range(runs):
        start = time.perf_counter()
        found = len(suggest(first=first, second=second, minutes=60, now=NOW))
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": statistics.median(samples),
        "max_ms": max(samples),
        "suggestions": found,
        "busy_each": busy_each,
    }


def print_table(result: dict[str, float]) -> None:
    verdict = "ok" if result["median_ms"] <= LIMIT_MS else f"OVER {LIMIT_MS:.0f} ms"
    print(
        f"Find a time: two people with {result['busy_each']:,} busy intervals each: median "
        f"{result['median_ms']:.1f} ms, worst {result['max_ms']:.1f} ms over {RUNS} runs "
        f"({result['suggestions']} suggestions; limit {LIMIT_MS:.0f} ms: {verdict})"
    )


if __name__ == "__main__":
    print_table(run_slots_bench())
