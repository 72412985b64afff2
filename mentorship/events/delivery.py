"""Delivering one webhook: claim, send, settle. The tasks call it (``mentorship.events.tasks``);
the services only enqueue those tasks, so the chain runs one way: services → tasks → delivery.

Reliability, step by step:

- **Claim** (:func:`claim`): a compare-and-set update that must change one row: the delivery is
  pending, due, its endpoint enabled, and no live claim holds it. It sets ``claimed_until`` and
  moves ``next_attempt_at`` to the same time, and counts the attempt. A duplicate wake-up finds
  the claim and stops; a worker killed mid-send leaves a claim that lapses after
  ``CLAIM_DURATION``, when the dispatcher finds the delivery due again (so a killed attempt
  counts too: an event that kills workers cannot be retried for ever).
- **Send** (:func:`send`): through the fenced session (``mentorship.events.fence``), a
  ``TIMEOUT_SECONDS`` limit, redirects not followed (a 3xx is a failure: a public URL may
  redirect inwards), the answer's first bytes kept.
- **Settle** (:func:`settle`): only under the claim it took, so a worker that overran its claim
  cannot overwrite the outcome of the one that took over. 2xx is delivered; anything else is
  retried after ``SCHEDULE`` (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, each ±10 % so that a burst of
  failures does not come back as a burst), or later when a 429/503 asks for it with
  ``Retry-After`` (capped at the longest step); after ``MAX_ATTEMPTS`` the delivery has failed.

The endpoint is disabled, its HR admins notified and the audit log told:

- at once on ``410 Gone`` (the receiver says it is gone for good);
- when ``DISABLE_AFTER_FAILED_DELIVERIES`` deliveries in a row used up their whole schedule
  (about 18 hours of attempts each) with nothing acknowledged in between. Counting deliveries,
  not attempts, keeps a receiver down for an hour from being disabled however many events
  piled up meanwhile; counting them in a row keeps one event the receiver always refuses from
  disabling an endpoint that takes the others.

A disabled endpoint's pending deliveries are parked (no ``next_attempt_at``): the dispatcher's
index never reads them, and turning the endpoint on again resumes them.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from mentorship import services as kernel
from mentorship.events import formats
from mentorship.events.fence import AddressRefused, endpoint_url_problem
from mentorship.events.models import WebhookDelivery, WebhookEndpoint
from mentorship.models import AuditEvent
from mentorship.web import tenant_url

logger = logging.getLogger(__name__)

SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(SCHEDULE) + 1
JITTER = 0.1
TIMEOUT_SECONDS = 15
# Longer than the slowest attempt can take (connect, answer and body each within the timeout).
CLAIM_DURATION = timedelta(minutes=2)
RESPONSE_EXCERPT_CHARS = 1000
RESPONSE_READ_BYTES = 4 * RESPONSE_EXCERPT_CHARS
DISABLE_AFTER_FAILED_DELIVERIES = 3
# A retry due sooner than this is woken by its own delayed task; later ones by the dispatcher
# (which runs every minute): no long ETA tasks sit in the broker.
SHORT_RETRY = timedelta(seconds=30)
PENDING = WebhookDelivery.Status.PENDING


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave."""

    delivered: bool = False
    status_code: int | None = None
    duration_ms: int = 0
    error: str = ""
    excerpt: str = ""
    retry_after: timedelta | None = None

    @property
    def gone(self) -> bool:
        return self.status_code == 410


@dataclass(frozen=True)
class Result:
    """What :func:`deliver` did: whether it delivered, and when the next attempt is due."""

    attempted: bool
    delivered: bool = False
    retry_in: timedelta | None = None


def claim(*, delivery_id: int, now: datetime) -> datetime | None:
    """Take the attempt of a due delivery; the claim's expiry, or None when it is not ours."""
    until = now + CLAIM_DURATION
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=PENDING, next_attempt_at__lte=now, endpoint__enabled=True
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(
            claimed_until=until,
            next_attempt_at=until,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    )
    return until if claimed == 1 else None


def deliver(*, delivery_id: int, session: requests.Session) -> Result:
    """One attempt of one delivery, if it is due and nobody else is making it."""
    now = timezone.now()
    claimed_until = claim(delivery_id=delivery_id, now=now)
    if claimed_until is None:
        return Result(attempted=False)
    delivery = WebhookDelivery.objects.select_related("endpoint", "event", "organization").get(
        pk=delivery_id
    )
    outcome = send(delivery, session=session, now=now)
    retry_in = settle(delivery, claimed_until=claimed_until, outcome=outcome)
    return Result(attempted=True, delivered=outcome.delivered, retry_in=retry_in)


