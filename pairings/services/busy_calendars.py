"""Connecting and removing a member's own calendar, read for free/busy (``BusyCalendar``).

The address is checked when it is saved (``pairings.busy_fetch.calendar_url_problem``: https,
public addresses, a plausible length), stored encrypted and shown back masked only; the first
read is queued once the change is committed, and the beat dispatcher reads it every 15 minutes
after that (``pairings.tasks``)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mentorship.identity.secrets import encrypt
from mentorship.models import Membership
from pairings.busy_fetch import (
    calendar_url_problem,
    normalise_url,
    private_networks_allowed,
    url_hint,
)
from pairings.models import BusyCalendar
from pairings.tasks import fetch_busy_calendar

# "Check now" at most this often: each one is a request to the person's calendar server.
CHECK_AGAIN_AFTER = timedelta(minutes=1)


def busy_calendar_set(*, membership: Membership, url: str) -> BusyCalendar:
    """Connect (or replace) the member's calendar: ``ValidationError`` with a message for them
    when the address cannot be used. A new address starts afresh: nothing read yet."""
    url = normalise_url(url)
    if not url:
        raise ValidationError("Enter the private address of your calendar.", code="required")
    problem = calendar_url_problem(url, allow_private=private_networks_allowed())
    if problem is not None:
        raise ValidationError(problem, code="invalid")
    now = timezone.now()
    with transaction.atomic():
        calendar, _ = BusyCalendar.objects.update_or_create(
            membership=membership,
            defaults={
                "organization": membership.organization,
                "url_encrypted": encrypt(url),
                "url_hint": url_hint(url),
                "state": BusyCalendar.State.PENDING,
                "busy": [],
                "etag": "",
                "last_modified": "",
                "fetched_at": None,
                "last_attempt_at": None,
                "last_error": "",
                "next_fetch_at": now,
                "created_at": now,
            },
        )
        fetch_busy_calendar.delay_on_commit(
            organization_id=membership.organization_id, calendar_id=calendar.pk
        )
    return calendar


def busy_calendar_check_now(*, membership: Membership) -> bool:
    """Read the member's calendar again now (its "Check now" button); False when it was tried
    less than a minute ago, or there is none."""
    now = timezone.now()
    calendar = BusyCalendar.objects.filter(membership=membership).first()
    if calendar is None or (
        calendar.last_attempt_at is not None and calendar.last_attempt_at > now - CHECK_AGAIN_AFTER
    ):
        return False
    with transaction.atomic():
        BusyCalendar.objects.filter(pk=calendar.pk).update(next_fetch_at=now)
        fetch_busy_calendar.delay_on_commit(
            organization_id=membership.organization_id, calendar_id=calendar.pk
        )
    return True


def busy_calendar_remove(*, membership: Membership) -> bool:
    """Forget the member's calendar: its address and every busy time read from it. False when
    none was connected."""
    deleted, _ = BusyCalendar.objects.filter(membership=membership).delete()
    return bool(deleted)
