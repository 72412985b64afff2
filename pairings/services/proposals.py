"""Writes of proposed times: propose up to three, accept one (the meeting is created), decline.

Every function runs inside the organisation's scope. Times arrive in UTC.

Accepting is a compare-and-set (open → accepted) in the same transaction as the meeting it
creates: two accepts at once (two tabs, the email link and the app) create one meeting; the
second is told the times were already answered. Expiry needs no task: the reads mark a proposal
expired once its last time has started (``pairings.proposal_selectors``), and answering checks
the time itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorship.i18n import recipient_language
from mentorship.models import Membership, User
from mentorship.services import notification_send
from mentorship.web import absolute_url, tenant_url
from pairings.busy import busy_for
from pairings.models import Meeting, MeetingProposal, Pairing
from pairings.proposal_selectors import (
    answer_problem,
    link_token,
    proposal_recipient,
    proposal_times,
    recipient_user_id,
    slot_starts,
)
from pairings.selectors import LEFT_STATUSES, meeting_schedule_problem, partners_with_accounts
from pairings.services.meetings import (
    MAX_DAYS_AHEAD,
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    booking_lock,
    duration_message,
    meeting_schedule,
)
from programs.models import Participant

MAX_SLOTS = 3
Status = MeetingProposal.Status


def _proposer(pairing: Pairing, actor: User) -> Participant:
    for participant, user in partners_with_accounts(pairing):
        if user.pk == actor.pk:
            return participant
    raise ValidationError(_("Only the two partners of a pair can propose times to meet."))


def _validate_slots(slots: list[datetime], minutes: int) -> list[datetime]:
    if any(at.tzinfo is None or at.utcoffset() is None for at in slots):
        raise ValueError("proposed times must be timezone-aware")
    if not slots:
        raise ValidationError(_("Pick at least one time."))
    if len(slots) > MAX_SLOTS:
        raise ValidationError(_("Propose at most %(most)s times.") % {"most": MAX_SLOTS})
    if not MIN_DURATION_MINUTES <= minutes <= MAX_DURATION_MINUTES:
        raise ValidationError(duration_message())
    try:
        ordered = sorted(at.astimezone(UTC) for at in slots)
    except OverflowError as exc:
        # A time at the calendar's edge (1 January of year 1, east of UTC) has no UTC instant.
        raise ValidationError(_("One of the times is not a valid time. Pick again.")) from exc
    now = timezone.now()
    if ordered[0] <= now:
        raise ValidationError(_("One of the times has already passed. Pick times in the future."))
    if ordered[-1] > now + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError(_("Pick times within the next five years."))
    for earlier, later in pairwise(ordered):
        if earlier == later:
            raise ValidationError(_("The same time is picked twice. Pick different times."))
        if later < earlier + timedelta(minutes=minutes):
            raise ValidationError(
                _(
                    "Two of the times overlap (a meeting lasts %(minutes)s minutes). "
                    "Pick times that do not overlap."
                )
                % {"minutes": minutes}
            )
    return ordered


def _one_line(text: str) -> str:
    """``text`` fit for a subject line: control characters (a newline in a name) would break
    the email's header, so each run of them becomes one space."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _quoted(message: str) -> list[str]:
    """The proposer's own words, each line marked as a quote, so nothing they write can pass
    for the lines we add (an "Accept this time:" link of theirs reads as their text)."""
    return [f"> {line}".rstrip() for line in message.splitlines()]


