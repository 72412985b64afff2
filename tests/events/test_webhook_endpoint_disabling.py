"""An endpoint is turned off when its receiver says it is gone (410) or keeps failing (several
deliveries in a row used up their whole schedule); HR admins are told and the audit log records
it. Undelivered events wait, and go once the endpoint is turned on again."""

from __future__ import annotations

import pytest

from mentorship.events import delivery as delivery_module
from mentorship.events import services
from mentorship.events.models import EventType, WebhookDelivery, WebhookEndpoint
from mentorship.events.services import event_emit
from mentorship.events.tasks import deliver_webhooks, dispatch_webhook_deliveries
from mentorship.models import AuditEvent, Notification
from tests.conftest import Tenant
from tests.events.support import Answer, Receiver, deliveries, make_endpoint

pytestmark = pytest.mark.usefixtures("private_networks")


def emit(tenant: Tenant, count: int = 1) -> None:
    with tenant.scope():
        for n in range(count):
            event_emit(
                organization=tenant.organization,
                event_type=EventType.PAIRING_ACTIVE,
                data={"id": n},
            )


def attempt(tenant: Tenant, rows: list[WebhookDelivery]) -> None:
    deliver_webhooks(organization_id=tenant.organization.pk, delivery_ids=[d.pk for d in rows])


def last_attempt_of(tenant: Tenant, rows: list[WebhookDelivery]) -> None:
    """Bring each delivery to its last attempt (the six before it failed), then make it."""
    with tenant.scope():
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in rows]).update(
            attempts=delivery_module.MAX_ATTEMPTS - 1
        )
    attempt(tenant, rows)


def endpoint_of(tenant: Tenant) -> WebhookEndpoint:
    with tenant.scope():
        return WebhookEndpoint.objects.get()


def hr_notifications(tenant: Tenant) -> list[Notification]:
    with tenant.scope():
        return list(Notification.objects.filter(recipient=tenant.hr))


def disabled_audits(tenant: Tenant) -> list[AuditEvent]:
    with tenant.scope():
        return list(AuditEvent.objects.filter(action=AuditEvent.Action.WEBHOOK_DISABLED))


def test_410_gone_disables_the_endpoint_at_once(alpha: Tenant, receiver: Receiver) -> None:
    receiver.answer = Answer(status=410, body=b"gone")
    make_endpoint(alpha, receiver.url)
    emit(alpha, 3)
    first, *others = deliveries(alpha)
    attempt(alpha, [first])
    endpoint = endpoint_of(alpha)
    assert not endpoint.enabled and "410 Gone" in endpoint.disabled_reason
    [gone, *waiting] = deliveries(alpha)
    assert gone.status == WebhookDelivery.Status.FAILED and gone.attempts == 1
    # The others wait, parked: nothing is sent, the dispatcher does not even see them.
    assert all(d.status == "pending" and d.next_attempt_at is None for d in waiting)
    assert dispatch_webhook_deliveries() == 0
    attempt(alpha, others)
    assert len(receiver.received) == 1
    [notice] = hr_notifications(alpha)
    assert "turned off" in notice.subject and "410 Gone" in notice.body
    assert notice.url.endswith(f"/settings/webhooks/{endpoint.pk}/")
    assert len(disabled_audits(alpha)) == 1
    # Nobody else is told: the participant and the sponsor are no HR admins.
    with alpha.scope():
        assert Notification.objects.count() == 1


def test_deliveries_failing_their_whole_schedule_in_a_row_disable_and_tell_hr(
    alpha: Tenant, beta: Tenant, receiver: Receiver
) -> None:
    receiver.answer = Answer(status=500)
    make_endpoint(alpha, receiver.url)
    emit(alpha, delivery_module.DISABLE_AFTER_FAILED_DELIVERIES + 1)
    *failing, _waiting = deliveries(alpha)
    last_attempt_of(alpha, failing[:-1])
    assert endpoint_of(alpha).enabled  # two in a row: not yet
    assert hr_notifications(alpha) == []
    last_attempt_of(alpha, failing[-1:])
    endpoint = endpoint_of(alpha)
    assert not endpoint.enabled
    assert f"{delivery_module.DISABLE_AFTER_FAILED_DELIVERIES} events in a row" in (
        endpoint.disabled_reason
    )
    assert all(d.status == "failed" for d in deliveries(alpha)[:-1])
    assert deliveries(alpha)[-1].next_attempt_at is None  # the spare waits, parked
    [notice] = hr_notifications(alpha)
    assert endpoint.safe_url in notice.body
    [audit] = disabled_audits(alpha)
    assert audit.actor is None and "disabled" in audit.summary
    assert hr_notifications(beta) == []


def test_one_event_always_refused_does_not_disable_an_endpoint_that_takes_the_others(
    alpha: Tenant, receiver: Receiver
) -> None:
    receiver.answer = lambda request: Answer(status=400 if b'"id":0' in request.body else 200)
    make_endpoint(alpha, receiver.url)
    for _ in range(delivery_module.DISABLE_AFTER_FAILED_DELIVERIES + 1):
        emit(alpha, 2)
        poison, good = deliveries(alpha)[-2:]
        last_attempt_of(alpha, [poison])
        attempt(alpha, [good])
    endpoint = endpoint_of(alpha)
    assert endpoint.enabled and endpoint.consecutive_failures == 0
    assert hr_notifications(alpha) == []


def test_turning_the_endpoint_on_again_sends_what_waited(
    alpha: Tenant, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    receiver.answer = Answer(status=410)
    make_endpoint(alpha, receiver.url)
    emit(alpha, 3)
    attempt(alpha, deliveries(alpha)[:1])
    endpoint = endpoint_of(alpha)
    assert not endpoint.enabled
    receiver.answer = Answer(status=200)
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        resumed = services.endpoint_enable(endpoint=endpoint, actor=alpha.hr)
    assert resumed == 2
    assert [d.status for d in deliveries(alpha)] == ["failed", "delivered", "delivered"]
    endpoint = endpoint_of(alpha)
    assert endpoint.enabled and endpoint.disabled_reason == ""


def test_an_attempt_under_way_when_the_endpoint_is_turned_off_is_parked_after_it(
    alpha: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, _ = make_endpoint(alpha, receiver.url)
    receiver.answer = Answer(status=500)
    emit(alpha, 1)
    [pending] = deliveries(alpha)
    send = delivery_module.send

    def turned_off_meanwhile(*args, **kwargs):
        with alpha.scope():
            services.endpoint_disable(endpoint=endpoint, actor=alpha.hr)
        return send(*args, **kwargs)

    monkeypatch.setattr(delivery_module, "send", turned_off_meanwhile)
    attempt(alpha, [pending])
    [parked] = deliveries(alpha)
    assert len(receiver.received) == 1
    assert parked.status == "pending" and parked.attempts == 1
    assert parked.next_attempt_at is None and parked.claimed_until is None
