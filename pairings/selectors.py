"""Reads of the pairings app (inside the organisation's scope). Getters answer 404 for missing
rows and rows the viewer may not see alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from mentorship.models import Membership
from pairings.models import MatchRun, Pairing, PairingEvent
from programs.models import Participant

LIVE_STATUSES = (Pairing.Status.PROPOSED, Pairing.Status.CONFIRMED, Pairing.Status.ACTIVE)
# Each partner's confidential exit request, by their side of the pair.
EXIT_FIELDS = {"mentor": "mentor_exit_requested_at", "mentee": "mentee_exit_requested_at"}
EXIT_NOTE = "Exit requested."


def pairings_of_member(*, membership: Membership) -> QuerySet[Pairing]:
    """The pairings the member takes part in, on either side."""
    return Pairing.objects.filter(
        Q(mentor__membership=membership) | Q(mentee__membership=membership)
    ).select_related("program", "mentor", "mentee")


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
    # The note is kept on the request's confidential event (see services.pairing_request_exit).
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


def match_run_get(*, program_id: int, run_id: int) -> MatchRun:
    try:
        return MatchRun.objects.get(program_id=program_id, pk=run_id)
    except MatchRun.DoesNotExist as exc:
        raise Http404("No such matching run") from exc
