"""Dashboards, exports and list pages read from a read replica, when there is one.

With ``DATABASE_REPLICA_URL`` set, the settings add a ``replica`` database, :class:`ReplicaRouter`
and :class:`ReplicaMiddleware`; without it none of this runs. A GET of a view marked
:func:`reads_from_replica` reads from the replica; everything else reads and writes the primary
(``default``):

- Every write goes to the primary. Once a request has written (a save, an update, a delete, a
  ``select_for_update``), its later reads go to the primary too: it reads what it wrote.
- A read inside a transaction of the primary stays in it (it may follow a write, or lock).
- For ``DATABASE_REPLICA_STICKY_SECONDS`` after a request of this browser wrote, its requests
  read the primary only: the page after a form (the redirect after a POST) never misses the
  write because the replica lags. A cookie carries it, not the session, so it costs no query.
- Sign-in, session and second-factor tables are read from the primary wherever asked.
- Celery tasks, management commands and any code outside a marked view read the primary.

Tenancy does not change: django-scopes adds the organisation's filter to the query itself, so
a query on the replica is scoped (or refused) exactly as on the primary.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"
# Present while this browser's own recent write may not have reached the replica yet.
STICKY_COOKIE = "read_primary"
# Read from the primary wherever asked: who is signed in, with which second factor and session
# must never lag behind a sign-in, a password change or a sign-out.
PRIMARY_ONLY_APPS = frozenset(
    {"auth", "sessions", "account", "mfa", "usersessions", "socialaccount"}
)
# Who may see what is read from the primary too, even in a marked view: a member removed, a
# sponsor withdrawn, a survey's release plan narrowed or the organisation's k raised must count
# at once, not once the replica has caught up. These are small rows, read once per page.
PRIMARY_ONLY_MODELS = frozenset(
    {
        "mentorship.membership",
        "mentorship.organization",
        "programs.programsponsor",
        "feedback.feedbackcycle",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class _RequestReads:
    """Where this request may read from: set up by the middleware, marked by the decorator,
    told of each write by the router."""

    sticky: bool
    replica_allowed: bool = False
    wrote: bool = False


_current: ContextVar[_RequestReads | None] = ContextVar("replica_reads", default=None)


def reads_from_replica(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let a GET of this view read from the replica (dashboards, exports, list pages).

    Only for pages where a few seconds of lag is harmless to the viewer: the figures and lists
    of others' work. Without a replica, or for any other method, it changes nothing.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        reads = _current.get()
        if reads is None or request.method not in SAFE_METHODS:
            return view(request, *args, **kwargs)
        reads.replica_allowed = True
        try:
            return view(request, *args, **kwargs)
        finally:
            reads.replica_allowed = False

    return wrapper


class ReplicaMiddleware:
    """Gives each request its routing state, and keeps a browser on the primary for a few
    seconds after its request wrote (see the module's docstring). Installed with the replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reads = _RequestReads(sticky=STICKY_COOKIE in request.COOKIES)
        token = _current.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if reads.wrote:
            response.set_cookie(
                STICKY_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_STICKY_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


class ReplicaRouter:
    """Reads of a marked view to the replica, everything else to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        reads = _current.get()
        if (
            reads is not None
            and reads.replica_allowed
            and not reads.wrote
            and not reads.sticky
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and model._meta.label_lower not in PRIMARY_ONLY_MODELS
            and not connections[PRIMARY].in_atomic_block
        ):
            return REPLICA
        # Explicitly, not None: Django would otherwise follow the database an instance was
        # loaded from, and a replica-loaded object would lead reads after a write back there.
        return PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        reads = _current.get()
        if reads is not None:
            reads.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The same rows on both sides: an object read from the replica may point to one read
        # from the primary.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # The replica copies the primary's schema; migrations run on the primary only.
        return db == PRIMARY
