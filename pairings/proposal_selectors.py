"""Reads of "Find a time" and of proposed times (inside the organisation's scope, except the
signed link's check, which first finds the organisation its signature names).

Expiry is read-repaired: a proposal whose last time has started reads as expired everywhere,
and the reads that show proposals mark such rows expired (one UPDATE, idempotent) so lists and
counts agree without a periodic task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core import signing
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from mentorship.models import Membership, Organization, User
from mentorship.tenancy import tenant_scope
from pairings import slots
from pairings.busy import busy_for
from pairings.models import MeetingProposal, Pairing
from pairings.selectors import LEFT_STATUSES, meeting_schedule_problem, pairing_side_of
from pairings.timezones import when_in, zone_named
from programs.models import Participant

# The signed links in proposal emails. The salt keeps these signatures from being replayed as
# any other signed value of the project (and the reverse).
LINK_SALT = "pairings.proposal-link.v1"
SUGGESTIONS_SHOWN = 10
WINDOW = timedelta(days=slots.DEFAULT_DAYS)

Status = MeetingProposal.Status


def slot_starts(proposal: MeetingProposal) -> list[datetime]:
    """The proposal's times as aware UTC datetimes."""
    return [datetime.fromisoformat(value) for value in proposal.slots]


def proposal_recipient(proposal: MeetingProposal) -> Participant:
    """The partner the times were proposed to."""
    pairing = proposal.pairing
    return pairing.mentee if proposal.proposed_by_id == pairing.mentor_id else pairing.mentor


def recipient_user_id(proposal: MeetingProposal) -> int | None:
    """The account of the partner who may accept, if they have a current one."""
    membership = proposal_recipient(proposal).membership
    return membership.user_id if membership is not None and membership.is_active else None


def _attach(row: MeetingProposal, pairing: Pairing) -> MeetingProposal:
    """Point the row at the pair already loaded (with both partners): no query per access."""
    row.pairing = pairing
    row.proposed_by = pairing.mentor if row.proposed_by_id == pairing.mentor_id else pairing.mentee
    return row


def expire_due(*, pairing: Pairing) -> int:
    """Mark the pair's open proposals whose last time has started as expired, and those of a
    partner who has since left the program (withdrew, or was removed) as withdrawn: leaving
    takes back what they proposed (``programs`` cannot reach these rows when they leave)."""
    now = timezone.now()
    open_rows = MeetingProposal.objects.filter(pairing=pairing, status=Status.OPEN)
    withdrawn = open_rows.filter(proposed_by__status__in=LEFT_STATUSES).update(
        status=Status.WITHDRAWN, answered_at=now
    )
    return withdrawn + open_rows.filter(expires_at__lte=now).update(status=Status.EXPIRED)


def proposal_get(*, pairing: Pairing, proposal_id: int) -> MeetingProposal:
    """A proposal of this pair (404 otherwise), expired first if its time has passed."""
    expire_due(pairing=pairing)
    try:
        proposal = pairing.proposals.select_related("created_by", "meeting").get(pk=proposal_id)
    except MeetingProposal.DoesNotExist as exc:
        raise Http404("No such proposal") from exc
    return _attach(proposal, pairing)


def open_proposals_to(*, pairing: Pairing, membership: Membership) -> list[MeetingProposal]:
    """Open proposals of the pair that the member is asked to answer (newest first)."""
    side = pairing_side_of(pairing=pairing, membership=membership)
    if not side:
        return []
    me = getattr(pairing, side)
    rows = list(
        pairing.proposals.filter(status=Status.OPEN, expires_at__gt=timezone.now())
        .exclude(proposed_by_id=me.pk)
        .exclude(proposed_by__status__in=LEFT_STATUSES)  # withdrawn with them
    )
    return [_attach(row, pairing) for row in rows]


def open_proposal_from(*, pairing: Pairing, membership: Membership) -> MeetingProposal | None:
    """The member's own proposal of the pair still waiting for an answer, if any."""
    side = pairing_side_of(pairing=pairing, membership=membership)
    if not side:
        return None
    row = (
        pairing.proposals.filter(
            status=Status.OPEN,
            expires_at__gt=timezone.now(),
            proposed_by_id=getattr(pairing, side).pk,
        )
        .exclude(proposed_by__status__in=LEFT_STATUSES)  # withdrawn with them
        .order_by("-created_at", "-id")
        .first()
    )
    return _attach(row, pairing) if row is not None else None


# --- Find a time -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    starts_at: datetime
    mine: str  # in the viewer's zone
    theirs: str  # in the partner's zone

    @property
    def value(self) -> str:
        return self.starts_at.isoformat()


@dataclass(frozen=True)
class FindTime:
    me: Participant
    partner: Participant
    minutes: int
    suggestions: list[Suggestion] = field(default_factory=list)
    # Why there are none: "" (there are some), "my_availability", "partner_availability",
    # "my_calendar", "partner_calendar", "nothing_fits".
    reason: str = ""
    problem: str = ""  # why the pair cannot schedule at all (not confirmed or active)


