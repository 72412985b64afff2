"""Query-count pinning: count the queries of one call, and check that a page (or a service)
runs as many queries with much data as with little.

    small, large = assert_queries_do_not_grow(
        lambda: client.get(url), grow=lambda: add_rows(40), pinned=7
    )

On failure the message gives both counts and the SQL the larger run ran that the smaller did
not, which is usually the N+1 query to look at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass
class Run:
    """What one call returned and the SQL of every query it ran."""

    result: Any
    sql: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sql)


def run(fn: Callable[[], Any]) -> Run:
    """Call ``fn`` and capture its queries (on the default connection)."""
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return Run(result=result, sql=[q["sql"] for q in ctx.captured_queries])


def count_queries(fn: Callable[[], Any]) -> int:
    """The number of queries ``fn`` runs."""
    return run(fn).count


def extra_sql(small: Run, large: Run, limit: int = 20) -> list[str]:
    """The queries of ``large`` that ``small`` did not run (as a multiset of SQL texts)."""
    left = Counter(small.sql)
    extra = []
    for sql in large.sql:
        if left[sql]:
            left[sql] -= 1
        else:
            extra.append(sql[:300])
    return extra[:limit]


def describe(small: Run, large: Run) -> str:
    lines = [f"{small.count} queries with less data, {large.count} with more."]
    if extra := extra_sql(small, large):
        lines.append("Queries of the larger run the smaller did not run:")
        lines += [f"  {sql}" for sql in extra]
    return "\n".join(lines)


def assert_same_queries(
    small: Run,
    large: Run,
    *,
    extra: int = 0,
    pinned: int | None = None,
    at_most: int | None = None,
) -> None:
    """``large`` ran exactly ``extra`` more queries than ``small`` (none by default); with
    ``pinned``, ``small`` ran exactly that many; with ``at_most``, ``large`` ran no more."""
    assert large.count == small.count + extra, describe(small, large)
    if pinned is not None:
        assert small.count == pinned, f"pinned at {pinned}: " + describe(small, large)
    if at_most is not None:
        assert large.count <= at_most, f"at most {at_most}: " + describe(small, large)


def assert_queries_do_not_grow(
    fn: Callable[[], Any],
    *,
    grow: Callable[[], Any],
    extra: int = 0,
    pinned: int | None = None,
    at_most: int | None = None,
) -> tuple[Run, Run]:
    """Run ``fn``, then ``grow()`` the data, then ``fn`` again, and check with
    :func:`assert_same_queries`. Returns both runs (their ``result`` is what ``fn`` returned)."""
    small = run(fn)
    grow()
    large = run(fn)
    assert_same_queries(small, large, extra=extra, pinned=pinned, at_most=at_most)
    return small, large
