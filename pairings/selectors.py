"""Reads of the pairings app (inside the organisation's scope). Getters answer 404 for missing
rows and rows the viewer may not see alike."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from mentorship.models import Membership
from pairings.models import MatchRun, Pairing

LIVE_STATUSES = (Pairing.Status.PROPOSED, Pairing.Status.CONFIRMED, Pairing.Status.ACTIVE)


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


def match_run_get(*, program_id: int, run_id: int) -> MatchRun:
    try:
        return MatchRun.objects.get(program_id=program_id, pk=run_id)
    except MatchRun.DoesNotExist as exc:
        raise Http404("No such matching run") from exc
