"""The anonymity threshold and the aggregates, a pure module (no ORM).

k is the organisation's threshold (never below 3). Which groups' figures may be shown, alone or
beside any other view, is decided by one rule in ``feedback.disclosure`` (the release plan);
this module holds k itself and the arithmetic of a shown group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIN_K = 3


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogues (makemessages knows this name) without importing
    Django: this module is pure. Callers translate it where it is shown (feedback.results);
    the API shows it as it is, in English."""
    return message


WITHHELD = gettext_noop(
    "Fewer than {k} people answered in this group, so its figures are withheld: "
    "with so few answers, someone could guess who said what."
)


def effective_k(k: int) -> int:
    return max(MIN_K, int(k))


def may_show(count: int, k: int) -> bool:
    return count >= effective_k(k)


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