def send(delivery: WebhookDelivery, *, session: requests.Session, now: datetime) -> Outcome:
    endpoint = delivery.endpoint
    problem = endpoint_url_problem(endpoint.url)
    if problem is not None:
        return Outcome(error=f"Not sent: {problem}")
    try:
        body, headers = formats.request_for(
            endpoint, delivery.event, organization_name=delivery.organization.name, now=now
        )
    except ValueError as exc:  # a secret no configured key decrypts
        return Outcome(error=f"Not sent: {exc}")
    started = time.monotonic()
    try:
        response = session.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        )
        try:
            excerpt = _read_excerpt(response, deadline=started + TIMEOUT_SECONDS)
        finally:
            response.close()
    except AddressRefused as exc:
        return Outcome(error=str(exc), duration_ms=_ms_since(started))
    except requests.Timeout:
        error = f"No answer within {TIMEOUT_SECONDS} seconds"
        return Outcome(error=error, duration_ms=_ms_since(started))
    except requests.exceptions.SSLError:
        error = "The TLS handshake failed (is the certificate valid for this host?)"
        return Outcome(error=error, duration_ms=_ms_since(started))
    except requests.RequestException as exc:
        error = f"Could not connect ({type(exc).__name__})"
        return Outcome(error=error, duration_ms=_ms_since(started))
    code = response.status_code
    common = {"status_code": code, "duration_ms": _ms_since(started), "excerpt": excerpt}
    if 200 <= code < 300:
        return Outcome(delivered=True, **common)
    if 300 <= code < 400:
        location = response.headers.get("location", "")[:200]
        return Outcome(error=f"Redirected to {location or 'elsewhere'} (not followed)", **common)
    retry_after = None
    if code in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=now)
    return Outcome(error=f"Answered {code}", retry_after=retry_after, **common)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _read_excerpt(response: requests.Response, *, deadline: float) -> str:
    """The start of the answer, read within the deadline: a receiver sending a byte every few
    seconds would otherwise hold the worker for as long as it liked (each read has its own
    timeout)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.raw.stream(1024, decode_content=True):
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_READ_BYTES:
            break
        if time.monotonic() > deadline:
            raise requests.Timeout("the answer took too long")
    text = b"".join(chunks).decode(response.encoding or "utf-8", errors="replace")
    return text[:RESPONSE_EXCERPT_CHARS]


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """``Retry-After`` as a delay: seconds, or an HTTP date; None when absent or unreadable."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 9:
        return timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def retry_delay(*, attempts: int, retry_after: timedelta | None = None) -> timedelta:
    """How long to wait after the ``attempts``-th attempt failed: the schedule's step with its
    jitter, or longer when the receiver asked for longer (at most the longest step)."""
    step = SCHEDULE[min(attempts, len(SCHEDULE)) - 1]
    delay = step * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, SCHEDULE[-1]))
    return delay


def settle(
    delivery: WebhookDelivery, *, claimed_until: datetime, outcome: Outcome
) -> timedelta | None:
    """Record the attempt under our claim; returns the delay before the next one, if any."""
    now = timezone.now()
    retry_in: timedelta | None = None
    fields: dict[str, object] = {
        "claimed_until": None,
        "last_status_code": outcome.status_code,
        "last_duration_ms": outcome.duration_ms,
        "last_error": outcome.error[:300],
        "response_excerpt": outcome.excerpt,
    }
    if outcome.delivered:
        fields.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=now)
        fields["next_attempt_at"] = None
    elif outcome.gone or delivery.attempts >= MAX_ATTEMPTS:
        fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    else:
        retry_in = retry_delay(attempts=delivery.attempts, retry_after=outcome.retry_after)
        fields["next_attempt_at"] = now + retry_in
    settled = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=PENDING, claimed_until=claimed_until
    ).update(**fields)
    if not settled:
        # Our claim lapsed and another worker took the delivery over: its outcome stands.
        return None
    endpoint = delivery.endpoint
    if outcome.delivered:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
    elif outcome.gone:
        endpoint_disable_for_failures(
            endpoint=endpoint, reason="the receiver answered 410 Gone (it no longer exists)"
        )
    elif retry_in is None:
        _count_failed_delivery(endpoint)
    elif not WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).exists():
        # Disabled while this attempt was under way: park it with the others.
        park_pending(endpoint=endpoint)
        retry_in = None
    return retry_in


def _count_failed_delivery(endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = (
        WebhookEndpoint.objects.filter(pk=endpoint.pk)
        .values_list("consecutive_failures", flat=True)
        .first()
    )
    if failures is not None and failures >= DISABLE_AFTER_FAILED_DELIVERIES:
        endpoint_disable_for_failures(
            endpoint=endpoint,
            reason=(
                f"{failures} events in a row could not be delivered, each after "
                f"{MAX_ATTEMPTS} attempts over about 18 hours"
            ),
        )


def endpoint_disable_for_failures(*, endpoint: WebhookEndpoint, reason: str) -> bool:
    """Turn the endpoint off (once), park its deliveries, tell the HR admins and the audit log.
    Returns whether this call disabled it."""
    stamp = timezone.now().strftime("%d %b %Y, %H:%M UTC")
    with transaction.atomic():
        disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
            enabled=False,
            disabled_reason=f"Disabled on {stamp}: {reason}."[:300],
            updated_at=timezone.now(),
        )
        if not disabled:
            return False
        park_pending(endpoint=endpoint)
        organization = endpoint.organization
        kernel.audit_record(
            organization=organization,
            action=AuditEvent.Action.WEBHOOK_DISABLED,
            summary=f"Webhook endpoint {endpoint} disabled: {reason}",
        )
        kernel.notify_hr_admins(
            organization=organization,
            subject=f"Webhook endpoint {endpoint} was turned off",
            body=(
                f"Events are no longer sent to {endpoint.safe_url}: {reason}. Undelivered "
                "events are kept. Once the receiver works again, turn the endpoint back on in "
                "Settings → Webhooks: they are then sent."
            ),
            url=tenant_url(organization, "webhook_endpoint", endpoint_id=endpoint.pk),
        )
    logger.warning("Webhook endpoint %s disabled: %s", endpoint.pk, reason)
    return True


def park_pending(*, endpoint: WebhookEndpoint) -> int:
    """Take a disabled endpoint's pending deliveries off the dispatcher's index (a live claim
    stays: its attempt settles under it, then parks too)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint, status=PENDING).update(
        next_attempt_at=None
    )


def resume_parked(*, endpoint: WebhookEndpoint) -> int:
    """Make an enabled endpoint's parked deliveries due now; returns how many."""
    return WebhookDelivery.objects.filter(
        endpoint=endpoint, status=PENDING, next_attempt_at__isnull=True
    ).update(next_attempt_at=timezone.now())
