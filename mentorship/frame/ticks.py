"""One tick of every beat dispatcher, run in this process (``manage.py beat_tick``).

Beat sends each dispatcher to a worker every minute; each asks the database which organisations
have something due and fans out one task per such organisation. A tick here asks the same
questions and does the same per-organisation work, in order, without a broker: for an operator
checking a stuck queue ("what is due, and does it go out?") and for the benchmarks. Every send
claims its row first, exactly as in the tasks, so a tick beside running workers sends nothing
twice.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count

from feedback import selectors as feedback_selectors
from feedback.services import cycles as cycle_services
from mentorship import delivery
from mentorship import selectors as kernel_selectors
from mentorship.frame import digest
from mentorship.models import Organization
from mentorship.tasks import deliver_notification_emails
from mentorship.tenancy import across_all_organizations, tenant_scope
from pairings import invitations, reminders
from pairings.models import Meeting

# What is due, by organisation id: the items (ids, or whatever ``run`` needs) of each.
Due = dict[int, list[Any]]


@dataclass(frozen=True)
class Dispatcher:
    name: str
    due: Callable[[datetime], Due]
    # Sends what is due in one organisation (called inside its scope); returns how many sent.
    run: Callable[[Organization, datetime, list[Any]], int]
    # Writes the dispatcher makes before asking what is due (not in a dry run).
    prepare: Callable[[datetime], None] | None = None


@dataclass
class TickRow:
    name: str
    due: int
    organizations: int
    sent: int
    seconds: float
    queries: int


def _grouped(pairs: Iterable[tuple[int, Any]]) -> Due:
    out: Due = defaultdict(list)
    for organization_id, item in pairs:
        out[organization_id].append(item)
    return dict(out)


def _reminders_prepare(now: datetime) -> None:
    reminders.quiet_checks_follow_setting(now=now)


def _reminders_due(now: datetime) -> Due:
    with across_all_organizations():
        meetings = Meeting.objects.filter(next_due_at__lte=now).values_list("organization_id", "pk")
        pairs = reminders.quiet_pairs_due(now=now).values_list("organization_id", "pk")
        return _grouped([*meetings.order_by(), *pairs.order_by()])


def _reminders_run(organization: Organization, now: datetime, items: list[Any]) -> int:
    return reminders.reminders_send_due(organization=organization, now=now)


def _cycles_due(now: datetime) -> Due:
    with across_all_organizations():
        return _grouped(
            feedback_selectors.cycles_due(now=now).order_by().values_list("organization_id", "pk")
        )


def _cycles_run(organization: Organization, now: datetime, items: list[Any]) -> int:
    return sum(cycle_services.cycles_dispatch(organization=organization, now=now).values())


def _notification_emails_due(now: datetime) -> Due:
    return _grouped(
        kernel_selectors.notifications_due_for_email_across_organizations(
            max_attempts=delivery.MAX_EMAIL_ATTEMPTS
        )
    )


def _notification_emails_run(organization: Organization, now: datetime, items: list[Any]) -> int:
    # The task a burst uses: each email claimed and sent in its own transaction, and one that
    # fails is left to the next tick instead of stopping this one.
    return deliver_notification_emails(organization_id=organization.pk, notification_ids=items)


def _each_in_its_transaction(items: list[Any], send: Callable[[Any], int]) -> int:
    """As the tasks do: each claim commits together with its send (see SendTask)."""
    sent = 0
    for item in items:
        with transaction.atomic():
            sent += send(item)
    return sent


def _invitation_emails_due(now: datetime) -> Due:
    # Every page, as the dispatcher's chain of pages sends them all.
    owed: list[tuple[int, int, datetime]] = []
    while True:
        after = (owed[-1][2], owed[-1][1]) if owed else None
        page = kernel_selectors.invitations_due_for_email_across_organizations(after=after)
        owed += page
        if len(page) < kernel_selectors.INVITATION_EMAIL_PAGE:
            break
    return _grouped((organization_id, invitation_id) for organization_id, invitation_id, _ in owed)


def _invitation_emails_run(organization: Organization, now: datetime, items: list[Any]) -> int:
    return _each_in_its_transaction(
        items, lambda invitation_id: delivery.invitation_email_send(invitation_id=invitation_id)
    )


def _meeting_invitations_due(now: datetime) -> Due:
    return _grouped(
        (organization_id, (meeting_id, sequence, method))
        for organization_id, meeting_id, sequence, method in (
            invitations.meeting_invitations_due_across_organizations()
        )
    )


def _meeting_invitations_run(organization: Organization, now: datetime, items: list[Any]) -> int:
    return _each_in_its_transaction(
        items,
        lambda change: invitations.meeting_invitation_deliver(
            meeting_id=change[0], sequence=change[1], method=change[2]
        ),
    )


def _digests_due(now: datetime) -> Due:
    week = digest.digest_week(now)
    if week is None:
        return {}
    with across_all_organizations():
        return {
            row["organization_id"]: [None] * row["n"]
            for row in digest.digest_recipients(week=week)
            .order_by()
            .values("organization_id")
            .annotate(n=Count("id"))
        }


def _digests_run(organization: Organization, now: datetime, items: list[Any]) -> int:
    return digest.digests_dispatch(organization=organization, now=now)


DISPATCHERS = (
    Dispatcher(
        "meeting reminders and quiet pairs", _reminders_due, _reminders_run, _reminders_prepare
    ),
    Dispatcher("feedback cycles", _cycles_due, _cycles_run),
    Dispatcher("notification emails", _notification_emails_due, _notification_emails_run),
    Dispatcher("invitation emails", _invitation_emails_due, _invitation_emails_run),
    Dispatcher("meeting invitations", _meeting_invitations_due, _meeting_invitations_run),
    Dispatcher("weekly sponsor digests", _digests_due, _digests_run),
)


class QueryCounter:
    """Counts the statements run on the default connection (without keeping them, unlike the
    test utilities, whose log stops at 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def tick(
    *, now: datetime, organization: Organization | None = None, dry_run: bool = False
) -> list[TickRow]:
    """Run each dispatcher once (or, with ``dry_run``, only ask what is due), measuring each."""
    rows = []
    for dispatcher in DISPATCHERS:
        sent = 0
        start = time.perf_counter()
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            if dispatcher.prepare is not None and not dry_run:
                dispatcher.prepare(now)
            due = dispatcher.due(now)
            if organization is not None:
                due = {k: v for k, v in due.items() if k == organization.pk}
            if not dry_run and due:
                for org in Organization.objects.filter(pk__in=due).order_by("pk"):
                    with tenant_scope(org):
                        sent += dispatcher.run(org, now, due[org.pk])
        rows.append(
            TickRow(
                name=dispatcher.name,
                due=sum(len(items) for items in due.values()),
                organizations=len(due),
                sent=sent,
                seconds=time.perf_counter() - start,
                queries=counter.count,
            )
        )
    return rows
