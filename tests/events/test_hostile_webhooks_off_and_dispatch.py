"""An endpoint turned off keeps recording its events (its pages promise it); the dispatcher
does not re-enqueue what it already enqueued and no worker has reached yet."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from mentorship.events import services, tasks
from mentorship.events.models import EventType
from mentorship.events.services import event_emit
from tests.conftest import Tenant
from tests.events.support import Receiver, deliveries, make_endpoint, time_is

pytestmark = pytest.mark.usefixtures("private_networks")


def emit(tenant: Tenant, n: int) -> None:
    with tenant.scope():
        event_emit(
            organization=tenant.organization, event_type=EventType.PAIRING_ACTIVE, data={"id": n}
        )


def test_events_while_the_endpoint_is_off_are_kept_and_sent_when_it_is_on(
    alpha: Tenant, receiver: Receiver
) -> None:
    """endpoint_disable.html: "Events it listens to keep being recorded and are sent when you
    turn it on again"; endpoint.html: "events wait and are sent once you turn it on"; the
    auto-disable notice: "Undelivered events are kept". But ``subscribed_endpoints`` only
    takes enabled endpoints, so every event while it is off is dropped for it, silently (a
    receiver auto-disabled overnight loses the whole next day)."""
    endpoint, _ = make_endpoint(alpha, receiver.url)
    with alpha.scope():
        services.endpoint_disable(endpoint=endpoint, actor=alpha.hr)
    emit(alpha, 1)
    emit(alpha, 2)
    with alpha.scope():
        services.endpoint_enable(endpoint=endpoint, actor=alpha.hr)
    assert len(deliveries(alpha)) == 2, "the events emitted while it was off were dropped"


def test_the_dispatcher_does_not_enqueue_the_same_due_delivery_every_minute(
    alpha: Tenant, receiver: Receiver
) -> None:
    """A due delivery stays due (``next_attempt_at <= now``, no claim) from the moment the
    dispatcher enqueues it until a worker claims it. With a backlog bigger than the workers
    drain in a minute (a receiver back after an outage, a slow receiver at 15 s per attempt,
    20 per task), each minute's pass enqueues the whole backlog again: the broker queue grows
    by the backlog every minute, and other organisations' deliveries wait behind it."""
    make_endpoint(alpha, receiver.url)
    start = timezone.now()
    with time_is(start), mock.patch.object(tasks.deliver_webhooks, "apply_async"):
        for n in range(3):
            emit(alpha, n)  # after commit, enqueued (mocked: the workers are busy)
    enqueued: list[int] = []
    with mock.patch.object(
        tasks.deliver_webhooks,
        "delay",
        side_effect=lambda **kw: enqueued.extend(kw["delivery_ids"]),
    ):
        for minute in range(1, 6):
            with time_is(start + timedelta(minutes=minute)):
                tasks.dispatch_webhook_deliveries()
    assert len(enqueued) <= 3, f"{len(enqueued)} deliveries enqueued for 3 due in 5 minutes"