def _proposal_body(*, proposal: MeetingProposal, user_id: int) -> str:
    """The notification's text (also its email), in the active language (the recipient's):
    each time in the recipient's zone and the proposer's, each with its own one-click link."""
    proposer = proposal.proposed_by
    values = {
        "person": proposer.full_name,
        "minutes": proposal.duration_minutes,
        "location": proposal.location,
    }
    one = len(proposal.slots) == 1
    if proposal.location:
        lead = (
            _(
                "%(person)s proposes this time for your reverse-mentoring meeting "
                "(%(minutes)s minutes, %(location)s)."
            )
            if one
            else _(
                "%(person)s proposes these times for your reverse-mentoring meeting "
                "(%(minutes)s minutes, %(location)s)."
            )
        )
    else:
        lead = (
            _(
                "%(person)s proposes this time for your reverse-mentoring meeting "
                "(%(minutes)s minutes)."
            )
            if one
            else _(
                "%(person)s proposes these times for your reverse-mentoring meeting "
                "(%(minutes)s minutes)."
            )
        )
    lines = [lead % values]
    if proposal.message:
        wrote = (
            _("%(name)s wrote:") % {"name": proposer.first_name}
            if proposer.first_name
            else _("They wrote:")
        )
        lines += ["", wrote, *_quoted(proposal.message)]
    for row in proposal_times(proposal):
        token = link_token(proposal=proposal, slot_index=row.index, user_id=user_id)
        url = absolute_url(reverse("proposal_link", args=[token]))
        if proposer.first_name:
            time_line = _("%(number)s. %(when)s (for %(name)s: %(their_when)s)") % {
                "number": row.index + 1,
                "when": row.recipient_when,
                "name": proposer.first_name,
                "their_when": row.proposer_when,
            }
        else:
            time_line = _("%(number)s. %(when)s (for them: %(their_when)s)") % {
                "number": row.index + 1,
                "when": row.recipient_when,
                "their_when": row.proposer_when,
            }
        lines += ["", time_line, "   " + _("Accept this time: %(url)s") % {"url": url}]
    lines += [
        "",
        _(
            "One click accepts a time: the meeting is created and you both get the calendar "
            "invitation. To decline or propose other times, open the proposal:"
        ),
    ]
    return "\n".join(lines)


def proposal_url(proposal: MeetingProposal) -> str:
    return tenant_url(
        proposal.pairing.program.organization,
        "proposal_detail",
        pairing_id=proposal.pairing_id,
        proposal_id=proposal.pk,
    )


def proposal_create(
    *,
    pairing: Pairing,
    actor: User,
    slots: list[datetime],
    duration_minutes: int,
    location: str,
    message: str,
) -> MeetingProposal:
    """Propose one to three times to the partner; replaces the proposer's open proposal."""
    proposer = _proposer(pairing, actor)
    problem = meeting_schedule_problem(pairing=pairing)
    if problem:
        raise ValidationError(problem)
    ordered = _validate_slots(list(slots), duration_minutes)
    location, message = location.strip(), message.strip()
    if len(location) > MeetingProposal._meta.get_field("location").max_length:
        raise ValidationError(_("The location is too long."))
    if len(message) > MeetingProposal._meta.get_field("message").max_length:
        raise ValidationError(_("The message is too long."))
    proposer_is_mentor = proposer.pk == pairing.mentor_id
    recipient = pairing.mentee if proposer_is_mentor else pairing.mentor
    if (
        recipient.membership is None
        or not recipient.membership.is_active
        or not recipient.membership.user.is_active
    ):
        raise ValidationError(
            _(
                "%(name)s has no account yet, so they cannot answer. "
                "Schedule the meeting directly instead."
            )
            % {"name": recipient.full_name}
        )
    with transaction.atomic():
        # The pair's row serialises two proposals of the same partner at once (two tabs): the
        # second waits here, then withdraws the first, so one stays open.
        locked = Pairing.objects.select_for_update().get(pk=pairing.pk)
        problem = meeting_schedule_problem(pairing=locked)
        if problem:
            raise ValidationError(problem)
        MeetingProposal.objects.filter(
            pairing=pairing, proposed_by=proposer, status=Status.OPEN
        ).update(status=Status.WITHDRAWN, answered_at=timezone.now())
        proposal = MeetingProposal.objects.create(
            organization_id=pairing.organization_id,
            pairing=pairing,
            proposed_by=proposer,
            created_by=actor,
            slots=[at.isoformat() for at in ordered],
            duration_minutes=duration_minutes,
            location=location,
            message=message,
            expires_at=ordered[-1],
        )
        proposal.pairing = pairing
        user_id = recipient.membership.user_id
        # In the recipient's language, each time in their zone and the proposer's.
        with recipient_language(recipient.membership.user, pairing.organization):
            subject = _("%(name)s proposed times to meet") % {"name": _one_line(proposer.full_name)}
            body = _proposal_body(proposal=proposal, user_id=user_id)
        notification_send(
            organization=pairing.organization,
            recipient=recipient.membership.user,
            subject=subject[:200],
            body=body,
            url=proposal_url(proposal),
        )
    return proposal


