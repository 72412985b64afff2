"""Two workers woken for the same delivery (the after-commit task and the dispatcher, or a
duplicate wake-up) claim it at the same moment: exactly one may win."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone

from mentorship.events import delivery as delivery_module
from mentorship.events import tasks
from mentorship.events.models import EventType
from mentorship.events.services import event_emit
from tests.conftest import Tenant
from tests.events.support import deliveries, make_endpoint

pytestmark = pytest.mark.usefixtures("private_networks")


def test_two_workers_claiming_the_same_delivery_at_once_get_one_claim(
    transactional_db: None, alpha: Tenant, receiver
) -> None:
    """The claim filters on the endpoint (``endpoint__enabled=True``), a join, so Django
    writes it as ``UPDATE … WHERE id IN (SELECT … WHERE claimed_until IS NULL …)``. On
    PostgreSQL (READ COMMITTED) the second UPDATE waits for the first's row lock, then
    re-checks only ``id IN (…)`` against the subquery result it computed before the wait: it
    claims too, and both workers send. (SQLite serialises writers: it passes there.)"""
    make_endpoint(alpha, receiver.url)
    with alpha.scope(), mock.patch.object(tasks.deliver_webhooks, "delay_on_commit"):
        event_emit(
            organization=alpha.organization, event_type=EventType.PAIRING_ACTIVE, data={"id": 1}
        )
    [pending] = deliveries(alpha)
    assert pending.attempts == 0 and pending.status == "pending"
    now = timezone.now()
    first_claimed = threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        try:
            with alpha.scope(), transaction.atomic():
                results["first"] = delivery_module.claim(delivery_id=pending.pk, now=now)
                first_claimed.set()
                time.sleep(1.0)  # the second UPDATE is now waiting on our row lock
        finally:
            first_claimed.set()
            connection.close()

    def second() -> None:
        first_claimed.wait()
        try:
            with alpha.scope():
                results["second"] = delivery_module.claim(delivery_id=pending.pk, now=now)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    won = [name for name in ("first", "second") if results.get(name) is not None]
    [after] = deliveries(alpha)
    assert won == ["first"], f"claimed by {won}; attempts counted: {after.attempts}"
