"""Reads of the pairings app (inside the organisation's scope). Getters answer 404 for missing
rows and rows the viewer may not see alike.

Exception: :func:`calendar_feed_events_across_organizations` must first find which organisation
a feed token belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorship.models import Membership, User, hash_token
from mentorship.tenancy import across_all_organizations, tenant_scope
from pairings.models import CalendarFeed, MatchRun, Meeting, Pairing, PairingEvent, SessionLog
from pairings.timezones import zone_named
from programs.models import LearningObjective, Participant, Program, Topic

LIVE_STATUSES = (Pairing.Status.PROPOSED, Pairing.Status.CONFIRMED, Pairing.Status.ACTIVE)
# Each partner's confidential exit request, by their side of the pair.
EXIT_FIELDS = {"mentor": "mentor_exit_requested_at", "mentee": "mentee_exit_requested_at"}
EXIT_NOTE = "Exit requested."
# A pair can schedule meetings (and log sessions) in these statuses.
SCHEDULABLE_STATUSES = (Pairing.Status.CONFIRMED, Pairing.Status.ACTIVE)
LEFT_STATUSES = (Participant.Status.WITHDRAWN, Participant.Status.REMOVED)
FEED_DAYS_BACK = 60

# --- Pairs ---------------------------------------------------------------------------------------


def active_pairs() -> QuerySet[Pairing]:
    """Pairs in the "active" status (registered with ``programs.tallies``: their partners are
    the dashboards' people "in an active pair")."""
    return Pairing.objects.filter(status=Pairing.Status.ACTIVE)


def pairings_of_member(*, membership: Membership) -> QuerySet[Pairing]:
    """The pairings the member takes part in, on either side."""
    return Pairing.objects.filter(
        Q(mentor__membership=membership) | Q(mentee__membership=membership)
    ).select_related("program", "mentor", "mentee")


def live_pairings_of_member(*, membership: Membership) -> QuerySet[Pairing]:
    """The member's running pairs (proposed, confirmed or active)."""
    return pairings_of_member(membership=membership).filter(status__in=LIVE_STATUSES)


def pairing_get_for_member(*, membership: Membership, pairing_id: int) -> Pairing:
    """A pairing the member is part of (HR admins: any of the organisation)."""
    qs = (
        Pairing.objects.all()
        if membership.is_hr_admin
        else pairings_of_member(membership=membership)
    )
    try:
        return qs.select_related(
            "program", "mentor__membership__user", "mentee__membership__user"
        ).get(pk=pairing_id)
    except Pairing.DoesNotExist as exc:
        raise Http404("No such pairing") from exc


def pairing_side_of(*, pairing: Pairing, membership: Membership) -> str:
    """ "mentor", "mentee", or "" when the member is not in the pair (an HR admin looking)."""
    if pairing.mentor.membership_id == membership.pk:
        return "mentor"
    if pairing.mentee.membership_id == membership.pk:
        return "mentee"
    return ""


def partners_with_accounts(pairing: Pairing) -> list[tuple[Participant, User]]:
    """Each partner with an active account in the organisation, and that account."""
    found = []
    for participant in (pairing.mentor, pairing.mentee):
        membership = participant.membership
        if membership is not None and membership.is_active:
            found.append((participant, membership.user))
    return found


def pairing_events_for(*, pairing: Pairing, membership: Membership) -> list[PairingEvent]:
    """The pair's history as the member may see it. An exit request is confidential: only HR
    admins and the partner who asked see it. A partner who is also an HR admin sees their own
    pair as a partner, never as HR."""
    events = list(pairing.events.select_related("actor"))
    side = pairing_side_of(pairing=pairing, membership=membership)
    if side or not membership.is_hr_admin:
        events = [e for e in events if not e.confidential or e.actor_id == membership.user_id]
    return events


@dataclass(frozen=True)
class ExitRequest:
    """A partner's confidential request to end the pair."""

    side: str  # "mentor" or "mentee"
    participant: Participant
    requested_at: datetime
    note: str


def pairing_exit_requests_for(*, pairing: Pairing, membership: Membership) -> list[ExitRequest]:
    """The exit requests the member may see, oldest first: HR admins see both partners'; a
    partner (HR admin or not) sees only their own, never the other's; anyone else none. One
    query, for the notes, and only when there is a request to show."""
    side = pairing_side_of(pairing=pairing, membership=membership)
    # A partner who is also an HR admin sees their own pair as a partner, never as HR.
    sides = [side] if side else list(EXIT_FIELDS) if membership.is_hr_admin else []
    asked = [(s, getattr(pairing, EXIT_FIELDS[s])) for s in sides]
    asked = [(s, at) for s, at in asked if at is not None]
    if not asked:
        return []
    # The note is kept on the request's confidential event (see services.exits).
    notes: dict[int | None, str] = {}
    for actor_id, note in PairingEvent.objects.filter(
        pairing=pairing, confidential=True, note__startswith=EXIT_NOTE
    ).values_list("actor_id", "note"):
        notes.setdefault(actor_id, note.removeprefix(EXIT_NOTE).strip())
    rows = []
    for s, at in sorted(asked, key=lambda row: row[1]):
        participant = pairing.mentor if s == "mentor" else pairing.mentee
        user_id = participant.membership.user_id if participant.membership else None
        rows.append(ExitRequest(s, participant, at, notes.get(user_id, "") if user_id else ""))
    return rows


# --- Matching ------------------------------------------------------------------------------------


def match_run_latest(*, program: Program) -> MatchRun | None:
    """The program's newest proposal, the one HR edits and publishes."""
    return program.match_runs.order_by("-created_at", "-id").first()


def matching_people(*, program: Program) -> list[Participant]:
    """The program's approved participants, for choosing a pair by hand."""
    return list(
        program.participants.filter(status=Participant.Status.APPROVED).only(
            # program_id too: the related manager sets it on each row, deferring it costs a
            # query per participant.
            "pk",
            "program_id",
            "first_name",
            "last_name",
            "email",
            "side",
        )
    )


def program_has_pairings(*, program: Program) -> bool:
    return program.pairings.exists()


def match_run_get(*, program_id: int, run_id: int) -> MatchRun:
    try:
        return MatchRun.objects.get(program_id=program_id, pk=run_id)
    except MatchRun.DoesNotExist as exc:
        raise Http404("No such matching run") from exc


# --- Session logs --------------------------------------------------------------------------------


def session_logs_of_pairing(*, pairing: Pairing) -> QuerySet[SessionLog]:
    return pairing.session_logs.select_related("author").prefetch_related("topics")


def objectives_of(*, participant: Participant) -> list[LearningObjective]:
    """The participant's learning objectives, with their topics."""
    return list(participant.objectives.select_related("topic"))


# --- Meetings and calendar feeds -----------------------------------------------------------------


def viewer_timezone(*, pairing: Pairing, membership: Membership) -> ZoneInfo:
    """The timezone the member sees this pair's meetings in: their side's, else UTC."""
    side = pairing_side_of(pairing=pairing, membership=membership)
    if not side:
        return ZoneInfo("UTC")
    participant: Participant = getattr(pairing, side)
    return zone_named(participant.timezone)


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
    if pairing.status not in SCHEDULABLE_STATUSES:
        return _(
            "Meetings can be scheduled only once the pairing is confirmed or active; this "
            "pairing is %(status)s."
        ) % {"status": pairing.get_status_display().lower()}
    # A partner who left the program (withdrew, or was removed) is no longer met in it.
    if gone := [p for p in (pairing.mentor, pairing.mentee) if p.status in LEFT_STATUSES]:
        return _("%(name)s has left the program, so no meeting can be booked with them.") % {
            "name": gone[0].full_name
        }
    return ""


def meeting_change_problem(*, meeting: Meeting) -> str:
    """Why the meeting can no longer be moved or cancelled, or "" when it can."""
    if meeting.cancelled_at is not None:
        return _("This meeting was cancelled. Schedule a new one instead.")
    if meeting.starts_at <= timezone.now():
        return _("This meeting has already started, so it can no longer change.")
    return ""


def calendar_feed_of(*, membership: Membership) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(membership=membership).first()


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


# --- The API -------------------------------------------------------------------------------------


def pairs_for_api() -> QuerySet[Pairing]:
    """Every pair of the organisation with its status history, as the API shows them.

    The history leaves out confidential events (a partner's exit request: even its date would
    tell) and never reads an event's note; the pair's own exit-request fields are not read."""
    history = (
        PairingEvent.objects.filter(confidential=False)
        .only("id", "organization_id", "pairing_id", "status", "created_at")
        .order_by("created_at", "id")
    )
    return (
        Pairing.objects.select_related("program")
        .only(
            "id",
            "organization_id",
            "program_id",
            "program__id",
            "program__name",
            "mentor_id",
            "mentee_id",
            "status",
            "manual",
            "score",
            "created_at",
            "updated_at",
            "last_met_at",
        )
        .prefetch_related(Prefetch("events", queryset=history, to_attr="public_history"))
    )


def meetings_for_api() -> QuerySet[Meeting]:
    """Every meeting of the organisation, as the API shows them (no location: it may be a
    video link that lets anyone in)."""
    return Meeting.objects.only(
        "id",
        "organization_id",
        "pairing_id",
        "starts_at",
        "duration_minutes",
        "sequence",
        "cancelled_at",
        "cancelled_by_side",
        "created_at",
        "updated_at",
    )


def session_logs_for_api() -> QuerySet[SessionLog]:
    """Every session log of the organisation with its topics' ids: the date, the minutes and
    the topics only. The notes and what each side taught or learned are not even read."""
    return SessionLog.objects.only(
        "id", "organization_id", "pairing_id", "author_id", "meeting_id", "date", "minutes"
    ).prefetch_related(Prefetch("topics", queryset=Topic.objects.only("id").order_by("id")))
