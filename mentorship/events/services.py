"""Emitting events: the one kernel service apps call, in the transaction of their change.

    event_emit(organization=org, event_type=EventType.PAIRING_ACTIVE, data={...})

writes the event to the outbox and one delivery row per endpoint subscribed to it, in the
caller's transaction: a change rolled back emits nothing, and a committed one cannot lose its
event. Delivery is enqueued after commit; the dispatcher catches up on anything a lost
wake-up or a killed worker left pending. An endpoint turned off (by an HR admin, or for its
failures) gets its deliveries too, parked: they are sent when it is turned on again, as the
Settings pages promise.

Below them, the Settings pages' writes: endpoints (created with a secret shown once, changed,
turned off and on, deleted), secret rotation, a test event and a redelivery; each audited."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorship import services as kernel
from mentorship.events import delivery, formats, tasks
from mentorship.events.fence import endpoint_url_problem
from mentorship.events.models import (
    CHAT_EVENT_TYPES,
    TEST_EVENT_TYPE,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from mentorship.i18n import in_language
from mentorship.identity.secrets import encrypt
from mentorship.models import AuditEvent, Organization, User


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def envelope(*, event_type: str, data: dict[str, Any], at: Any) -> dict[str, Any]:
    """The JSON body receivers get: ``{"type", "timestamp", "data"}`` (Standard Webhooks'
    recommended shape)."""
    return {"type": event_type, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data}


def subscribed_endpoints(*, organization: Organization, event_type: str) -> list[WebhookEndpoint]:
    """The organisation's endpoints listening to ``event_type``, those turned off included
    (their events wait for them); empty, the event need not even be built."""
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(organization=organization)
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
                # Parked (no due time) for an endpoint that is off: turning it on resumes them.
                next_attempt_at=now if endpoint.enabled else None,
                created_at=now,
            )
            for event in events
            for endpoint in endpoints
        ]
    )
    _deliver_after_commit(
        organization=organization, deliveries=[d for d in deliveries if d.endpoint.enabled]
    )
    return events


def _deliver_after_commit(
    *, organization: Organization, deliveries: Sequence[WebhookDelivery]
) -> None:
    ids = [d.pk for d in deliveries if d.pk]
    if not ids:
        # Without ids (a backend that returns none from bulk inserts) the dispatcher sends them.
        return
    tasks.deliver_webhooks.delay_on_commit(organization_id=organization.pk, delivery_ids=ids)


# --- Endpoints (Settings → Webhooks) -------------------------------------------------------------


def _validated(
    *, url: str, description: str, format: str, event_types: Sequence[str]
) -> dict[str, Any]:
    """The endpoint's fields, checked; ``ValidationError`` names each field's problem."""
    url = url.strip()
    errors: dict[str, str] = {}
    if not url:
        errors["url"] = _("Enter the URL events are sent to.")
    elif len(url) > WebhookEndpoint._meta.get_field("url").max_length:
        errors["url"] = _("This URL is too long.")
    elif problem := endpoint_url_problem(url):
        errors["url"] = problem
    if format not in WebhookEndpoint.Format.values:
        errors["format"] = _("Choose a format from the list.")
    chosen = list(dict.fromkeys(event_types))
    if not chosen:
        errors["event_types"] = _("Choose at least one event.")
    elif unknown := [t for t in chosen if t not in EventType.values]:
        errors["event_types"] = _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}
    elif format != WebhookEndpoint.Format.STANDARD and not set(chosen) <= CHAT_EVENT_TYPES:
        labels = [EventType(t).label for t in sorted(CHAT_EVENT_TYPES)]
        allowed = ", ".join(label[:1].lower() + label[1:] for label in labels)
        errors["event_types"] = _(
            "Slack and Teams endpoints receive program-level news only, never a person's: "
            "%(allowed)s."
        ) % {"allowed": allowed}
    if errors:
        raise ValidationError(errors)
    return {
        "url": url,
        "description": description.strip()[:200],
        "format": format,
        # In the order of the list, so that a change is recognised as one.
        "event_types": [t for t in EventType.values if t in chosen],
    }


def endpoint_create(
    *,
    organization: Organization,
    url: str,
    description: str = "",
    format: str = WebhookEndpoint.Format.STANDARD,
    event_types: Sequence[str],
    actor: User | None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret: the one time the secret can be shown (it is
    stored encrypted, and only deliveries decrypt it)."""
    fields = _validated(url=url, description=description, format=format, event_types=event_types)
    secret = formats.new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organization=organization, secret=encrypt(secret), created_by=actor, **fields
        )
        # The audit log is a record, in English whoever reads the page.
        format_label = in_language(
            WebhookEndpoint.Format(endpoint.format).label, settings.LANGUAGE_CODE
        )
        kernel.audit_record(
            organization=organization,
            action=AuditEvent.Action.WEBHOOK_CREATED,
            summary=(
                f"Webhook endpoint {endpoint} created ({format_label}, "
                f"{len(endpoint.event_types)} event types)"
            ),
            actor=actor,
        )
    return endpoint, secret


