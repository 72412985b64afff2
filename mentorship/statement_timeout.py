"""A time limit on each SQL statement of the web processes, so one slow query cannot hold a
web worker, and the page that says so.

``STATEMENT_TIMEOUT_SECONDS`` (default 10, 0 for none) applies to web processes only: the web
entry point (``mentorship/wsgi.py``, which gunicorn and ``runserver`` load) calls
:func:`limit_statements`. Celery workers, beat and management commands (migrations,
``seed_scale``, imports) never load it, so they are not limited: their long statements are
expected, and nobody waits on them in a browser.

- PostgreSQL: the limit is the server's own ``statement_timeout``, given as a start-up option of
  each connection (``-c statement_timeout=…``): it costs no query, not even one per connection.
- SQLite: the driver's progress handler, called every few thousand steps of a statement,
  interrupts it once its time is up (``OperationalError: interrupted``). The time of a
  statement runs from its ``execute`` and includes fetching its rows.

A statement stopped for its time raises ``OperationalError``; :class:`StatementTimeoutMiddleware`
turns that into a 503 page (``503.html``, or a short ``_503.html`` for htmx swaps) and logs it.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

# SQLSTATE query_canceled: statement_timeout, or a cancel by an operator (pg_cancel_backend).
QUERY_CANCELED = "57014"
# What SQLite says when its progress handler stops a statement.
SQLITE_INTERRUPTED = "interrupted"
# How many virtual-machine steps SQLite runs between two looks at the clock: about a
# millisecond of work, so the check costs nothing measurable and stops a statement promptly.
SQLITE_STEPS_BETWEEN_CHECKS = 10_000
_PG_OPTION = re.compile(r"\s*-c\s*statement_timeout=\S+")

# The limit of this process, in seconds (0: none). Set by limit_statements().
_limit_seconds: float = 0.0


def limit_statements(*, seconds: float) -> None:
    """Limit every SQL statement of the connections this process opens from now on to
    ``seconds`` (0 removes the limit). Called by the web entry point before any connection is
    open; a PostgreSQL connection already open keeps its setting until it reconnects."""
    global _limit_seconds
    _limit_seconds = max(seconds, 0.0)
    milliseconds = math.ceil(_limit_seconds * 1000)
    # The settings dictionaries of the connection handler are those every new connection of
    # every thread reads its parameters from.
    for database in connections.settings.values():
        if database["ENGINE"] != "django.db.backends.postgresql":
            continue
        options = database.setdefault("OPTIONS", {})
        kept = _PG_OPTION.sub("", options.get("options", "")).strip()
        if milliseconds:
            kept = f"{kept} -c statement_timeout={milliseconds}".strip()
        if kept:
            options["options"] = kept
        else:
            options.pop("options", None)
    if _limit_seconds:
        connection_created.connect(_limit_sqlite, dispatch_uid=__name__)
    else:
        connection_created.disconnect(dispatch_uid=__name__)


def _limit_sqlite(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Give a new SQLite connection a deadline per statement and a handler that enforces it."""
    if connection.vendor != "sqlite":
        return
    deadline = math.inf

    def started(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        nonlocal deadline
        deadline = time.monotonic() + _limit_seconds if _limit_seconds else math.inf
        return execute(sql, params, many, context)

    def out_of_time() -> bool:
        return time.monotonic() > deadline

    started.statement_timeout = True  # type: ignore[attr-defined]
    connection.connection.set_progress_handler(out_of_time, SQLITE_STEPS_BETWEEN_CHECKS)
    # The wrapper object outlives its database connection: replace the previous one's clock.
    # First in the list: a caller's ``with connection.execute_wrapper(...)`` pops the last one.
    connection.execute_wrappers[:] = [
        wrapper
        for wrapper in connection.execute_wrappers
        if not getattr(wrapper, "statement_timeout", False)
    ]
    connection.execute_wrappers.insert(0, started)


def is_statement_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is a statement stopped for its time (PostgreSQL or SQLite)."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    return code == QUERY_CANCELED or str(exc).strip() == SQLITE_INTERRUPTED


class StatementTimeoutMiddleware:
    """A view whose query ran out of time answers 503 with a page that says so, not a 500.

    The page is rendered without the request's context: no query runs after the failed one
    (inside a transaction, PostgreSQL would refuse it).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_statement_timeout(exception):
            return None
        logger.warning(
            "A statement ran out of time (limit %s s) on %s %s",
            _limit_seconds or "set by the database",
            request.method,
            request.path,
            exc_info=exception,
        )
        if getattr(request, "htmx", False):
            response = HttpResponse(render_to_string("_503.html"), status=503)
            # base.html lets htmx swap a 503; this one replaces the inside of the target with
            # the message alone, whatever part of the page the request asked to select.
            response["HX-Reswap"] = "innerHTML"
            response["HX-Reselect"] = "#slow-page"
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        patch_vary_headers(response, ["HX-Request"])
        return response
