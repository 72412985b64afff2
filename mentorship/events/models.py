"""Webhook endpoints, the event outbox and one delivery row per endpoint and event."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mentorship.models import TranslatedTextChoices, User
from mentorship.tenancy import TenantModel


class EventType(TranslatedTextChoices):
    PARTICIPANT_CREATED = "participant.created", _("A participant was added")
    PARTICIPANT_UPDATED = "participant.updated", _("A participant was changed")
    PARTICIPANT_REMOVED = "participant.removed", _("A participant was removed")
    PAIRING_PROPOSED = "pairing.proposed", _("A pairing was proposed")
    PAIRING_CONFIRMED = "pairing.confirmed", _("A pairing was confirmed")
    PAIRING_ACTIVE = "pairing.active", _("A pair went live")
    PAIRING_ENDED = "pairing.ended", _("A pairing ended")
    MEETING_SCHEDULED = "meeting.scheduled", _("A meeting was scheduled")
    MEETING_RESCHEDULED = "meeting.rescheduled", _("A meeting was rescheduled")
    MEETING_CANCELLED = "meeting.cancelled", _("A meeting was cancelled")
    SESSION_LOGGED = "session.logged", _("A session was logged")
    SURVEY_OPENED = "survey.opened", _("A survey opened")
    SURVEY_CLOSED = "survey.closed", _("A survey closed")
    PROGRAM_STATUS_CHANGED = "program.status_changed", _("A program changed status")


# What a chat endpoint (Slack, Teams) may be sent: program-level news, never a person's.
CHAT_EVENT_TYPES = frozenset(
    {
        EventType.PAIRING_ACTIVE,
        EventType.SURVEY_OPENED,
        EventType.SURVEY_CLOSED,
        EventType.PROGRAM_STATUS_CHANGED,
    }
)
# Sent only by "Send a test event"; no endpoint subscribes to it.
TEST_EVENT_TYPE = "webhook.test"


class WebhookEndpoint(TenantModel):
    class Format(models.TextChoices):
        STANDARD = "standard", _("Signed JSON (Standard Webhooks)")
        SLACK = "slack", _("Slack incoming webhook")
        TEAMS = "teams", _("Microsoft Teams workflow")

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.STANDARD)
    # EventType values. Filtered in Python: an organisation has a handful of endpoints, and a
    # JSON containment lookup is not portable to SQLite.
    event_types = models.JSONField(default=list)
    # "whsec_…", encrypted at rest (mentorship.identity.secrets). During a rotation the previous
    # secret keeps signing too (both signatures in one header) until previous_secret_expires_at.
    secret = models.TextField(blank=True)
    previous_secret = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Deliveries that used up their whole retry schedule since the endpoint last acknowledged
    # one (mentorship.events.delivery): a receiver gone for a day is disabled, one event it
    # keeps refusing among others it takes is not.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"“{self.description}” ({self.safe_url})" if self.description else self.safe_url

    @property
    def rotation_ends_at(self) -> datetime | None:
        """Until when the previous secret signs too; None when no rotation is under way."""
        expires = self.previous_secret_expires_at
        return expires if self.previous_secret and expires and expires > timezone.now() else None

    @property
    def safe_url(self) -> str:
        """The URL's scheme and host only. Slack and Teams put the secret that lets anyone
        post into the path or query: audit summaries, notifications and lists show this."""
        scheme, _sep, rest = self.url.partition("://")
        host, separator, _path = rest.partition("/")
        host = host.split("?")[0].split("#")[0]
        return f"{scheme}://{host}/…" if separator or rest != host else f"{scheme}://{host}"


class WebhookEvent(TenantModel):
    """The outbox: one row per event, written in the transaction of the change it reports."""

    # The Standard Webhooks "webhook-id": the same for every attempt, so receivers deduplicate.
    message_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class WebhookDelivery(TenantModel):
    """One event to one endpoint: pending until acknowledged (2xx) or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery status", "Pending")
        DELIVERED = "delivered", pgettext_lazy("webhook delivery status", "Delivered")
        FAILED = "failed", pgettext_lazy("webhook delivery status", "Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due (pending only); the dispatcher reads it through an index.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker's claim on the attempt it is making; one killed mid-delivery lets it lapse and
    # the dispatcher tries again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # The dispatcher's lease: it enqueued the delivery, and leaves it alone until then (or until
    # a worker's claim clears it), rather than enqueue it again every minute while it waits.
    dispatched_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # The receiver's answer, truncated (RESPONSE_EXCERPT_CHARS).
    response_excerpt = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_endpoint")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")
        ]
