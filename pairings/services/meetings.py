"""Writes of meetings and of personal calendar feeds.

Every function runs inside the organisation's scope. Times arrive in UTC (the forms turn the
viewer's wall-clock time into UTC, see ``pairings.timezones``).

Invitations: every change (schedule, reschedule, cancel) bumps nothing but ``sequence`` on a
meeting whose ``uid`` never changes, and enqueues one task after commit that emails both partners
the calendar file (``pairings.invitations``, through ``pairings.tasks``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from mentorship.events.models import EventType
from mentorship.i18n import recipient_language
from mentorship.models import Membership, Notification, User, hash_token
from pairings import activity, reminders
from pairings.calendars import meeting_page_url
from pairings.ics import Method
from pairings.models import CalendarFeed, Meeting, Pairing
from pairings.selectors import (
    meeting_change_problem,
    meeting_schedule_problem,
    partners_with_accounts,
)
from pairings.services.webhooks import meeting_emit
from pairings.tasks import send_meeting_invitation
from pairings.timezones import when_in, zone_named

MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 240
# How far ahead a meeting may be set: beyond any program's length, and far from the calendar's
# end (a meeting late on 31 December 9999 would end in a year no date type can hold).
MAX_DAYS_AHEAD = 5 * 365
# Marked here, translated where they are shown (``gettext(...)``): plain strings to compare.
TOO_FAR_AHEAD_MESSAGE = gettext_noop("Pick a date within the next five years.")
PASSED_MESSAGE = gettext_noop("That time has already passed. Pick a time in the future.")


def _require_partner(pairing: Pairing, actor: User) -> None:
    if not any(user.pk == actor.pk for _, user in partners_with_accounts(pairing)):
        raise ValidationError(_("Only the two partners of a pair can change its meetings."))


def _validate_slot(*, starts_at: datetime, duration_minutes: int, location: str) -> None:
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        raise ValueError("starts_at must be timezone-aware")
    if starts_at <= timezone.now():
        raise ValidationError(gettext(PASSED_MESSAGE))
    if starts_at > timezone.now() + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError(gettext(TOO_FAR_AHEAD_MESSAGE))
    if not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES:
        raise ValidationError(duration_message())
    if len(location) > Meeting._meta.get_field("location").max_length:
        raise ValidationError(_("The location is too long."))


def duration_message() -> str:
    return _("A meeting lasts between %(least)s and %(most)s minutes.") % {
        "least": MIN_DURATION_MINUTES,
        "most": MAX_DURATION_MINUTES,
    }


def _announce_subject(*, actor: User | None, verb: str, when: str) -> str:
    """The partner's inbox subject, in the active language (whole sentences, one per change)."""
    if actor is None:
        # The program itself (a quiet pair closed): only cancellations happen this way.
        subjects = {
            "scheduled": _("The program scheduled a meeting: %(when)s"),
            "moved": _("The program moved a meeting: %(when)s"),
            "cancelled": _("The program cancelled a meeting: %(when)s"),
        }
    else:
        subjects = {
            "scheduled": _("%(person)s scheduled a meeting: %(when)s"),
            "moved": _("%(person)s moved a meeting: %(when)s"),
            "cancelled": _("%(person)s cancelled a meeting: %(when)s"),
        }
    person = actor.display_name if actor is not None else ""
    return subjects[verb] % {"person": person, "when": when}


def _lock_changeable(meeting: Meeting) -> Meeting:
    """The meeting's row, locked for the change, if it can still change."""
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    problem = meeting_change_problem(meeting=locked)
    if problem:
        raise ValidationError(problem)
    return locked


