"""The Celery base task for tenant work, and the kernel's tasks.

Tenant tasks are called with ``organization_id=`` and receive ``organization=``: the base task
loads the organisation and runs the body inside its scope, so a task touches one tenant only.
"""

from __future__ import annotations

import logging
from datetime import datetime
from smtplib import SMTPException
from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from mentorship import delivery, selectors
from mentorship.models import Organization
from mentorship.tenancy import tenant_scope

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, SMTPException, ConnectionError, TimeoutError)


class ReliableTask(DjangoTask):
    """Late acknowledgement (from settings) plus bounded, backed-off retries on transient errors."""

    autoretry_for = TRANSIENT_ERRORS
    max_retries = 5
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True

    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        """Enqueue after commit; if the broker is unreachable, do the work in-process instead.

        The data is already committed at that point, so failing the request would only hide
        a success from the user; the work itself is idempotent, so running it here is safe.
        """

        def enqueue() -> None:
            try:
                self.apply_async(args=args, kwargs=kwargs)
            except BrokerUnavailable:
                logger.warning("Broker unavailable; running %s in-process", self.name)
                # One attempt, no retries: in-process, Celery would run them all at once, with
                # no back-off between them, and use up a failing email's attempts in a second.
                # What this attempt leaves undone, the dispatchers pick up once the broker is
                # back (a failed import or match run says so and can be started again).
                self.apply(args=args, kwargs=kwargs, retries=self.max_retries)

        transaction.on_commit(enqueue)


class TenantTask(ReliableTask):
    """Runs the body inside the scope of the organisation named by its ``organization_id``.

    The keyword arguments reach the body unchanged: Celery records them on the request and a
    retry re-sends exactly those, so they must stay plain ids (an object would not serialise).
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        organization = Organization.objects.filter(pk=kwargs["organization_id"]).first()
        if organization is None:
            logger.info(
                "Organisation %s is gone; dropping %s", kwargs["organization_id"], self.name
            )
            return None
        with tenant_scope(organization):
            return super().__call__(*args, **kwargs)


class SendTask(TenantTask):
    """For a task that claims a message, then sends it: the claim and the send share one
    transaction, committed once the send has returned.

    A worker that dies between the two (killed, out of memory) takes the uncommitted claim with
    it, so the redelivered message (``acks_late``) or the dispatcher sends it; a committed claim
    would stay taken and the message would never go. The price is at least once instead of at
    most once: dying after the mail server accepted the message but before the commit sends it
    again on redelivery. A send that fails with an exception is committed as such (the service
    released its claim and counted the attempt) before the error reaches Celery's retry.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            try:
                return super().__call__(*args, **kwargs)
            except Exception as exc:
                failure = exc
        raise failure


@shared_task(base=SendTask)
def deliver_notification_email(*, organization_id: int, notification_id: int) -> bool:
    return delivery.notification_email_deliver(notification_id=notification_id)


@shared_task(base=TenantTask)
def deliver_notification_emails(*, organization_id: int, notification_ids: list[int]) -> int:
    """The emails of many notifications (a burst of reminders), each claimed and sent in its
    own transaction as ``deliver_notification_email`` does. One that fails is left to the
    dispatcher (its claim released and the attempt counted, committed as such, as SendTask
    does); the others still go."""
    sent = 0
    for notification_id in notification_ids:
        with transaction.atomic():
            try:
                sent += delivery.notification_email_deliver(notification_id=notification_id)
            except Exception:
                logger.exception(
                    "Email of notification %s failed; the dispatcher tries it again",
                    notification_id,
                )
    return sent


@shared_task(base=SendTask)
def send_invitation_email(*, organization_id: int, invitation_id: int) -> bool:
    return delivery.invitation_email_send(invitation_id=invitation_id)


@shared_task(base=ReliableTask)
def dispatch_notification_emails() -> int:
    """Beat dispatcher: fan out one delivery per notification still waiting for its email."""
    due = selectors.notifications_due_for_email_across_organizations(
        max_attempts=delivery.MAX_EMAIL_ATTEMPTS
    )
    for organization_id, notification_id in due:
        deliver_notification_email.delay(
            organization_id=organization_id, notification_id=notification_id
        )
    return len(due)


@shared_task(base=ReliableTask)
def dispatch_invitation_emails(*, after: tuple[str, int] | None = None) -> int:
    """Beat dispatcher (and the wake-up after bulk invitations): one send per waiting email, a
    page at a time. A full page queues the page after it, so the 10,000 invitations of an
    import all go out from one wake-up instead of a page a minute; ``after`` is where the
    previous page ended (its last invitation's creation time, ISO, and id)."""
    cursor = None if after is None else (datetime.fromisoformat(after[0]), after[1])
    due = selectors.invitations_due_for_email_across_organizations(after=cursor)
    for organization_id, invitation_id, _ in due:
        send_invitation_email.delay(organization_id=organization_id, invitation_id=invitation_id)
    if len(due) == selectors.INVITATION_EMAIL_PAGE:
        _, last_id, last_created_at = due[-1]
        dispatch_invitation_emails.delay(after=(last_created_at.isoformat(), last_id))
    return len(due)
