"""Delivery survives what goes wrong: a receiver down for an hour, a worker killed mid-send,
duplicate wake-ups; it retries on the published schedule, honours Retry-After, gives up after
15 s, follows no redirect, keeps a truncated excerpt of the answer; the dispatcher's cost does
not grow with what is stored."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from mentorship.events import delivery as delivery_module
from mentorship.events.models import EventType, WebhookDelivery
from mentorship.events.services import event_emit
from mentorship.events.tasks import deliver_webhooks, dispatch_webhook_deliveries
from tests.conftest import Tenant
from tests.events.support import Answer, Receiver, deliveries, make_endpoint, time_is
from tests.queries import assert_queries_do_not_grow

pytestmark = pytest.mark.usefixtures("private_networks")


def emit_many(tenant: Tenant, count: int, *, deliver: bool = True, capture=None) -> None:
    with tenant.scope():
        if not deliver:
            for n in range(count):
                event_emit(
                    organization=tenant.organization,
                    event_type=EventType.PAIRING_ACTIVE,
                    data={"id": n},
                )
            return
        with capture(execute=True):
            for n in range(count):
                event_emit(
                    organization=tenant.organization,
                    event_type=EventType.PAIRING_ACTIVE,
                    data={"id": n},
                )


def attempt_now(tenant: Tenant) -> int:
    """One attempt of every delivery, as the worker would make them."""
    ids = [d.pk for d in deliveries(tenant)]
    return deliver_webhooks(organization_id=tenant.organization.pk, delivery_ids=ids)


def test_a_receiver_down_for_an_hour_gets_every_event_once_it_is_back(
    alpha: Tenant, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_endpoint(alpha, receiver.url)
    receiver.stop()  # nothing listens on its port: connections are refused
    start = timezone.now()
    with time_is(start):
        emit_many(alpha, 5, capture=django_capture_on_commit_callbacks)
    assert all(d.attempts == 1 and d.status == "pending" for d in deliveries(alpha))

    minute = timedelta(minutes=1)
    for step in range(1, 4 * 60):
        if step == 60:
            receiver.start()  # back after an hour, on the same port
        with time_is(start + step * minute):
            dispatch_webhook_deliveries()
        if step > 60 and all(d.status == "delivered" for d in deliveries(alpha)):
            break
    delivered = deliveries(alpha)
    assert all(d.status == WebhookDelivery.Status.DELIVERED for d in delivered)
    # Received once each, with the event's own webhook-id, and not sent again once taken.
    assert Counter(receiver.ids()) == {d.event.message_id: 1 for d in delivered}
    assert all(d.attempts == 5 for d in delivered)  # 0 s, 5 s, 5 min, 30 min, then 2 h
    for later in range(1, 13):
        with time_is(start + timedelta(hours=4 + later)):
            assert dispatch_webhook_deliveries() == 0
    assert len(receiver.received) == 5


def test_each_webhook_id_is_sent_again_until_it_is_acknowledged(
    alpha: Tenant, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    refusals: Counter[str] = Counter()

    def answer(request) -> Answer:
        event_id = request.headers["webhook-id"]
        refusals[event_id] += 1
        return Answer(status=500 if refusals[event_id] <= 2 else 204, body=b"")

    receiver.answer = answer
    make_endpoint(alpha, receiver.url)
    start = timezone.now()
    with time_is(start):
        emit_many(alpha, 2, capture=django_capture_on_commit_callbacks)
    for minutes in (1, 2, 10, 60, 180):
        with time_is(start + timedelta(minutes=minutes)):
            dispatch_webhook_deliveries()
    assert all(d.status == "delivered" and d.attempts == 3 for d in deliveries(alpha))
    assert Counter(receiver.ids()) == {d.event.message_id: 3 for d in deliveries(alpha)}


def test_a_worker_killed_mid_delivery_loses_nothing(alpha: Tenant, receiver: Receiver) -> None:
    make_endpoint(alpha, receiver.url)
    emit_many(alpha, 1, deliver=False)  # the wake-up after commit never came
    [pending] = deliveries(alpha)
    start = timezone.now()
    with alpha.scope():
        # A worker claims the attempt, then dies before sending (or before settling).
        assert delivery_module.claim(delivery_id=pending.pk, now=start) is not None
    with time_is(start + timedelta(seconds=30)):
        assert dispatch_webhook_deliveries() == 0  # the claim still holds
        assert attempt_now(alpha) == 0
    assert receiver.received == []
    with time_is(start + delivery_module.CLAIM_DURATION + timedelta(seconds=1)):
        assert dispatch_webhook_deliveries() == 1
    [done] = deliveries(alpha)
    assert done.status == "delivered" and done.attempts == 2 and done.claimed_until is None
    assert len(receiver.received) == 1


def test_duplicate_wake_ups_send_once(alpha: Tenant, receiver: Receiver) -> None:
    make_endpoint(alpha, receiver.url)
    emit_many(alpha, 1, deliver=False)
    assert attempt_now(alpha) == 1
    assert attempt_now(alpha) == 0
    assert dispatch_webhook_deliveries() == 0
    assert len(receiver.received) == 1


def test_retries_follow_the_schedule_with_jitter_then_give_up(
    alpha: Tenant, receiver: Receiver
) -> None:
    receiver.answer = Answer(status=500, body=b"down")
    make_endpoint(alpha, receiver.url)
    emit_many(alpha, 1, deliver=False)
    gaps = []
    for _ in range(delivery_module.MAX_ATTEMPTS):
        [due] = deliveries(alpha)
        with time_is(due.next_attempt_at):
            attempt_now(alpha)
        [after] = deliveries(alpha)
        if after.next_attempt_at is not None:
            gaps.append(after.next_attempt_at - after.last_attempt_at)
    for gap, step in zip(gaps, delivery_module.SCHEDULE, strict=True):
        assert step * 0.9 <= gap <= step * 1.1 + timedelta(seconds=1), (gap, step)
    [failed] = deliveries(alpha)
    assert failed.status == WebhookDelivery.Status.FAILED and failed.next_attempt_at is None
    assert failed.attempts == 7 and len(receiver.received) == 7
    assert failed.last_status_code == 500 and failed.last_error == "Answered 500"


@pytest.mark.parametrize(
    ("retry_after", "at_least", "at_most"),
    [
        ("120", timedelta(seconds=120), timedelta(seconds=121)),
        ("86400", timedelta(hours=10), timedelta(hours=10, seconds=1)),  # capped
    ],
)
def test_retry_after_of_a_busy_receiver_is_honoured_within_reason(
    alpha: Tenant, receiver: Receiver, retry_after: str, at_least, at_most
) -> None:
    receiver.answer = Answer(status=429, headers={"Retry-After": retry_after})
    make_endpoint(alpha, receiver.url)
    emit_many(alpha, 1, deliver=False)
    attempt_now(alpha)
    [waiting] = deliveries(alpha)
    assert at_least <= waiting.next_attempt_at - waiting.last_attempt_at <= at_most


def test_retry_after_as_an_http_date_is_read() -> None:
    now = timezone.now()
    header = (now + timedelta(minutes=3)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    delay = delivery_module.parse_retry_after(header, now=now)
    assert timedelta(minutes=2) < delay <= timedelta(minutes=3)
    assert delivery_module.parse_retry_after("soon", now=now) is None


def test_a_slow_receiver_times_out(
    alpha: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery_module, "TIMEOUT_SECONDS", 0.5)
    receiver.answer = Answer(delay=2)
    make_endpoint(alpha, receiver.url)
    emit_many(alpha, 1, deliver=False)
    attempt_now(alpha)
    [slow] = deliveries(alpha)
    assert slow.status == "pending" and slow.last_status_code is None
    assert slow.last_error == "No answer within 0.5 seconds"
    assert 400 <= slow.last_duration_ms < 2000


def test_the_timeout_is_15_seconds() -> None:
    assert delivery_module.TIMEOUT_SECONDS == 15


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    alpha: Tenant, receiver: Receiver
) -> None:
    receiver.answer = Answer(status=302, headers={"Location": receiver.url + "/elsewhere"})
    make_endpoint(alpha, receiver.url)
    emit_many(alpha, 1, deliver=False)
    attempt_now(alpha)
    assert [r.path for r in receiver.received] == ["/hook"]
    [redirected] = deliveries(alpha)
    assert redirected.status == "pending" and redirected.last_status_code == 302
    assert "not followed" in redirected.last_error and redirected.next_attempt_at is not None


def test_the_answer_is_kept_truncated(alpha: Tenant, receiver: Receiver) -> None:
    receiver.answer = Answer(
        status=200,
        body=("é" * 3000).encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    make_endpoint(alpha, receiver.url)
    emit_many(alpha, 1, deliver=False)
    attempt_now(alpha)
    [done] = deliveries(alpha)
    assert done.response_excerpt == "é" * delivery_module.RESPONSE_EXCERPT_CHARS


def test_the_dispatchers_cost_does_not_grow_with_stored_deliveries(
    alpha: Tenant, receiver: Receiver
) -> None:
    make_endpoint(alpha, receiver.url)
    emit_many(alpha, 1, deliver=False)

    def store_many() -> None:
        with alpha.scope():
            emit_many(alpha, 60, deliver=False)
            rows = deliveries(alpha)
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in rows[:20]]).update(
                status="delivered", next_attempt_at=None
            )
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in rows[20:40]]).update(
                status="failed", next_attempt_at=None
            )
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in rows[40:]]).update(
                next_attempt_at=None  # parked: their endpoint was off
            )

    with alpha.scope():
        WebhookDelivery.objects.update(next_attempt_at=timezone.now() + timedelta(hours=1))
    # Nothing due: one query, the index scan, whatever the table holds.
    assert_queries_do_not_grow(dispatch_webhook_deliveries, grow=store_many, pinned=1)
