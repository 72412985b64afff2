"""Reads of webhooks: the Settings pages' endpoints and delivery log, and the dispatcher's
due deliveries (across organisations, through the due index)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from mentorship.events.models import WebhookDelivery, WebhookEndpoint
from mentorship.tenancy import across_all_organizations

DISPATCH_PAGE = 500


def endpoints_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("created_at", "id")


def endpoint_get(*, endpoint_id: int) -> WebhookEndpoint:
    """The organisation's endpoint; another organisation's answers 404 like a missing one."""
    return get_object_or_404(WebhookEndpoint.objects.all(), pk=endpoint_id)


def deliveries_of_endpoint(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest event first. Ordered by the event's id, not a date: the
    (endpoint, event) unique index then serves both the filter and the order."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .order_by("-event_id")
    )


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    return get_object_or_404(
        WebhookDelivery.objects.select_related("event", "endpoint"),
        pk=delivery_id,
        endpoint=endpoint,
    )


def deliveries_due_across_organizations(
    *,
    now: datetime,
    after: tuple[datetime, int] | None = None,
    skip_organizations: Collection[int] = (),
) -> list[tuple[int, int, datetime]]:
    """(organization id, delivery id, due time) of pending deliveries due by ``now`` and not
    leased by an earlier pass of the dispatcher, oldest first, ``DISPATCH_PAGE`` at most;
    ``after`` is where the previous page ended, ``skip_organizations`` those that had their
    share of this pass.

    Read through the (status, next attempt) index: the cost is what is due, whatever is stored
    (delivered and failed rows, and the parked ones of disabled endpoints, have no due time)."""
    with across_all_organizations():
        due = WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
            # Parked when their endpoint was disabled; one emitted in the same instant as the
            # disabling could still be due, and must not be woken every minute for nothing.
            endpoint__enabled=True,
        ).filter(Q(dispatched_until__isnull=True) | Q(dispatched_until__lte=now))
        if skip_organizations:
            due = due.exclude(organization_id__in=list(skip_organizations))
        if after is not None:
            at, pk = after
            due = due.filter(Q(next_attempt_at__gt=at) | Q(next_attempt_at=at, pk__gt=pk))
        return list(
            due.order_by("next_attempt_at", "pk").values_list(
                "organization_id", "pk", "next_attempt_at"
            )[:DISPATCH_PAGE]
        )
