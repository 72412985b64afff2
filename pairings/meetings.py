"""Meetings of a pair and personal calendar feeds: services (writes) and selectors (reads).

Every function runs inside the organisation's scope, except
:func:`calendar_feed_events_across_organizations`, which must first find which organisation a
feed token belongs to.

Times are stored in UTC and entered and shown in the viewer's timezone: the ``timezone`` of
their participant row in the pair, UTC for anyone else (an HR admin looking).

Invitations: every change (schedule, reschedule, cancel) bumps nothing but ``sequence`` on a
meeting whose ``uid`` never changes, and enqueues one email per partner after commit. The task
renders the calendar file from the meeting row (the database is the source of truth) and claims a
``ReminderDelivery`` row per recipient before sending, so a retry or a second wake-up sends
nothing twice.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from uuid import uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.message import SafeMIMEText
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date

from mentorship.models import Membership, Notification, User, hash_token
from mentorship.services import absolute_url
from mentorship.tenancy import across_all_organizations, tenant_scope
from pairings import activity
from pairings.ics import FeedEvent, Method, feed_ics, meeting_ics
from pairings.models import CalendarFeed, Meeting, Pairing, ReminderDelivery
from pairings.selectors import pairing_side_of
from programs.models import Participant

logger = logging.getLogger(__name__)

SCHEDULABLE_STATUSES = (Pairing.Status.CONFIRMED, Pairing.Status.ACTIVE)
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 240
FEED_DAYS_BACK = 60
DST_GAP_MESSAGE = (
    "This time does not exist on that day because the clocks change; pick another time."
)
# The invitation dispatcher looks at changes this recent, once they are this old.
INVITATION_CATCH_UP = timedelta(minutes=15)
INVITATION_GRACE = timedelta(minutes=1)
WHEN_FORMAT = "l j F Y, H:i T"  # Sunday 4 April 2027, 10:00 BST

# --- Timezones -----------------------------------------------------------------------------------


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC when it is empty or unknown (imported rows may hold anything)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def viewer_timezone(*, pairing: Pairing, membership: Membership) -> ZoneInfo:
    """The timezone the member sees this pair's meetings in: their side's, else UTC."""
    side = pairing_side_of(pairing=pairing, membership=membership)
    if not side:
        return ZoneInfo("UTC")
    participant: Participant = getattr(pairing, side)
    return zone_named(participant.timezone)


def local_to_utc(*, local: datetime, tz: ZoneInfo) -> datetime:
    """Turn a wall-clock time in ``tz`` (naive, as a form gives it) into an aware UTC datetime.

    A time the clocks skip (the spring-forward gap) does not exist and is refused. A time the
    clocks pass twice (the fall-back hour) is taken at its first occurrence (``fold=0``), the one
    people mean when they say "half past one" before the change.
    """
    if local.tzinfo is not None:
        raise ValueError("local_to_utc expects a naive wall-clock time")
    aware = local.replace(tzinfo=tz, fold=0)
    in_utc = aware.astimezone(UTC)
    # zoneinfo accepts a skipped time and quietly shifts it; the round trip shows the shift.
    if in_utc.astimezone(tz).replace(tzinfo=None) != local:
        raise ValidationError(DST_GAP_MESSAGE, code="nonexistent_time")
    return in_utc


def when_in(moment: datetime, tz: ZoneInfo) -> str:
    """``moment`` as people read it in ``tz``, with the zone's abbreviation."""
    return format_date(moment.astimezone(tz), WHEN_FORMAT)


# --- Selectors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingRow:
    """A meeting with its end, for lists (the model stores the start and the duration)."""

    meeting: Meeting
    ends_at: datetime


def meeting_ends_at(meeting: Meeting) -> datetime:
    return meeting.starts_at + timedelta(minutes=meeting.duration_minutes)