_FIELD_LABELS = {
    "url": "URL",
    "description": "description",
    "format": "format",
    "event_types": "events",
}


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str,
    description: str,
    format: str,
    event_types: Sequence[str],
    actor: User | None,
) -> WebhookEndpoint:
    fields = _validated(url=url, description=description, format=format, event_types=event_types)
    changed = [name for name, value in fields.items() if getattr(endpoint, name) != value]
    if not changed:
        return endpoint
    with transaction.atomic():
        for name in changed:
            setattr(endpoint, name, fields[name])
        endpoint.updated_at = timezone.now()
        endpoint.save(update_fields=[*changed, "updated_at"])
        labels = [_FIELD_LABELS[name] for name in changed]
        kernel.audit_record(
            organization=endpoint.organization,
            action=AuditEvent.Action.WEBHOOK_CHANGED,
            summary=f"Webhook endpoint {endpoint} changed: {', '.join(labels)}",
            actor=actor,
        )
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, actor: User | None) -> None:
    """Remove the endpoint and its delivery log; nothing more is sent to it."""
    with transaction.atomic():
        kernel.audit_record(
            organization=endpoint.organization,
            action=AuditEvent.Action.WEBHOOK_DELETED,
            summary=f"Webhook endpoint {endpoint} deleted",
            actor=actor,
        )
        endpoint.delete()


def endpoint_disable(*, endpoint: WebhookEndpoint, actor: User | None) -> bool:
    """Stop sending to the endpoint; its undelivered events wait. False if it was off."""
    with transaction.atomic():
        disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
            enabled=False,
            disabled_reason=f"Turned off by {actor.email if actor else 'an operator'}.",
            updated_at=timezone.now(),
        )
        if disabled:
            delivery.park_pending(endpoint=endpoint)
            kernel.audit_record(
                organization=endpoint.organization,
                action=AuditEvent.Action.WEBHOOK_CHANGED,
                summary=f"Webhook endpoint {endpoint} turned off",
                actor=actor,
            )
    endpoint.refresh_from_db()
    return bool(disabled)


def endpoint_enable(*, endpoint: WebhookEndpoint, actor: User | None) -> int:
    """Send to the endpoint again, starting with the events it missed while off (their retry
    schedule goes on where it stopped). Returns how many of those are sent now.

    The URL is checked again first: its host may resolve elsewhere since it was saved."""
    if problem := endpoint_url_problem(endpoint.url):
        raise ValidationError(problem)
    with transaction.atomic():
        enabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=False).update(
            enabled=True, disabled_reason="", consecutive_failures=0, updated_at=timezone.now()
        )
        resumed = 0
        if enabled:
            resumed = delivery.resume_parked(endpoint=endpoint)
            kernel.audit_record(
                organization=endpoint.organization,
                action=AuditEvent.Action.WEBHOOK_CHANGED,
                summary=f"Webhook endpoint {endpoint} turned on ({resumed} waiting events sent)",
                actor=actor,
            )
            if resumed:
                tasks.dispatch_webhook_deliveries.delay_on_commit()
    endpoint.refresh_from_db()
    return resumed


