"""The table `make load` prints: per page, requests, failures, requests/s, p50, p99 and the p50
as a multiple of ``/healthz``'s, measured in the same seconds under the same load.

The percentiles are computed here from every response time the locustfile recorded while people
browsed (exact milliseconds), not read from locust's CSV: locust rounds its percentiles (to 10 ms
above 100 ms), and ``/healthz`` answers in a few milliseconds, so a ratio of rounded figures
would be noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

HEALTHZ = "healthz"
TOTAL = "total (pages, without healthz)"


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    failures: int
    per_second: float
    p50_ms: float
    p99_ms: float


def percentile(times_ms: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest time that ``fraction`` of the requests did not exceed."""
    ordered = sorted(times_ms)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def row(name: str, times_ms: Sequence[float], failures: int, seconds: float) -> Row:
    return Row(
        name=name,
        requests=len(times_ms),
        failures=failures,
        per_second=len(times_ms) / seconds,
        p50_ms=percentile(times_ms, 0.5),
        p99_ms=percentile(times_ms, 0.99),
    )


def rows(
    samples: Mapping[str, Sequence[float]], failures: Mapping[str, int], seconds: float
) -> tuple[list[Row], Row | None, Row]:
    """The pages' rows (by name), the ``/healthz`` row (None if it was never answered) and the
    total of the pages."""
    pages = [
        row(name, times, failures.get(name, 0), seconds)
        for name, times in sorted(samples.items())
        if name != HEALTHZ and times
    ]
    healthz = samples.get(HEALTHZ)
    pooled = [t for name, times in samples.items() if name != HEALTHZ for t in times]
    total = row(TOTAL, pooled, sum(n for name, n in failures.items() if name != HEALTHZ), seconds)
    return (
        pages,
        row(HEALTHZ, healthz, failures.get(HEALTHZ, 0), seconds) if healthz else None,
        total,
    )


def table(pages: list[Row], healthz: Row | None, total: Row) -> list[str]:
    width = max(len(r.name) for r in [*pages, total])
    lines = [
        f"{'page':<{width}}  {'requests':>8}  {'failures':>8}  {'req/s':>6}  {'p50 ms':>7}  "
        f"{'p99 ms':>7}  {'x healthz':>9}"
    ]
    for r in [*pages, *([healthz] if healthz else []), total]:
        ratio = f"{r.p50_ms / healthz.p50_ms:9.1f}" if healthz else f"{'-':>9}"
        lines.append(
            f"{r.name:<{width}}  {r.requests:>8}  {r.failures:>8}  {r.per_second:>6.1f}  "
            f"{r.p50_ms:>7.1f}  {r.p99_ms:>7.1f}  {ratio}"
        )
    return lines