def _busy_problem(*, proposal: MeetingProposal, starts_at: datetime) -> str:
    """Why this time is no longer free, or "": the early answer, before any lock is taken."""
    return _busy_now(proposal=proposal, starts_at=starts_at)


def _busy_now(*, proposal: MeetingProposal, starts_at: datetime) -> str:
    """Why this time is no longer free, or "". Reads both partners' busy time (their calendars
    and every meeting of theirs in the app) over the meeting's span."""
    pairing = proposal.pairing
    ends_at = starts_at + timedelta(minutes=proposal.duration_minutes)
    # The pair's own meetings first, for the clearer message (a meeting lasts at most
    # MAX_DURATION_MINUTES, so earlier starts cannot reach this time).
    for meeting in Meeting.objects.filter(
        pairing=pairing,
        cancelled_at__isnull=True,
        starts_at__lt=ends_at,
        starts_at__gt=starts_at - timedelta(minutes=MAX_DURATION_MINUTES),
    ):
        if meeting.starts_at + timedelta(minutes=meeting.duration_minutes) > starts_at:
            return _("You already have a meeting together at that time.")
    busy = busy_for(participants=[pairing.mentor, pairing.mentee], start=starts_at, end=ends_at)
    for participant in (pairing.mentor, pairing.mentee):
        if busy[participant.pk].intervals:
            return _(
                "That time is no longer free: %(name)s is busy then. "
                "Pick another time, or propose new ones."
            ) % {"name": participant.full_name}
    return ""


def _partners_problem(pairing: Pairing, *, fresh: bool = False) -> str:
    """Why the partners can no longer be booked together, or "": one of them has left the
    organisation (their meetings ahead were cancelled), their account was deactivated, or they
    left the program (withdrew, or HR removed them): times they proposed before leaving can no
    longer be accepted. ``fresh`` reads the participant, membership and account again (after
    ``booking_lock``)."""
    for participant in (pairing.mentor, pairing.mentee):
        if fresh:
            participant = Participant.objects.select_related("membership__user").get(
                pk=participant.pk
            )
        membership = participant.membership
        if membership is None or not membership.is_active or not membership.user.is_active:
            return _(
                "%(name)s is no longer a member of the organisation, "
                "so no meeting can be booked with them."
            ) % {"name": participant.full_name}
        if participant.status in LEFT_STATUSES:
            return _("%(name)s has left the program, so no meeting can be booked with them.") % {
                "name": participant.full_name
            }
    return ""


def proposal_accept(*, proposal: MeetingProposal, slot_index: int, actor: User) -> Meeting:
    """Accept one of the times (the recipient only): the meeting is created and both partners
    get the calendar invitation (``meeting_schedule``)."""
    if recipient_user_id(proposal) != actor.pk:
        raise ValidationError(_("Only the partner these times were proposed to can accept one."))
    if not 0 <= slot_index < len(proposal.slots):
        raise ValidationError(_("Choose one of the proposed times."))
    # The page (or the link) may be older than an answer given meanwhile: say so first, rather
    # than "that time is busy" because of the meeting that answer created.
    proposal.refresh_from_db(fields=["status", "accepted_slot", "answered_at", "meeting"])
    problem = answer_problem(proposal=proposal, slot_index=slot_index)
    if problem:
        raise ValidationError(problem)
    problem = _partners_problem(proposal.pairing)
    if problem:
        raise ValidationError(problem)
    starts_at = slot_starts(proposal)[slot_index]
    problem = _busy_problem(proposal=proposal, starts_at=starts_at)
    if problem:
        raise ValidationError(problem)
    now = timezone.now()
    with transaction.atomic():
        # Everything above may be stale by now: another accept (of this pair or of another
        # pair of either partner) or HR ending the pair or removing a partner. Both partners'
        # membership rows and the pair's row are locked (the same locks ``meeting_schedule``
        # takes, so every booking of either partner waits for this one), then read again.
        locked = booking_lock(pairing=proposal.pairing)
        proposal.pairing.status = locked.status
        problem = meeting_schedule_problem(pairing=locked) or _partners_problem(
            proposal.pairing, fresh=True
        )
        if problem:
            raise ValidationError(problem)
        # The claim: the one accept whose update finds the proposal still open goes on. On
        # PostgreSQL a concurrent accept waits for this row and then finds it taken.
        taken = MeetingProposal.objects.filter(
            pk=proposal.pk, status=Status.OPEN, expires_at__gt=now
        ).update(status=Status.ACCEPTED, accepted_slot=slot_index, answered_at=now)
        if taken != 1:
            proposal.refresh_from_db(fields=["status", "accepted_slot", "answered_at"])
            raise ValidationError(
                answer_problem(proposal=proposal) or _("These times were already answered.")
            )
        # Checked again under the locks (after the claim, so a second accept of this same
        # proposal hears "already answered" rather than "busy"): a booking of either partner
        # that committed since the first check is seen now. Raising undoes the claim.
        problem = _busy_now(proposal=proposal, starts_at=starts_at)
        if problem:
            raise ValidationError(problem)
        meeting = meeting_schedule(
            pairing=proposal.pairing,
            starts_at=starts_at,
            duration_minutes=proposal.duration_minutes,
            location=proposal.location,
            actor=actor,
        )
        MeetingProposal.objects.filter(pk=proposal.pk).update(meeting=meeting)
    proposal.status = Status.ACCEPTED
    proposal.accepted_slot = slot_index
    proposal.answered_at = now
    proposal.meeting = meeting
    return meeting