def find_time_for(*, pairing: Pairing, membership: Membership) -> FindTime:
    """Up to ten suggested times for the viewer (a partner) and their partner.

    Two queries whatever the calendars' sizes (``busy_for``); the slot search is pure."""
    side = pairing_side_of(pairing=pairing, membership=membership)
    me: Participant = getattr(pairing, side)
    partner = pairing.mentee if side == "mentor" else pairing.mentor
    minutes = pairing.program.meeting_minutes
    problem = meeting_schedule_problem(pairing=pairing)
    if problem:
        return FindTime(me=me, partner=partner, minutes=minutes, problem=problem)
    if not slots.weekly_ranges(me.weekly_availability):
        return FindTime(me=me, partner=partner, minutes=minutes, reason="my_availability")
    if not slots.weekly_ranges(partner.weekly_availability):
        return FindTime(me=me, partner=partner, minutes=minutes, reason="partner_availability")
    now = timezone.now()
    busy = busy_for(participants=[me, partner], start=now, end=now + WINDOW)
    if busy[me.pk].unknown:
        return FindTime(me=me, partner=partner, minutes=minutes, reason="my_calendar")
    if busy[partner.pk].unknown:
        return FindTime(me=me, partner=partner, minutes=minutes, reason="partner_calendar")
    found = slots.suggest(
        first=slots.Person(me.weekly_availability, me.timezone, busy[me.pk].intervals),
        second=slots.Person(
            partner.weekly_availability, partner.timezone, busy[partner.pk].intervals
        ),
        minutes=minutes,
        now=now,
        limit=SUGGESTIONS_SHOWN,
    )
    if not found:
        return FindTime(me=me, partner=partner, minutes=minutes, reason="nothing_fits")
    mine, theirs = zone_named(me.timezone), zone_named(partner.timezone)
    return FindTime(
        me=me,
        partner=partner,
        minutes=minutes,
        suggestions=[Suggestion(at, when_in(at, mine), when_in(at, theirs)) for at in found],
    )


@dataclass(frozen=True)
class TimeRow:
    """One proposed time as a page shows it."""

    index: int
    starts_at: datetime
    recipient_when: str
    proposer_when: str
    passed: bool


def proposal_times(proposal: MeetingProposal) -> list[TimeRow]:
    """The proposal's times in the recipient's zone and the proposer's."""
    now = timezone.now()
    recipient = zone_named(proposal_recipient(proposal).timezone)
    proposer = zone_named(proposal.proposed_by.timezone)
    return [
        TimeRow(i, at, when_in(at, recipient), when_in(at, proposer), at <= now)
        for i, at in enumerate(slot_starts(proposal))
    ]


# --- The signed link from the email ----------------------------------------------------------


def link_token(*, proposal: MeetingProposal, slot_index: int, user_id: int) -> str:
    """The signed token of one time of a proposal, for its recipient. It is not stored: the
    proposal's status makes it single use, and the time's start ends its validity."""
    return signing.dumps(
        {"o": proposal.organization_id, "p": proposal.pk, "s": slot_index, "u": user_id},
        salt=LINK_SALT,
    )


@dataclass(frozen=True)
class LinkCheck:
    """What a signed link names, and why it cannot be used ("" when it can)."""

    problem: str
    organization: Organization | None = None
    proposal: MeetingProposal | None = None
    slot_index: int = 0
    recipient: User | None = None


# Marked here, translated where a check gives it (``gettext(BAD_LINK)``).
BAD_LINK = gettext_noop("This link is not valid. It may have been copied incompletely.")


def link_check(*, token: str) -> LinkCheck:
    """Verify a link's signature and what it names. A bad signature, an unknown organisation or
    proposal, or a recipient who is no longer the proposal's (or no longer a member) all read
    as a bad link; a used or expired one says so. Never raises."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
        org_id, proposal_id, index, user_id = (int(data[k]) for k in ("o", "p", "s", "u"))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return LinkCheck(gettext(BAD_LINK))
    organization = Organization.objects.filter(pk=org_id).first()
    if organization is None:
        return LinkCheck(gettext(BAD_LINK))
    with tenant_scope(organization):
        proposal = (
            MeetingProposal.objects.select_related(
                "pairing__program",
                "pairing__mentor__membership__user",
                "pairing__mentee__membership__user",
                "proposed_by",
                "meeting",
            )
            .filter(pk=proposal_id)
            .first()
        )
        if proposal is None or not 0 <= index < len(proposal.slots):
            return LinkCheck(gettext(BAD_LINK))
        if recipient_user_id(proposal) != user_id:
            return LinkCheck(gettext(BAD_LINK))
        recipient = proposal_recipient(proposal).membership.user
        if not recipient.is_active:
            return LinkCheck(gettext(BAD_LINK))
        expire_due(pairing=proposal.pairing)
        proposal.refresh_from_db(fields=["status", "accepted_slot", "meeting", "answered_at"])
        problem = answer_problem(proposal=proposal, slot_index=index)
    return LinkCheck(problem, organization, proposal, index, recipient)


def answer_problem(*, proposal: MeetingProposal, slot_index: int | None = None) -> str:
    """Why the proposal (or one of its times) cannot be accepted now, or ""."""
    now = timezone.now()
    if proposal.status == Status.OPEN and proposal.expires_at <= now:
        return _("These proposed times have all passed. Propose new ones.")
    if proposal.status == Status.ACCEPTED:
        return _("These times were already answered: one of them was accepted.")
    if proposal.status == Status.DECLINED:
        return _("These times were already answered: they were declined.")
    if proposal.status == Status.WITHDRAWN:
        return _("These times were withdrawn: newer times were proposed, or none are wanted now.")
    if proposal.status == Status.EXPIRED:
        return _("These proposed times have all passed. Propose new ones.")
    if slot_index is not None and slot_starts(proposal)[slot_index] <= now:
        return _("This time has already passed. Pick another one, or propose new times.")
    # The pair may have ended (or been paused) since the times were proposed.
    return meeting_schedule_problem(pairing=proposal.pairing)
