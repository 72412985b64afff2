"""The dispatcher enqueues a due delivery once, not every minute (its lease), again only if its
task was lost; one organisation's backlog gets a share of each pass, not all of it. Events
recorded while an endpoint is off wait parked, and go when it is on. A delivery whose every
attempt crashed ends failed, counted against its endpoint."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from mentorship.events import delivery as delivery_module
from mentorship.events import services, tasks
from mentorship.events.models import EventType, WebhookEndpoint
from mentorship.events.services import event_emit
from tests.conftest import Tenant
from tests.events.support import Answer, Receiver, deliveries, make_endpoint, time_is

pytestmark = pytest.mark.usefixtures("private_networks")


def emit(tenant: Tenant, count: int) -> None:
    with tenant.scope():
        for n in range(count):
            event_emit(
                organization=tenant.organization,
                event_type=EventType.PAIRING_ACTIVE,
                data={"id": n},
            )


def passes(*moments) -> list[list[tuple[int, list[int]]]]:
    """The dispatcher run at each moment: the (organisation, deliveries) of the tasks it
    enqueued (recorded, not run: the workers are busy)."""
    runs: list[list[tuple[int, list[int]]]] = []
    for moment in moments:
        with time_is(moment), mock.patch.object(tasks.deliver_webhooks, "delay") as delay:
            tasks.dispatch_webhook_deliveries()
        runs.append(
            [(c.kwargs["organization_id"], c.kwargs["delivery_ids"]) for c in delay.call_args_list]
        )
    return runs


def test_a_lost_task_is_made_up_for_once_its_lease_runs_out(
    alpha: Tenant, receiver: Receiver
) -> None:
    make_endpoint(alpha, receiver.url)
    emit(alpha, 1)
    start = timezone.now() + timedelta(seconds=1)
    lease = delivery_module.DISPATCH_LEASE
    first, meanwhile, after_lease = passes(
        start, start + lease - timedelta(seconds=1), start + lease
    )
    [pending] = deliveries(alpha)
    assert first == [(alpha.organization.pk, [pending.pk])]
    assert meanwhile == []
    assert after_lease == first


def test_a_claim_ends_the_lease_so_a_retry_is_dispatched_when_due(
    alpha: Tenant, receiver: Receiver
) -> None:
    receiver.answer = Answer(status=500)
    make_endpoint(alpha, receiver.url)
    emit(alpha, 1)
    start = timezone.now() + timedelta(seconds=1)
    passes(start)  # leased, enqueued; the task is lost
    [pending] = deliveries(alpha)
    with time_is(start + timedelta(seconds=2)):  # a duplicate wake-up reaches it
        tasks.deliver_webhooks(organization_id=alpha.organization.pk, delivery_ids=[pending.pk])
    [failed_once] = deliveries(alpha)
    assert failed_once.dispatched_until is None and failed_once.attempts == 1
    [retry] = passes(failed_once.next_attempt_at)
    assert retry == [(alpha.organization.pk, [pending.pk])]


def test_one_organisations_backlog_does_not_crowd_out_another(
    alpha: Tenant, beta: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "PER_ORGANIZATION_PER_PASS", 2)
    make_endpoint(alpha, receiver.url)
    make_endpoint(beta, receiver.url)
    emit(alpha, 5)
    emit(beta, 1)
    start = timezone.now() + timedelta(seconds=1)
    first, second, third = passes(start, start + timedelta(minutes=1), start + timedelta(minutes=2))
    alpha_ids = [d.pk for d in deliveries(alpha)]
    [beta_delivery] = deliveries(beta)
    assert sorted(first) == sorted(
        [(alpha.organization.pk, alpha_ids[:2]), (beta.organization.pk, [beta_delivery.pk])]
    )
    assert second == [(alpha.organization.pk, alpha_ids[2:4])]
    assert third == [(alpha.organization.pk, alpha_ids[4:])]


def test_a_full_page_chains_the_next_with_each_organisations_share(
    alpha: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The share holds over the whole pass, chained pages included."""
    monkeypatch.setattr(tasks.selectors, "DISPATCH_PAGE", 2)
    monkeypatch.setattr(tasks, "PER_ORGANIZATION_PER_PASS", 3)
    make_endpoint(alpha, receiver.url)
    emit(alpha, 6)
    start = timezone.now() + timedelta(seconds=1)
    enqueued: list[int] = []
    with (
        time_is(start),
        mock.patch.object(
            tasks.deliver_webhooks,
            "delay",
            lambda **kwargs: enqueued.extend(kwargs["delivery_ids"]),
        ),
    ):
        tasks.dispatch_webhook_deliveries()  # the chained pages run eagerly
    assert enqueued == [d.pk for d in deliveries(alpha)][:3]


def test_events_recorded_while_off_wait_parked_and_go_when_it_is_on(
    alpha: Tenant, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    endpoint, _ = make_endpoint(alpha, receiver.url)
    with alpha.scope():
        services.endpoint_disable(endpoint=endpoint, actor=alpha.hr)
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        event_emit(
            organization=alpha.organization, event_type=EventType.PAIRING_ACTIVE, data={"id": 1}
        )
    assert callbacks == []  # nothing to enqueue for an endpoint that is off
    [parked] = deliveries(alpha)
    assert parked.status == "pending" and parked.next_attempt_at is None
    assert tasks.dispatch_webhook_deliveries() == 0
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        assert services.endpoint_enable(endpoint=endpoint, actor=alpha.hr) == 1
    assert [d.status for d in deliveries(alpha)] == ["delivered"]
    assert len(receiver.received) == 1


def test_a_delivery_whose_attempts_all_crashed_ends_failed_and_counts(
    alpha: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_endpoint(alpha, receiver.url)
    emit(alpha, 1)
    [pending] = deliveries(alpha)
    monkeypatch.setattr(delivery_module, "send", mock.Mock(side_effect=RuntimeError("crash")))
    start = timezone.now()
    step = delivery_module.CLAIM_DURATION + timedelta(seconds=1)
    for n in range(delivery_module.MAX_ATTEMPTS + 1):
        with time_is(start + n * step):
            tasks.deliver_webhooks(organization_id=alpha.organization.pk, delivery_ids=[pending.pk])
    [failed] = deliveries(alpha)
    assert failed.status == "failed" and failed.next_attempt_at is None
    assert failed.attempts == delivery_module.MAX_ATTEMPTS and "Given up" in failed.last_error
    with alpha.scope():
        assert WebhookEndpoint.objects.get().consecutive_failures == 1