def _announce(*, meeting: Meeting, actor: User | None, method: Method, verb: str) -> None:
    """Tell the partner in the inbox, and send both partners the calendar file after commit.

    The inbox message is marked as emailed: the invitation email (with the file) is its email,
    and the notification dispatcher must not send a second one. With no ``actor`` (the program
    closing a quiet pair), both partners are told.
    """
    pairing = meeting.pairing
    now = timezone.now()
    url = meeting_page_url(meeting)
    for participant, user in partners_with_accounts(pairing):
        if actor is not None and user.pk == actor.pk:
            continue  # they just did it and saw the confirmation
        # In the partner's language, the time in their zone.
        with recipient_language(user, pairing.organization):
            when = when_in(meeting.starts_at, zone_named(participant.timezone))
            subject = _announce_subject(actor=actor, verb=verb, when=when)
            body = (
                _("The calendar invitation is in your email.")
                if method == "REQUEST"
                else _("The calendar cancellation is in your email.")
            )
        Notification.objects.create(
            organization_id=meeting.organization_id,
            recipient=user,
            subject=subject[:200],
            body=body,
            url=url,
            emailed_at=now,
        )
    send_meeting_invitation.delay_on_commit(
        organization_id=meeting.organization_id,
        meeting_id=meeting.pk,
        sequence=meeting.sequence,
        method=method,
    )


def booking_lock(*, pairing: Pairing) -> Pairing:
    """Inside a transaction: lock both partners' membership rows (in pk order, so two bookings
    locking the same two never deadlock) and then the pair's row, and return the pair as it is
    now. Every booking of a person takes their membership's lock, whichever pair it is for:
    two at once are serialised, and the second sees the first's meeting."""
    ids = sorted(p.membership_id for p in (pairing.mentor, pairing.mentee) if p.membership_id)
    list(Membership.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    return Pairing.objects.select_for_update().get(pk=pairing.pk)


def meeting_schedule(
    *, pairing: Pairing, starts_at: datetime, duration_minutes: int, location: str, actor: User
) -> Meeting:
    """Schedule a meeting of a confirmed or active pair, by one of its partners."""
    _require_partner(pairing, actor)
    problem = meeting_schedule_problem(pairing=pairing)
    if problem:
        raise ValidationError(problem)
    location = location.strip()
    _validate_slot(starts_at=starts_at, duration_minutes=duration_minutes, location=location)
    with transaction.atomic():
        # The pair may have ended since it was loaded (HR dissolving it at the same moment).
        locked = booking_lock(pairing=pairing)
        problem = meeting_schedule_problem(pairing=locked)
        if problem:
            raise ValidationError(problem)
        meeting = Meeting.objects.create(
            organization_id=pairing.organization_id,
            pairing=pairing,
            starts_at=starts_at.astimezone(UTC),
            duration_minutes=duration_minutes,
            location=location,
            uid=f"meeting-{uuid4()}@reverse-mentoring",
            sequence=0,
            created_by=actor,
            next_due_at=reminders.meeting_first_due_for(
                program=pairing.program,
                starts_at=starts_at.astimezone(UTC),
                duration_minutes=duration_minutes,
            ),
        )
        reminders.quiet_check_rearm(pairing=pairing, after_meeting_at=meeting.starts_at)
        _announce(meeting=meeting, actor=actor, method="REQUEST", verb="scheduled")
        meeting_emit(
            organization=pairing.organization,
            event_type=EventType.MEETING_SCHEDULED,
            meeting_id=meeting.pk,
        )
    return meeting


def meeting_reschedule(
    *, meeting: Meeting, starts_at: datetime, duration_minutes: int, location: str, actor: User
) -> Meeting:
    """Move a meeting: same UID, next SEQUENCE, and a new invitation to both partners."""
    pairing = meeting.pairing
    _require_partner(pairing, actor)
    problem = meeting_schedule_problem(pairing=pairing)
    if problem:
        raise ValidationError(problem)
    location = location.strip()
    _validate_slot(starts_at=starts_at, duration_minutes=duration_minutes, location=location)
    with transaction.atomic():
        locked = _lock_changeable(meeting)
        meeting.starts_at = starts_at.astimezone(UTC)
        meeting.duration_minutes = duration_minutes
        meeting.location = location
        meeting.sequence = locked.sequence + 1
        # Moved: its reminders start over (their keys hold the start time, so they go again).
        meeting.next_due_at = reminders.meeting_first_due_for(
            program=pairing.program,
            starts_at=meeting.starts_at,
            duration_minutes=duration_minutes,
        )
        meeting.save(
            update_fields=[
                "starts_at",
                "duration_minutes",
                "location",
                "sequence",
                "next_due_at",
                "updated_at",
            ]
        )
        reminders.quiet_check_rearm(pairing=pairing, after_meeting_at=meeting.starts_at)
        _announce(meeting=meeting, actor=actor, method="REQUEST", verb="moved")
        meeting_emit(
            organization=pairing.organization,
            event_type=EventType.MEETING_RESCHEDULED,
            meeting_id=meeting.pk,
        )
    return meeting


def _side_of(pairing: Pairing, user: User | None) -> str:
    """The side of the partner who is ``user``, or "" for anyone else (an HR admin, or no one:
    the program itself)."""
    if user is None:
        return ""
    for participant, side in ((pairing.mentor, "junior"), (pairing.mentee, "senior")):
        if participant.membership_id and participant.membership.user_id == user.pk:
            return side
    return ""


def meeting_cancel(*, meeting: Meeting, actor: User) -> Meeting:
    """Cancel a meeting (who and when is recorded) and send both partners the cancellation."""
    _require_partner(meeting.pairing, actor)
    with transaction.atomic():
        locked = _lock_changeable(meeting)
        meeting.cancelled_at = timezone.now()
        meeting.cancelled_by = actor
        meeting.cancelled_by_side = _side_of(meeting.pairing, actor)
        meeting.sequence = locked.sequence + 1
        meeting.next_due_at = None  # a cancelled meeting reminds no one
        meeting.save(
            update_fields=[
                "cancelled_at",
                "cancelled_by",
                "cancelled_by_side",
                "sequence",
                "next_due_at",
                "updated_at",
            ]
        )
        activity.record_cancellation(meeting=meeting)
        _announce(meeting=meeting, actor=actor, method="CANCEL", verb="cancelled")
        meeting_emit(
            organization=meeting.pairing.organization,
            event_type=EventType.MEETING_CANCELLED,
            meeting_id=meeting.pk,
        )
    return meeting


def calendar_feed_token_create(*, membership: Membership) -> str:
    """Create the member's calendar feed, or replace its secret (the old URL stops working).

    Returns the secret: only its hash is stored, so this is the one time it can be shown.
    """
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        membership=membership,
        defaults={
            "organization_id": membership.organization_id,
            "token_hash": hash_token(token),
            "created_at": timezone.now(),
        },
    )
    return token


