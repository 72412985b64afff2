"""Who a write is made through, when no person makes it: an API key. The API's base view sets
it for the request; the audit log adds it to every event the request records, so a write made
with a (possibly leaked) key is traced to that key, whichever service recorded it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_through: ContextVar[str | None] = ContextVar("acting_through", default=None)


@contextmanager
def acting_through(label: str) -> Iterator[None]:
    """Within the body, audit events say they were made ``label`` (e.g. "via API key …")."""
    token = _through.set(label)
    try:
        yield
    finally:
        _through.reset(token)


def attributed(summary: str, *, limit: int = 300) -> str:
    """``summary`` with the current channel appended, kept within ``limit`` characters (the
    channel is never the part cut off: it is what the reader of the log needs)."""
    label = _through.get()
    if not label:
        return summary[:limit]
    suffix = f" ({label})"
    return summary[: max(0, limit - len(suffix))] + suffix
