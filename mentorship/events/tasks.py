"""Webhook delivery tasks: per-batch delivery after commit, and the dispatcher beat runs every
minute for what is due (retries, lost wake-ups, attempts of killed workers)."""

from __future__ import annotations

from celery import shared_task

from mentorship.tasks import ReliableTask, TenantTask


@shared_task(base=TenantTask)
def deliver_webhooks(*, organization_id: int, delivery_ids: list[int]) -> int:
    """Attempt each due delivery of the list once. Returns how many were acknowledged."""
    raise NotImplementedError  # filled in by the delivery work


@shared_task(base=ReliableTask)
def dispatch_webhook_deliveries() -> int:
    """Fan out the deliveries that are due. Returns how many were enqueued."""
    raise NotImplementedError  # filled in by the delivery work