def calendar_feed_revoke(*, membership: Membership) -> bool:
    """Delete the member's feed: its URL answers 404 from now on. Returns whether one existed."""
    deleted, _by_model = CalendarFeed.objects.filter(membership=membership).delete()
    return bool(deleted)


def meetings_cancel_upcoming(*, pairing: Pairing, actor: User | None) -> int:
    """When a pair ends, its future meetings are cancelled and both partners get the calendar
    cancellation (the actor, an HR admin, is recorded as who cancelled; None when the program
    closed the pair)."""
    now = timezone.now()
    cancelled = 0
    side = _side_of(pairing, actor)
    for meeting in pairing.meetings.filter(cancelled_at__isnull=True, starts_at__gt=now):
        with transaction.atomic():
            # Compare-and-set: a partner cancelling this meeting at the same moment wins, and
            # the cancellation is counted once.
            if not Meeting.objects.filter(pk=meeting.pk, cancelled_at__isnull=True).update(
                cancelled_at=now,
                cancelled_by=actor,
                cancelled_by_side=side,
                sequence=F("sequence") + 1,
                next_due_at=None,
                updated_at=now,
            ):
                continue
            meeting.refresh_from_db()
            activity.record_cancellation(meeting=meeting)
            meeting_emit(
                organization=pairing.organization,
                event_type=EventType.MEETING_CANCELLED,
                meeting_id=meeting.pk,
            )
        _announce(meeting=meeting, actor=actor, method="CANCEL", verb="cancelled")
        cancelled += 1
    return cancelled