def endpoint_secret_rotate(*, endpoint: WebhookEndpoint, actor: User | None) -> str:
    """A new signing secret, returned to be shown once. The current one keeps signing beside
    it for ``formats.ROTATION_OVERLAP`` (24 h), so receivers switch without a failed event;
    a secret rotated out earlier stops at once."""
    secret = formats.new_secret()
    now = timezone.now()
    with transaction.atomic():
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + formats.ROTATION_OVERLAP
        endpoint.secret = encrypt(secret)
        endpoint.updated_at = now
        endpoint.save(
            update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
        )
        kernel.audit_record(
            organization=endpoint.organization,
            action=AuditEvent.Action.WEBHOOK_SECRET_ROTATED,
            summary=f"Signing secret of webhook endpoint {endpoint} rotated (the previous one "
            "stays valid for 24 hours)",
            actor=actor,
        )
    return secret


def endpoint_send_test(*, endpoint: WebhookEndpoint, actor: User | None) -> WebhookDelivery:
    """A ``webhook.test`` event to this endpoint only, delivered like any other (signed, logged,
    retried)."""
    if not endpoint.enabled:
        raise ValidationError(
            _("Turn the endpoint on first: nothing is sent to it while it is off.")
        )
    organization = endpoint.organization
    now = timezone.now()
    data = {
        "message": "A test event, sent from Settings → Webhooks.",
        "organization": organization.slug,
        "endpoint_id": endpoint.pk,
    }
    with transaction.atomic():
        event = WebhookEvent.objects.create(
            organization=organization,
            message_id=new_message_id(),
            event_type=TEST_EVENT_TYPE,
            payload=envelope(event_type=TEST_EVENT_TYPE, data=data, at=now),
            created_at=now,
        )
        test = WebhookDelivery.objects.create(
            organization=organization,
            endpoint=endpoint,
            event=event,
            next_attempt_at=now,
            created_at=now,
        )
        kernel.audit_record(
            organization=organization,
            action=AuditEvent.Action.WEBHOOK_CHANGED,
            summary=f"Test event {event.message_id} sent to webhook endpoint {endpoint}",
            actor=actor,
        )
        _deliver_after_commit(organization=organization, deliveries=[test])
    return test


def delivery_redeliver(*, delivery: WebhookDelivery, actor: User | None) -> WebhookDelivery:
    """Send the delivery's event again, with the same ``webhook-id`` (receivers that already
    have it recognise it) and a fresh retry schedule."""
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        raise ValidationError(
            _("Turn the endpoint on first: nothing is sent to it while it is off.")
        )
    now = timezone.now()
    with transaction.atomic():
        reset = (
            WebhookDelivery.objects.filter(pk=delivery.pk)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .update(
                status=WebhookDelivery.Status.PENDING,
                attempts=0,
                next_attempt_at=now,
                claimed_until=None,
                dispatched_until=None,
                delivered_at=None,
            )
        )
        if not reset:
            raise ValidationError(_("An attempt is under way right now: look again in a minute."))
        kernel.audit_record(
            organization=endpoint.organization,
            action=AuditEvent.Action.WEBHOOK_CHANGED,
            summary=(
                f"Event {delivery.event.message_id} ({delivery.event.event_type}) sent again "
                f"to webhook endpoint {endpoint}"
            ),
            actor=actor,
        )
        _deliver_after_commit(organization=endpoint.organization, deliveries=[delivery])
    delivery.refresh_from_db()
    return delivery