def meetings_of_pairing(*, pairing: Pairing) -> tuple[list[MeetingRow], list[MeetingRow]]:
    """The pair's meetings, cancelled ones included: (upcoming soonest first, past latest first).

    One query. A meeting counts as past once it has ended."""
    now = timezone.now()
    upcoming: list[MeetingRow] = []
    past: list[MeetingRow] = []
    for meeting in pairing.meetings.select_related("created_by", "cancelled_by").order_by(
        "starts_at", "id"
    ):
        row = MeetingRow(meeting=meeting, ends_at=meeting_ends_at(meeting))
        (upcoming if row.ends_at > now else past).append(row)
    past.reverse()
    return upcoming, past


def meeting_get(*, pairing: Pairing, meeting_id: int) -> Meeting:
    """A meeting of this pair; 404 otherwise. Through the pair's related manager, so
    ``meeting.pairing`` is the pair already loaded (with both partners)."""
    try:
        return pairing.meetings.select_related("created_by", "cancelled_by").get(pk=meeting_id)
    except Meeting.DoesNotExist as exc:
        raise Http404("No such meeting") from exc


def meeting_schedule_problem(*, pairing: Pairing) -> str:
    """Why this pair cannot schedule meetings now, or "" when it can."""
    if pairing.status in SCHEDULABLE_STATUSES:
        return ""
    return (
        "Meetings can be scheduled only once the pairing is confirmed or active; this pairing "
        f"is {pairing.get_status_display().lower()}."
    )


def meeting_change_problem(*, meeting: Meeting) -> str:
    """Why the meeting can no longer be moved or cancelled, or "" when it can."""
    if meeting.cancelled_at is not None:
        return "This meeting was cancelled. Schedule a new one instead."
    if meeting.starts_at <= timezone.now():
        return "This meeting has already started, so it can no longer change."
    return ""


def calendar_feed_of(*, membership: Membership) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(membership=membership).first()


def calendar_feed_url(*, token: str) -> str:
    return absolute_url(reverse("calendar_feed", kwargs={"token": token}))


def _feed_meetings(membership: Membership) -> list[Meeting]:
    since = timezone.now() - timedelta(days=FEED_DAYS_BACK)
    return list(
        Meeting.objects.filter(
            Q(pairing__mentor__membership=membership) | Q(pairing__mentee__membership=membership),
            cancelled_at__isnull=True,
            starts_at__gte=since,
        )
        .select_related("pairing__program", "pairing__mentor", "pairing__mentee")
        .order_by("starts_at", "id")
    )


def calendar_feed_events_across_organizations(*, token: str) -> tuple[Membership, list[Meeting]]:
    """The feed owner and their meetings (60 days back and all ahead, cancelled ones left out).

    The token is the only credential and names no organisation, so the feed is looked up across
    organisations by the token's hash; the meetings are then read inside the feed's organisation
    only. An unknown or revoked token, a member who has left or a deactivated account is a 404.
    """
    if not token:
        raise Http404("No such calendar feed")
    with across_all_organizations():
        feed = (
            CalendarFeed.objects.select_related("membership__organization", "membership__user")
            .filter(token_hash=hash_token(token))
            .first()
        )
    if feed is None or not (feed.membership.is_active and feed.membership.user.is_active):
        raise Http404("No such calendar feed")
    membership = feed.membership
    if feed.organization_id != membership.organization_id:
        raise Http404("No such calendar feed")
    with tenant_scope(membership.organization):
        return membership, _feed_meetings(membership)


# --- Calendar files ------------------------------------------------------------------------------


def _organizer() -> tuple[str, str]:
    """The platform's sending address as the organiser: either partner may change a meeting,
    and clients accept updates only from the organiser they know, so it must not be one of
    them."""
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or "Reverse mentoring", email or "noreply@localhost"


def _email_of(participant: Participant) -> str:
    membership = participant.membership
    if membership is not None and membership.user_id:
        return membership.user.email
    return participant.email


def _meeting_page_url(meeting: Meeting) -> str:
    return reverse(
        "meeting_list",
        kwargs={
            "org_slug": meeting.pairing.program.organization.slug,
            "pairing_id": meeting.pairing_id,
        },
    )


