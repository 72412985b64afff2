"""Emitting events: the one kernel service apps call, in the transaction of their change.

    event_emit(organization=org, event_type=EventType.PAIRING_ACTIVE, data={...})

writes the event to the outbox and one delivery row per enabled endpoint subscribed to it, in
the caller's transaction: a change rolled back emits nothing, and a committed one cannot lose
its event. Delivery is enqueued after commit; the dispatcher catches up on anything a lost
wake-up or a killed worker left pending."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from mentorship.events.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from mentorship.models import Organization


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def envelope(*, event_type: str, data: dict[str, Any], at: Any) -> dict[str, Any]:
    """The JSON body receivers get: ``{"type", "timestamp", "data"}`` (Standard Webhooks'
    recommended shape)."""
    return {"type": event_type, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data}


def subscribed_endpoints(*, organization: Organization, event_type: str) -> list[WebhookEndpoint]:
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(organization=organization, enabled=True)
        if event_type in endpoint.event_types
    ]


def event_emit(
    *, organization: Organization, event_type: str, data: dict[str, Any]
) -> WebhookEvent | None:
    """Record one event for delivery; None when no endpoint listens (nothing is stored)."""
    events = event_emit_many(organization=organization, event_type=event_type, items=[data])
    return events[0] if events else None


def event_emit_many(
    *, organization: Organization, event_type: str, items: Sequence[dict[str, Any]]
) -> list[WebhookEvent]:
    """One event per item (an import adds many participants at once), in three queries."""
    if not items:
        return []
    endpoints = subscribed_endpoints(organization=organization, event_type=event_type)
    if not endpoints:
        return []
    now = timezone.now()
    events = WebhookEvent.objects.bulk_create(
        [
            WebhookEvent(
                organization=organization,
                message_id=new_message_id(),
                event_type=event_type,
                payload=envelope(event_type=event_type, data=dict(data), at=now),
                created_at=now,
            )
            for data in items
        ]
    )
    if not all(event.pk for event in events):  # backends that return no ids from bulk inserts
        ids = [event.message_id for event in events]
        events = list(WebhookEvent.objects.filter(message_id__in=ids))
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                organization=organization,
                endpoint=endpoint,
                event=event,
                next_attempt_at=now,
                created_at=now,
            )
            for event in events
            for endpoint in endpoints
        ]
    )
    _deliver_after_commit(organization=organization, deliveries=deliveries)
    return events


def _deliver_after_commit(
    *, organization: Organization, deliveries: Sequence[WebhookDelivery]
) -> None:
    # Imported here: tasks imports this module (the retry schedule lives there).
    from mentorship.events import tasks

    ids = [d.pk for d in deliveries if d.pk]
    if not ids:
        # Without ids (a backend that returns none from bulk inserts) the dispatcher sends them.
        return
    tasks.deliver_webhooks.delay_on_commit(organization_id=organization.pk, delivery_ids=ids)
