"""Connecting and removing a member's own calendar, read for free/busy (``BusyCalendar``).

The address is checked when it is saved (``pairings.busy_fetch.calendar_url_problem``: https,
public addresses, port 443, a plausible length), stored encrypted and shown back masked only;
the first read is queued once the change is committed, and the beat dispatcher reads it every
15 minutes after that (``pairings.tasks``).

Each read is a request to a server the member chose, so a member causes at most one read a
minute, whatever they click: "Check now", saving the same address again (which changes
nothing and reads again only like "Check now"), or saving another address (stored at once,
read when the minute since the last attempt has passed, by the dispatcher)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorship.identity.secrets import decrypt, encrypt
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


@dataclass(frozen=True)
class Saved:
    calendar: BusyCalendar
    changed: bool  # False: the address was already the connected one
    queued: bool  # a read is on its way now (else within the minute, or as usual)


def _too_soon(calendar: BusyCalendar | None, now: datetime) -> bool:
    return (
        calendar is not None
        and calendar.last_attempt_at is not None
        and calendar.last_attempt_at > now - CHECK_AGAIN_AFTER
    )


def _stored_url(calendar: BusyCalendar | None) -> str | None:
    if calendar is None:
        return None
    try:
        return decrypt(calendar.url_encrypted)
    except ValueError:
        return None  # unreadable on our side: saving it again replaces it


def busy_calendar_set(*, membership: Membership, url: str) -> Saved:
    """Connect (or replace) the member's calendar: ``ValidationError`` with a message for them
    when the address cannot be used. A new address starts afresh: nothing read yet. The same
    address again changes nothing, and is read again only as "Check now" would."""
    url = normalise_url(url)
    if not url:
        raise ValidationError(_("Enter the private address of your calendar."), code="required")
    now = timezone.now()
    current = BusyCalendar.objects.filter(membership=membership).first()
    if current is not None and _stored_url(current) == url:
        # Not checked again either: no name lookup in the web request for nothing new.
        queued = busy_calendar_check_now(membership=membership)
        return Saved(calendar=current, changed=False, queued=queued)
    problem = calendar_url_problem(url, allow_private=private_networks_allowed())
    if problem is not None:
        raise ValidationError(problem, code="invalid")
    # The last attempt is kept across addresses: it is what limits reads to one a minute.
    last_attempt = current.last_attempt_at if current is not None else None
    queued = not _too_soon(current, now)
    next_fetch = now if queued else last_attempt + CHECK_AGAIN_AFTER  # type: ignore[operator]
    with transaction.atomic():
        calendar, _created = BusyCalendar.objects.update_or_create(
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
                "last_attempt_at": last_attempt,
                "last_error": "",
                "next_fetch_at": next_fetch,
                "created_at": now,
            },
        )
        if queued:
            fetch_busy_calendar.delay_on_commit(
                organization_id=membership.organization_id, calendar_id=calendar.pk
            )
    return Saved(calendar=calendar, changed=True, queued=queued)


def busy_calendar_check_now(*, membership: Membership) -> bool:
    """Read the member's calendar again now (its "Check now" button); False when it was tried
    less than a minute ago, or there is none."""
    now = timezone.now()
    calendar = BusyCalendar.objects.filter(membership=membership).first()
    if calendar is None or _too_soon(calendar, now):
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
    deleted, _by_model = BusyCalendar.objects.filter(membership=membership).delete()
    return bool(deleted)