def _summary(partner: Participant | None, pairing: Pairing) -> str:
    if partner is None:
        return f"Reverse mentoring: {pairing.mentor.full_name} and {pairing.mentee.full_name}"
    return f"Reverse mentoring with {partner.full_name}"


def _description(meeting: Meeting, url: str) -> str:
    pairing = meeting.pairing
    return (
        f"Reverse-mentoring meeting in {pairing.program.name}: {pairing.mentor.full_name} "
        f"(reverse mentor) and {pairing.mentee.full_name}.\n\nMeeting page: {url}"
    )


def meeting_ics_for(*, meeting: Meeting, method: Method | None = None) -> bytes:
    """The meeting's current calendar file: a REQUEST, or a CANCEL once it is cancelled."""
    if method is None:
        method = "CANCEL" if meeting.cancelled_at else "REQUEST"
    pairing = meeting.pairing
    organizer_name, organizer_email = _organizer()
    return meeting_ics(
        uid=meeting.uid,
        sequence=meeting.sequence,
        starts_at_utc=meeting.starts_at,
        duration_minutes=meeting.duration_minutes,
        summary=_summary(None, pairing),
        description=_description(meeting, absolute_url(_meeting_page_url(meeting))),
        location=meeting.location,
        organizer_email=organizer_email,
        organizer_name=organizer_name,
        attendee_emails=[_email_of(pairing.mentor), _email_of(pairing.mentee)],
        method=method,
    )


def calendar_feed_render(*, membership: Membership, meetings: list[Meeting]) -> bytes:
    """The member's feed document. Each event is named after the partner as the member sees it.
    Location is included (the feed is the member's own); no addresses are."""
    events = []
    for meeting in meetings:
        pairing = meeting.pairing
        partner = (
            pairing.mentee if pairing.mentor.membership_id == membership.pk else pairing.mentor
        )
        url = absolute_url(
            reverse(
                "meeting_list",
                kwargs={"org_slug": membership.organization.slug, "pairing_id": pairing.pk},
            )
        )
        events.append(
            FeedEvent(
                uid=meeting.uid,
                sequence=meeting.sequence,
                starts_at_utc=meeting.starts_at,
                duration_minutes=meeting.duration_minutes,
                summary=_summary(partner, pairing),
                description=_description(meeting, url),
                location=meeting.location,
            )
        )
    return feed_ics(events, name=f"Reverse mentoring · {membership.organization.name}")


# --- Services ------------------------------------------------------------------------------------


def _partners(pairing: Pairing) -> list[Participant]:
    return [pairing.mentor, pairing.mentee]


def _recipients(pairing: Pairing) -> list[tuple[Participant, User]]:
    """Each partner with an active account in the organisation, and that account."""
    found = []
    for participant in _partners(pairing):
        membership = participant.membership
        if membership is not None and membership.is_active:
            found.append((participant, membership.user))
    return found


def _require_partner(pairing: Pairing, actor: User) -> None:
    if not any(user.pk == actor.pk for _, user in _recipients(pairing)):
        raise ValidationError("Only the two partners of a pair can change its meetings.")


def _validate_slot(*, starts_at: datetime, duration_minutes: int, location: str) -> None:
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        raise ValueError("starts_at must be timezone-aware")
    if starts_at <= timezone.now():
        raise ValidationError("That time has already passed. Pick a time in the future.")
    if not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES:
        raise ValidationError(
            f"A meeting lasts between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES} minutes."
        )
    if len(location) > Meeting._meta.get_field("location").max_length:
        raise ValidationError("The location is too long.")


def _lock_changeable(meeting: Meeting) -> Meeting:
    """The meeting's row, locked for the change, if it can still change."""
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    problem = meeting_change_problem(meeting=locked)
    if problem:
        raise ValidationError(problem)
    return locked


