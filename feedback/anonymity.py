"""The anonymity rule, a pure module (no ORM): what may be shown of answers from a group.

k is the organisation's threshold (never below 3). A figure computed from fewer than k people is
withheld, for everyone. Two figures shown side by side must not describe fewer than k people by
subtraction either:

- in a breakdown (by department, by side), when the groups withheld add up to fewer than k
  people, the total minus the shown groups would describe them; so the smallest shown groups are
  withheld as well until the hidden ones together reach k;
- a filtered view (one department) beside the unfiltered one is shown only when both the
  filtered group and the rest of the population reach k (or the rest is empty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MIN_K = 3
WITHHELD = (
    "Fewer than {k} people answered in this group, so its figures are withheld: "
    "with so few answers, someone could guess who said what."
)


def effective_k(k: int) -> int:
    return max(MIN_K, int(k))


def may_show(count: int, k: int) -> bool:
    return count >= effective_k(k)


def may_show_subset(subset: int, population: int, k: int) -> bool:
    """A filtered figure beside the unfiltered one: the filter and its complement must both
    reach k (or the complement be empty), or subtraction isolates fewer than k people."""
    k = effective_k(k)
    rest = population - subset
    return subset >= k and (rest == 0 or rest >= k)


def shown_groups(groups: Mapping[str, int], k: int) -> dict[str, bool]:
    """Which groups of a breakdown may be shown (see the module docstring)."""
    k = effective_k(k)
    shown = {name: count >= k for name, count in groups.items()}
    hidden = sum(count for name, count in groups.items() if not shown[name])
    while 0 < hidden < k:
        visible = sorted((count, name) for name, count in groups.items() if shown[name])
        if not visible:
            break
        count, name = visible[0]
        shown[name] = False
        hidden += count
    return shown


@dataclass(frozen=True)
class Summary:
    """Aggregates of numeric answers (a Likert scale or an NPS question)."""

    count: int
    average: float | None
    distribution: dict[int, int]
    nps: float | None = None


def summarize(values: Sequence[int], *, scale: range, nps: bool = False) -> Summary:
    distribution = {v: 0 for v in scale}
    for v in values:
        if v in distribution:
            distribution[v] += 1
    count = sum(distribution.values())
    average = sum(v * n for v, n in distribution.items()) / count if count else None
    score = None
    if nps and count:
        promoters = sum(n for v, n in distribution.items() if v >= 9)
        detractors = sum(n for v, n in distribution.items() if v <= 6)
        score = round(100 * (promoters - detractors) / count, 1)
    return Summary(count=count, average=average, distribution=distribution, nps=score)