def proposal_decline(*, proposal: MeetingProposal, actor: User, note: str) -> MeetingProposal:
    """Decline all the times (the recipient only); the proposer is told, with the note."""
    if recipient_user_id(proposal) != actor.pk:
        raise ValidationError(_("Only the partner these times were proposed to can decline them."))
    problem = answer_problem(proposal=proposal)
    if problem:
        raise ValidationError(problem)
    note = note.strip()[:500]
    now = timezone.now()
    with transaction.atomic():
        if not MeetingProposal.objects.filter(pk=proposal.pk, status=Status.OPEN).update(
            status=Status.DECLINED, answered_at=now
        ):
            proposal.refresh_from_db(fields=["status", "accepted_slot", "answered_at"])
            raise ValidationError(answer_problem(proposal=proposal) or _("Already answered."))
        proposal.status, proposal.answered_at = Status.DECLINED, now
        proposer = proposal.proposed_by
        if proposer.membership is not None and proposer.membership.is_active:
            recipient = proposal_recipient(proposal)
            pairing = proposal.pairing
            # In the proposer's language.
            with recipient_language(proposer.membership.user, pairing.organization):
                subject = _("%(name)s declined the times you proposed") % {
                    "name": _one_line(recipient.full_name)
                }
                wrote = (
                    _("%(name)s wrote:") % {"name": recipient.first_name}
                    if recipient.first_name
                    else _("They wrote:")
                )
                body = ("\n".join([wrote, *_quoted(note), "", ""]) if note else "") + _(
                    "Find other times that suit you both:"
                )
            notification_send(
                organization=pairing.organization,
                recipient=proposer.membership.user,
                subject=subject[:200],
                body=body,
                url=tenant_url(pairing.program.organization, "find_time", pairing_id=pairing.pk),
            )
    return proposal


def proposal_withdraw(*, proposal: MeetingProposal, actor: User) -> MeetingProposal:
    """The proposer takes their open times back (nothing is sent)."""
    membership = proposal.proposed_by.membership
    if membership is None or membership.user_id != actor.pk:
        raise ValidationError(_("Only the partner who proposed these times can withdraw them."))
    problem = answer_problem(proposal=proposal)
    if problem:
        raise ValidationError(problem)
    now = timezone.now()
    if not MeetingProposal.objects.filter(pk=proposal.pk, status=Status.OPEN).update(
        status=Status.WITHDRAWN, answered_at=now
    ):
        proposal.refresh_from_db(fields=["status", "accepted_slot", "answered_at"])
        raise ValidationError(answer_problem(proposal=proposal) or _("Already answered."))
    proposal.status, proposal.answered_at = Status.WITHDRAWN, now
    return proposal


def proposals_withdraw_of_member(*, membership: Membership) -> int:
    """The open proposals made by a member who leaves are withdrawn (nothing is sent: their
    partner is told of the cancelled meetings). Returns how many."""
    return MeetingProposal.objects.filter(
        proposed_by__membership=membership, status=Status.OPEN
    ).update(status=Status.WITHDRAWN, answered_at=timezone.now())