def _announce(*, meeting: Meeting, actor: User, method: Method, verb: str) -> None:
    """Tell the partner in the inbox, and send both partners the calendar file after commit.

    The inbox message is marked as emailed: the invitation email (with the file) is its email,
    and the notification dispatcher must not send a second one.
    """
    pairing = meeting.pairing
    now = timezone.now()
    url = _meeting_page_url(meeting)
    for participant, user in _recipients(pairing):
        if user.pk == actor.pk:
            continue  # they just did it and saw the confirmation
        when = when_in(meeting.starts_at, zone_named(participant.timezone))
        Notification.objects.create(
            organization_id=meeting.organization_id,
            recipient=user,
            subject=f"{actor.display_name} {verb} a meeting: {when}"[:200],
            body=(
                "The calendar invitation is in your email."
                if method == "REQUEST"
                else "The calendar cancellation is in your email."
            ),
            url=url,
            emailed_at=now,
        )
    from pairings.meeting_tasks import send_meeting_invitation

    send_meeting_invitation.delay_on_commit(
        organization_id=meeting.organization_id,
        meeting_id=meeting.pk,
        sequence=meeting.sequence,
        method=method,
    )


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
        meeting = Meeting.objects.create(
            organization_id=pairing.organization_id,
            pairing=pairing,
            starts_at=starts_at.astimezone(UTC),
            duration_minutes=duration_minutes,
            location=location,
            uid=f"meeting-{uuid4()}@reverse-mentoring",
            sequence=0,
            created_by=actor,
        )
        _announce(meeting=meeting, actor=actor, method="REQUEST", verb="scheduled")
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
        meeting.save(
            update_fields=["starts_at", "duration_minutes", "location", "sequence", "updated_at"]
        )
        _announce(meeting=meeting, actor=actor, method="REQUEST", verb="moved")
    return meeting


def _side_of(pairing: Pairing, user: User) -> str:
    """The side of the partner who is ``user``, or "" for anyone else (an HR admin)."""
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
        meeting.save(
            update_fields=[
                "cancelled_at",
                "cancelled_by",
                "cancelled_by_side",
                "sequence",
                "updated_at",
            ]
        )
        activity.record_cancellation(meeting=meeting)
        _announce(meeting=meeting, actor=actor, method="CANCEL", verb="cancelled")
    return meeting


def _invitation_email(
    *, meeting: Meeting, participant: Participant, user: User, method: Method, ics: bytes
) -> EmailMessage:
    pairing = meeting.pairing
    partner = pairing.mentee if participant.pk == pairing.mentor_id else pairing.mentor
    when = when_in(meeting.starts_at, zone_named(participant.timezone))
    if method == "CANCEL":
        subject = f"Cancelled: meeting with {partner.full_name}, {when}"
        cancelled_by = meeting.cancelled_by.display_name if meeting.cancelled_by else "Someone"
        lead = f"{cancelled_by} cancelled your reverse-mentoring meeting with {partner.full_name}."
    elif meeting.sequence:
        subject = f"Updated invitation: meeting with {partner.full_name}, {when}"
        lead = f"Your reverse-mentoring meeting with {partner.full_name} has moved."
    else:
        subject = f"Invitation: meeting with {partner.full_name}, {when}"
        lead = f"A reverse-mentoring meeting with {partner.full_name} is scheduled."
    lines = [
        lead,
        "",
        f"When: {when} ({meeting.duration_minutes} minutes)",
        f"Where: {meeting.location or 'not set yet'}",
        "",
        "The attached calendar file updates your calendar.",
        f"Meeting page: {absolute_url(_meeting_page_url(meeting))}",
    ]
    message = EmailMessage(subject=subject[:200], body="\n".join(lines), to=[user.email])
    # Built by hand: Django's attach() would add a second charset parameter to the type, and
    # calendar clients look for ``method=`` on it to offer "accept" or "remove".
    part = SafeMIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(part)
    return message


def invitation_key(*, meeting: Meeting, sequence: int, method: Method, user: User) -> str:
    return f"ics:{meeting.pk}:{sequence}:{method}:{user.pk}"


