"""Delivering one webhook: claim, send, settle. The tasks call it (``mentorship.events.tasks``);
the services only enqueue those tasks, so the chain runs one way: services → tasks → delivery.

Reliability, step by step:

- **Claim** (:func:`claim`): a compare-and-set update that must change one row: the delivery is
  pending, due, has attempts left, and no live claim holds it. It sets ``claimed_until`` and
  moves ``next_attempt_at`` to the same time, and counts the attempt. A duplicate wake-up finds
  the claim and stops; a worker killed mid-send leaves a claim that lapses after
  ``CLAIM_DURATION``, when the dispatcher finds the delivery due again. A killed attempt counts
  too, and a delivery found due with its ``MAX_ATTEMPTS`` used up has failed: an event that
  kills workers (or crashes the settling) cannot be retried for ever. The update's conditions
  are on the row's own columns only: with a join (the endpoint's ``enabled``) Django writes
  ``WHERE id IN (SELECT …)``, which PostgreSQL does not re-check after waiting for a
  concurrent claim's row lock, and two workers would both win. The endpoint is read before.
- **Send** (:func:`send`): through the fenced session (``mentorship.events.fence``), within
  ``TIMEOUT_SECONDS`` for the whole exchange (DNS, connect, TLS, status line, headers, body:
  ``fence.time_budget``), redirects not followed (a 3xx is a failure: a public URL may redirect
  inwards), the answer's first bytes kept. Whatever bytes the receiver answers, the attempt
  gives an outcome: a 2xx whose body cannot be read (cut short, stalled, in an unknown
  charset) is still delivered, the receiver having acknowledged it.
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
import urllib3.exceptions
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mentorship import selectors as kernel_selectors
from mentorship import services as kernel
from mentorship.events import formats
from mentorship.events.fence import AddressRefused, Budget, endpoint_url_problem, time_budget
from mentorship.events.models import WebhookDelivery, WebhookEndpoint
from mentorship.i18n import in_language, recipient_language
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
# Longer than the slowest attempt can take (all of it within TIMEOUT_SECONDS).
CLAIM_DURATION = timedelta(minutes=2)
RESPONSE_EXCERPT_CHARS = 1000
RESPONSE_READ_BYTES = 4 * RESPONSE_EXCERPT_CHARS
DISABLE_AFTER_FAILED_DELIVERIES = 3
# How long the dispatcher leaves a delivery it enqueued to the worker that task reaches it: a
# lost task (a broker restart without persistence) delays its deliveries this much at most.
DISPATCH_LEASE = timedelta(minutes=10)
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
    """Take the attempt of a due delivery; the claim's expiry, or None when it is not ours.

    A delivery found due with no attempt left is marked failed here (see the module's
    docstring)."""
    row = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=PENDING, next_attempt_at__lte=now)
        .filter(_unclaimed(now))
        .values_list("attempts", "endpoint__enabled")
        .first()
    )
    if row is None:
        return None
    attempts, enabled = row
    if not enabled:
        # Turned off as the event was written: it waits (never parked from here, which could
        # race with turning the endpoint on and leave it parked while on).
        return None
    if attempts >= MAX_ATTEMPTS:
        _give_up(delivery_id=delivery_id, now=now)
        return None
    until = now + CLAIM_DURATION
    # Only the row's own columns, so that PostgreSQL re-checks all of them after waiting.
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=PENDING, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS
        )
        .filter(_unclaimed(now))
        .update(
            claimed_until=until,
            next_attempt_at=until,
            dispatched_until=None,  # a worker reached it: the dispatcher's lease is done
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    )
    return until if claimed == 1 else None


def _unclaimed(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


def _give_up(*, delivery_id: int, now: datetime) -> None:
    """Fail a delivery whose attempts are used up but none of which settled (each crashed the
    worker, or was killed), and count it against its endpoint like any other failure."""
    failed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=PENDING, next_attempt_at__lte=now, attempts__gte=MAX_ATTEMPTS
        )
        .filter(_unclaimed(now))
        .update(
            status=WebhookDelivery.Status.FAILED,
            next_attempt_at=None,
            claimed_until=None,
            dispatched_until=None,
            last_error=f"Given up: none of its {MAX_ATTEMPTS} attempts finished",
        )
    )
    if failed:
        delivery = WebhookDelivery.objects.select_related("endpoint__organization").get(
            pk=delivery_id
        )
        logger.error("Webhook delivery %s failed: no attempt finished", delivery_id)
        _count_failed_delivery(delivery.endpoint)


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
    started = time.monotonic()
    with time_budget(TIMEOUT_SECONDS) as budget:
        # The delivery log is a record, kept in English like its other lines.
        with translation.override(settings.LANGUAGE_CODE):
            problem = endpoint_url_problem(endpoint.url)  # its DNS lookup is in the budget too
        if problem is not None:
            return Outcome(error=f"Not sent: {problem}", duration_ms=_ms_since(started))
        try:
            # A chat message (Slack, Teams) speaks the organisation's default language.
            with translation.override(delivery.organization.default_language):
                body, headers = formats.request_for(
                    endpoint, delivery.event, organization_name=delivery.organization.name, now=now
                )
        except ValueError as exc:  # a secret no configured key decrypts
            return Outcome(error=f"Not sent: {exc}")
        try:
            response = session.post(
                endpoint.url,
                data=body,
                headers=headers,
                # Per socket read, and never past the budget's end (its watchdog ends the rest).
                timeout=max(budget.remaining(), 0.001),
                allow_redirects=False,
                stream=True,
            )
        except AddressRefused as exc:
            return Outcome(error=str(exc), duration_ms=_ms_since(started))
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            return Outcome(error=_failure(exc, budget), duration_ms=_ms_since(started))
        try:
            if budget.expired:
                # The watchdog cut the status line or headers short: what was parsed of them
                # is not the receiver's answer.
                error = f"No answer within {TIMEOUT_SECONDS} seconds"
                return Outcome(error=error, duration_ms=_ms_since(started))
            excerpt, unread = _read_excerpt(response, budget=budget)
        finally:
            response.close()
    code = response.status_code
    common = {"status_code": code, "duration_ms": _ms_since(started), "excerpt": excerpt}
    if 200 <= code < 300:
        # Acknowledged: a body that could not be read is noted, and changes nothing.
        note = f"Answered {code}; its body could not be read ({unread})" if unread else ""
        return Outcome(delivered=True, error=note, **common)
    if 300 <= code < 400:
        location = response.headers.get("location", "")[:200]
        return Outcome(error=f"Redirected to {location or 'elsewhere'} (not followed)", **common)
    retry_after = None
    if code in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=now)
    return Outcome(error=f"Answered {code}", retry_after=retry_after, **common)


def _failure(exc: BaseException, budget: Budget) -> str:
    """What went wrong before an answer came, in words for the delivery log."""
    if budget.expired or isinstance(
        exc, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError
    ):
        return f"No answer within {TIMEOUT_SECONDS} seconds"
    if isinstance(exc, requests.exceptions.SSLError | urllib3.exceptions.SSLError):
        return "The TLS handshake failed (is the certificate valid for this host?)"
    if isinstance(exc, requests.ConnectionError | urllib3.exceptions.NewConnectionError):
        return f"Could not connect ({type(exc).__name__})"
    return f"The answer could not be read ({type(exc).__name__})"


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _read_excerpt(response: requests.Response, *, budget: Budget) -> tuple[str, str]:
    """The start of the answer, read within the budget, and why the rest could not be read
    ("" when nothing went wrong). A receiver controls these bytes: a body cut short, one that
    stalls, an undecodable encoding or charset each end the reading, never the attempt."""
    chunks: list[bytes] = []
    size = 0
    unread = ""
    try:
        for chunk in response.raw.stream(1024, decode_content=True):
            chunks.append(chunk)
            size += len(chunk)
            if size >= RESPONSE_READ_BYTES:
                break
            if budget.expired:
                unread = f"not all of it came within {TIMEOUT_SECONDS} seconds"
                break
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        if budget.expired or isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
            unread = f"not all of it came within {TIMEOUT_SECONDS} seconds"
        else:
            unread = f"{type(exc).__name__}"
    return _decode(b"".join(chunks), response.encoding)[:RESPONSE_EXCERPT_CHARS], unread


def _decode(raw: bytes, encoding: str | None) -> str:
    """``raw`` as text in the charset the receiver named, or UTF-8 when that is no text
    encoding Python knows ("x-hostile", "rot13", "idna" with replacement…)."""
    try:
        return raw.decode(encoding or "utf-8", errors="replace")
    except (LookupError, UnicodeError, TypeError, ValueError):
        return raw.decode("utf-8", errors="replace")


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
        # PostgreSQL's text cannot hold NUL: one in a receiver's answer would fail the update,
        # and the acknowledged delivery would be sent again after its claim lapsed.
        "last_error": _storable(outcome.error)[:300],
        "response_excerpt": _storable(outcome.excerpt),
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
            endpoint=endpoint,
            reason=gettext_lazy("the receiver answered 410 Gone (it no longer exists)"),
        )
    elif retry_in is None:
        _count_failed_delivery(endpoint)
    elif not WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).exists():
        # Disabled while this attempt was under way: park it with the others.
        park_pending(endpoint=endpoint)
        retry_in = None
    return retry_in


def _storable(text: str) -> str:
    return text.replace("\x00", "")


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
            endpoint=endpoint, reason=lazy(_failures_reason, str)(failures)
        )


def _failures_reason(failures: int) -> str:
    return ngettext(
        "%(failures)s event in a row could not be delivered, each after %(attempts)s attempts "
        "over about 18 hours",
        "%(failures)s events in a row could not be delivered, each after %(attempts)s attempts "
        "over about 18 hours",
        failures,
    ) % {"failures": failures, "attempts": MAX_ATTEMPTS}


def endpoint_disable_for_failures(*, endpoint: WebhookEndpoint, reason: str | Promise) -> bool:
    """Turn the endpoint off (once), park its deliveries, tell the HR admins and the audit log.
    Returns whether this call disabled it.

    ``reason`` may be lazy: the endpoint's record and the audit log keep it in English, each HR
    admin reads it in their own language."""
    lazy_reason = reason
    reason = in_language(reason, settings.LANGUAGE_CODE)
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
        url = tenant_url(organization, "webhook_endpoint", endpoint_id=endpoint.pk)
        for admin in kernel_selectors.hr_admins().select_related("user"):
            with recipient_language(admin.user, organization):
                values = {
                    "endpoint": endpoint,
                    "url": endpoint.safe_url,
                    "reason": str(lazy_reason),
                }
                kernel.notification_send(
                    organization=organization,
                    recipient=admin.user,
                    subject=_("Webhook endpoint %(endpoint)s was turned off") % values,
                    body=_(
                        "Events are no longer sent to %(url)s: %(reason)s. Undelivered "
                        "events are kept. Once the receiver works again, turn the endpoint back "
                        "on in Settings → Webhooks: they are then sent."
                    )
                    % values,
                    url=url,
                )
    logger.warning("Webhook endpoint %s disabled: %s", endpoint.pk, reason)
    return True


def park_pending(*, endpoint: WebhookEndpoint) -> int:
    """Take a disabled endpoint's pending deliveries off the dispatcher's index (a live claim
    stays: its attempt settles under it, then parks too)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint, status=PENDING).update(
        next_attempt_at=None, dispatched_until=None
    )


def resume_parked(*, endpoint: WebhookEndpoint) -> int:
    """Make an enabled endpoint's parked deliveries due now; returns how many."""
    return WebhookDelivery.objects.filter(
        endpoint=endpoint, status=PENDING, next_attempt_at__isnull=True
    ).update(next_attempt_at=timezone.now(), dispatched_until=None)


def lease_for_dispatch(*, delivery_ids: list[int], now: datetime) -> None:
    """Mark deliveries the dispatcher is enqueueing, so that its next passes leave them alone
    until a worker claims them (the claim ends the lease) or ``DISPATCH_LEASE`` runs out (the
    task was lost: they are enqueued again). Without it, a backlog bigger than the workers
    drain in a minute would be enqueued again every minute."""
    WebhookDelivery.objects.filter(pk__in=delivery_ids, status=PENDING).update(
        dispatched_until=now + DISPATCH_LEASE
    )


def release_dispatch_lease(*, delivery_ids: list[int]) -> None:
    """Undo :func:`lease_for_dispatch` for deliveries that could not be enqueued after all."""
    WebhookDelivery.objects.filter(pk__in=delivery_ids).update(dispatched_until=None)
