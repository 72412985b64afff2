"""Webhook delivery tasks: per-batch delivery after commit, and the dispatcher beat runs every
minute for what is due (retries, lost wake-ups, attempts of killed workers).

Both are idempotent: every attempt starts with a claim (``delivery.claim``), so a duplicate
wake-up, a redelivered task or two dispatchers' overlapping passes send nothing twice. This
module imports ``delivery`` and ``selectors``, never ``services`` (which enqueues these tasks).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from datetime import datetime, timedelta

from celery import shared_task
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from mentorship.events import delivery, selectors
from mentorship.events.fence import fenced_session
from mentorship.tasks import ReliableTask, TenantTask
from mentorship.tenancy import across_all_organizations

logger = logging.getLogger(__name__)

# Deliveries per task from the dispatcher: attempts to one slow receiver must not hold up
# thousands of others behind them in a single task.
DELIVERY_BATCH = 20
# What one pass of the dispatcher enqueues for one organisation at most (ten tasks).
PER_ORGANIZATION_PER_PASS = 10 * DELIVERY_BATCH


@shared_task(base=TenantTask)
def deliver_webhooks(*, organization_id: int, delivery_ids: list[int]) -> int:
    """Attempt each due delivery of the list once. Returns how many were acknowledged."""
    delivered = 0
    with fenced_session() as session:
        for delivery_id in delivery_ids:
            try:
                result = delivery.deliver(delivery_id=delivery_id, session=session)
            except Exception:
                # Its claim lapses and the dispatcher tries again; the others still go.
                logger.exception("Webhook delivery %s failed unexpectedly", delivery_id)
                continue
            delivered += result.delivered
            if result.retry_in is not None and result.retry_in <= delivery.SHORT_RETRY:
                _wake_up_in(result.retry_in, organization_id, delivery_id)
    return delivered


def _wake_up_in(delay: timedelta, organization_id: int, delivery_id: int) -> None:
    """The first retry (5 s) cannot wait for the dispatcher's minute. A second later than due,
    so that the attempt finds it due; if the broker is down, the dispatcher sends it."""
    try:
        deliver_webhooks.apply_async(
            kwargs={"organization_id": organization_id, "delivery_ids": [delivery_id]},
            countdown=math.ceil(delay.total_seconds()) + 1,
        )
    except BrokerUnavailable:
        logger.warning("Broker unavailable; the dispatcher retries delivery %s", delivery_id)


@shared_task(base=ReliableTask)
def dispatch_webhook_deliveries(
    *, after: tuple[str, int] | None = None, shares: dict[str, int] | None = None
) -> int:
    """Fan out the deliveries that are due. Returns how many were enqueued.

    A page at a time (``selectors.DISPATCH_PAGE``); a full page queues the pass after it from
    where it ended, with what each organisation was given so far (``shares``). Each delivery
    enqueued is leased (``delivery.lease_for_dispatch``): the next passes leave it to its task,
    so a backlog is enqueued once, not once a minute. An organisation gets at most
    ``PER_ORGANIZATION_PER_PASS`` a pass, the rest the next minute: one organisation's backlog
    (a receiver back after a day) does not fill the queue ahead of every other's deliveries."""
    now = timezone.now()
    cursor = None if after is None else (datetime.fromisoformat(after[0]), after[1])
    given: dict[str, int] = dict(shares or {})
    full = {int(org) for org, count in given.items() if count >= PER_ORGANIZATION_PER_PASS}
    due = selectors.deliveries_due_across_organizations(
        now=now, after=cursor, skip_organizations=full
    )
    by_organization: dict[int, list[int]] = defaultdict(list)
    for organization_id, delivery_id, _ in due:
        if given.get(str(organization_id), 0) < PER_ORGANIZATION_PER_PASS:
            given[str(organization_id)] = given.get(str(organization_id), 0) + 1
            by_organization[organization_id].append(delivery_id)
    taken = [delivery_id for ids in by_organization.values() for delivery_id in ids]
    if taken:
        _enqueue(by_organization, taken=taken, now=now)
    if len(due) == selectors.DISPATCH_PAGE:
        _, last_id, last_due = due[-1]
        dispatch_webhook_deliveries.delay(after=(last_due.isoformat(), last_id), shares=given)
    return len(taken)


def _enqueue(by_organization: dict[int, list[int]], *, taken: list[int], now: datetime) -> None:
    """Lease, then enqueue (a task may run at once, and its claim ends the lease); what cannot
    be enqueued loses its lease, for the next pass."""
    with across_all_organizations():
        delivery.lease_for_dispatch(delivery_ids=taken, now=now)
    sent: set[int] = set()
    try:
        for organization_id, ids in by_organization.items():
            for start in range(0, len(ids), DELIVERY_BATCH):
                batch = ids[start : start + DELIVERY_BATCH]
                deliver_webhooks.delay(organization_id=organization_id, delivery_ids=batch)
                sent.update(batch)
    except Exception:
        with across_all_organizations():
            delivery.release_dispatch_lease(delivery_ids=[d for d in taken if d not in sent])
        raise