def meeting_invitation_deliver(*, meeting_id: int, sequence: int, method: Method) -> int:
    """Email the calendar file of one change of a meeting to each partner, at most once each.
    Returns how many emails this call sent.

    A change that a later one has superseded (the sequence moved on) sends nothing: the later
    change's own task sends the current state.
    """
    meeting = (
        Meeting.objects.select_related(
            "cancelled_by",
            "pairing__program__organization",
            "pairing__mentor__membership__user",
            "pairing__mentee__membership__user",
        )
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None or meeting.sequence != sequence:
        return 0
    if (method == "CANCEL") != (meeting.cancelled_at is not None):
        return 0
    ics = meeting_ics_for(meeting=meeting, method=method)
    sent = 0
    for participant, user in _recipients(meeting.pairing):
        key = invitation_key(meeting=meeting, sequence=sequence, method=method, user=user)
        claim, _ = ReminderDelivery.objects.get_or_create(
            organization_id=meeting.organization_id, key=key, defaults={"recipient": user}
        )
        taken = ReminderDelivery.objects.filter(pk=claim.pk, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )
        if taken != 1:
            continue
        message = _invitation_email(
            meeting=meeting, participant=participant, user=user, method=method, ics=ics
        )
        try:
            message.send()
        except Exception:
            # Release the claim so the retry (the task retries on mail errors) sends it.
            ReminderDelivery.objects.filter(pk=claim.pk).update(sent_at=None)
            raise
        sent += 1
    return sent


def meeting_invitations_due_across_organizations() -> list[tuple[int, int, int, Method]]:
    """Changes of meetings whose invitations were not all sent: their wake-up was lost (a crash
    between commit and enqueue, a broker that dropped it). For the beat dispatcher, as
    ``(organization_id, meeting_id, sequence, method)``.

    Only recent changes (older than a minute, so the change's own task goes first) of meetings
    still ahead are looked at; the claims are matched by their exact keys, which the unique
    index on (organisation, key) answers.
    """
    now = timezone.now()
    expected: dict[tuple[int, int, int, Method], set[str]] = {}
    with across_all_organizations():
        changed = Meeting.objects.filter(
            updated_at__gte=now - INVITATION_CATCH_UP,
            updated_at__lt=now - INVITATION_GRACE,
            starts_at__gt=now,
        ).values_list(
            "organization_id",
            "pk",
            "sequence",
            "cancelled_at",
            "pairing__mentor__membership__user_id",
            "pairing__mentor__membership__removed_at",
            "pairing__mentee__membership__user_id",
            "pairing__mentee__membership__removed_at",
        )
        for org_id, pk, sequence, cancelled_at, *people in changed:
            method: Method = "CANCEL" if cancelled_at else "REQUEST"
            users = [
                user_id
                for user_id, removed_at in zip(people[::2], people[1::2], strict=True)
                if user_id and removed_at is None
            ]
            expected[(org_id, pk, sequence, method)] = {
                f"ics:{pk}:{sequence}:{method}:{user_id}" for user_id in users
            }
        if not expected:
            return []
        sent = set(
            ReminderDelivery.objects.filter(
                organization_id__in={org_id for org_id, *_ in expected},
                key__in=set().union(*expected.values()),
                sent_at__isnull=False,
            ).values_list("key", flat=True)
        )
    return [change for change, keys in expected.items() if keys - sent]


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
    deleted, _ = CalendarFeed.objects.filter(membership=membership).delete()
    return bool(deleted)


def meetings_cancel_upcoming(*, pairing: Pairing, actor: User) -> int:
    """When a pair ends, its future meetings are cancelled and both partners get the calendar
    cancellation (the actor, an HR admin, is recorded as who cancelled)."""
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
                updated_at=now,
            ):
                continue
            meeting.refresh_from_db()
            activity.record_cancellation(meeting=meeting)
        _announce(meeting=meeting, actor=actor, method="CANCEL", verb="cancelled")
        cancelled += 1
    return cancelled
