"""The pairings part of a participant's personal data (see ``programs.privacy``): their pairs,
meetings, the sessions they logged and the pair's history; registered from ``apps.ready``.

A running pair blocks erasure. What the person wrote in their own session logs, in the
pair's history and with the times they proposed (the message and the place) is blanked; the
logs' dates, minutes and topics stay, as do meetings and the proposals' times and answers,
because the weekly totals and the dashboards count them.

Their own calendar, read for free/busy (``BusyCalendar``): the person's export says whether one
is connected, its address masked as its page shows it, its state and last good reading; never
the busy times (read from a calendar they hold, refreshed every 15 minutes: the calendar
itself is the record) nor the full address (a secret, a download is easily passed around).
HR's export leaves it out: it is the person's own tool, not the program's record. The calendar
is the membership's (one per organisation, whatever the programs): the member's export reports
it once at the top (``member_export``, so a member in no program finds it too) and in each
participation. Erasing one participation deletes it only when the membership has no other live
participation: a running program of theirs still reads it (leaving the organisation deletes it).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from mentorship.models import Membership, User
from pairings.models import (
    BusyCalendar,
    MatchRun,
    Meeting,
    MeetingProposal,
    Pairing,
    PairingEvent,
    SessionLog,
)
from pairings.selectors import LIVE_STATUSES
from programs.models import Participant, Program
from programs.privacy import Audience, ErasureBlocker, Mentions, PersonalDataContributor, iso

SESSION_TEXTS = ["taught", "learned", "shared_notes", "private_notes"]
PROPOSAL_TEXTS = ["message", "location"]
# Participations still running: the membership's calendar serves them.
RUNNING = (Participant.Status.APPLIED, Participant.Status.APPROVED)


def _pairings_of(p: Participant) -> QuerySet[Pairing]:
    return Pairing.objects.filter(Q(mentor=p) | Q(mentee=p))


def participant_live_pairings(*, participant: Participant) -> list[Pairing]:
    """Running pairs (proposed, confirmed or active) of the participant: they end first, on
    the pair's page, so the partner is told and upcoming meetings are cancelled as usual."""
    return list(
        _pairings_of(participant)
        .filter(status__in=LIVE_STATUSES)
        .select_related("mentor", "mentee")
        .order_by("created_at", "id")
    )


def blockers(participant: Participant) -> list[ErasureBlocker]:
    org_slug = participant.organization.slug
    return [
        ErasureBlocker(
            reason=_("They are still in a running pair with %(partner)s: end the pair first.")
            % {"partner": (x.mentee if x.mentor_id == participant.pk else x.mentor).full_name},
            url=reverse("pair_detail", kwargs={"org_slug": org_slug, "pairing_id": x.pk}),
        )
        for x in participant_live_pairings(participant=participant)
    ]


# --- Export ---------------------------------------------------------------------------------------


def export(participant: Participant, user: User | None, audience: Audience) -> dict[str, Any]:
    data: dict[str, Any] = {"pairings": _pairings(participant, user, audience)}
    if audience == Audience.SELF:
        data["busy_calendar"] = _busy_calendar(participant.membership_id)
    return data


def member_export(membership: Membership) -> dict[str, Any]:
    """The member's own export, once for the membership: their calendar."""
    return {"busy_calendar": _busy_calendar(membership.pk)}


def _busy_calendar(membership_id: int | None) -> dict[str, Any] | None:
    calendar = (
        BusyCalendar.objects.filter(membership_id=membership_id).first()
        if membership_id is not None
        else None
    )
    if calendar is None:
        return None
    return {
        "address": calendar.url_hint,
        "state": calendar.state,
        "connected_at": iso(calendar.created_at),
        "last_good_reading_at": iso(calendar.fetched_at),
        "last_error": calendar.last_error,
    }


def _pairings(p: Participant, user: User | None, audience: Audience) -> list[dict[str, Any]]:
    """Their pairs: the partner's name only; events, meetings and session logs. A confidential
    exit request is shown only to its author (and HR admins).

    Session content stays with the pair: HR's export lists the sessions this person logged
    without any text (only whether each is held). The person's own export holds every log of
    their pairs, as the pair's session page shows them: the shared texts of both, and their own
    private notes, never the partner's."""
    logs = SessionLog.objects.prefetch_related("topics", "objectives__topic")
    proposals = MeetingProposal.objects.order_by("created_at", "id")
    if audience == Audience.HR:
        logs = logs.filter(author=p)
        proposals = proposals.filter(proposed_by=p)
    pairings = (
        _pairings_of(p)
        .select_related("mentor", "mentee")
        .prefetch_related(
            "events",
            "meetings",
            Prefetch("session_logs", queryset=logs.order_by("date", "id"), to_attr="logs"),
            Prefetch("proposals", queryset=proposals, to_attr="proposed_times"),
        )
        .order_by("created_at", "id")
    )
    rows = []
    for pairing in pairings:
        mine = pairing.mentor_id == p.pk
        rows.append(
            {
                "role": "reverse mentor (junior)" if mine else "reverse mentee (senior)",
                "partner": (pairing.mentee if mine else pairing.mentor).full_name,
                "status": pairing.status,
                "created_at": iso(pairing.created_at),
                "agreement_accepted_at": iso(
                    pairing.mentor_accepted_at if mine else pairing.mentee_accepted_at
                ),
                "last_met_at": iso(pairing.last_met_at),
                # Their own side's request only: the partner's is confidential.
                "exit_requested_at": iso(
                    pairing.mentor_exit_requested_at if mine else pairing.mentee_exit_requested_at
                ),
                "events": _events(pairing, user),
                "meetings": [
                    {
                        "starts_at": iso(m.starts_at),
                        "duration_minutes": m.duration_minutes,
                        "location": m.location,
                        "cancelled_at": iso(m.cancelled_at),
                        "cancelled_by_side": m.cancelled_by_side,
                    }
                    for m in pairing.meetings.all()
                ],
                "session_logs": [_session_log(log, p, audience) for log in pairing.logs],
                "proposed_times": [_proposal(x, p, audience) for x in pairing.proposed_times],
            }
        )
    return rows


def _session_log(log: SessionLog, p: Participant, audience: Audience) -> dict[str, Any]:
    """A session's facts; its texts for the pair only. The objectives it touched are its
    author's, so they come with the person's own logs only."""
    own = log.author_id == p.pk
    row: dict[str, Any] = {
        "date": iso(log.date),
        "minutes": log.minutes,
        "topics": sorted(t.name for t in log.topics.all()),
        "by_this_person": own,
        "created_at": iso(log.created_at),
    }
    if own:
        row["objectives"] = sorted(o.topic.name for o in log.objectives.all())
    if audience == Audience.HR:
        row.update({f"{name}_held": bool(getattr(log, name)) for name in SESSION_TEXTS})
        return row
    row.update(taught=log.taught, learned=log.learned, shared_notes=log.shared_notes)
    if own:
        row["private_notes"] = log.private_notes
        # The author's answer to "did you follow the session plan?", and which session of the
        # plan it was about: how the session went stays with the pair, so not in HR's export.
        row["guide_position"] = log.guide_position
        row["guide_followed"] = log.guide_followed
    return row


def _proposal(x: MeetingProposal, p: Participant, audience: Audience) -> dict[str, Any]:
    """Times proposed to meet, like session logs: HR's export lists the person's own, without
    the message or place they wrote to their partner (only whether each is held); their own
    export holds both partners' proposals to each other, as the pair's pages show them."""
    row: dict[str, Any] = {
        "by_this_person": x.proposed_by_id == p.pk,
        "times": list(x.slots),
        "duration_minutes": x.duration_minutes,
        "status": x.status,
        "accepted_time": x.slots[x.accepted_slot] if x.accepted_slot is not None else None,
        "created_at": iso(x.created_at),
        "answered_at": iso(x.answered_at),
    }
    if audience == Audience.HR:
        row.update({f"{name}_held": bool(getattr(x, name)) for name in PROPOSAL_TEXTS})
    else:
        row.update({name: getattr(x, name) for name in PROPOSAL_TEXTS})
    return row


def _events(pairing: Pairing, user: User | None) -> list[dict[str, Any]]:
    """The pair's history. Notes are shown for the person's own events only; a confidential
    event (an exit request) only when it is theirs."""
    rows = []
    for event in pairing.events.all():
        own = user is not None and event.actor_id == user.pk
        if event.confidential and not own:
            continue
        rows.append(
            {
                "status": event.status,
                "at": iso(event.created_at),
                "by_this_person": own,
                "note": event.note if own else "",
            }
        )
    return rows


# --- Erasure --------------------------------------------------------------------------------------


def _still_running_elsewhere(participant: Participant) -> bool:
    """Whether the membership has another participation still running (applied or approved,
    in a program not closed): its "Find a time" reads the calendar."""
    return (
        Participant.objects.filter(membership_id=participant.membership_id, status__in=RUNNING)
        .exclude(pk=participant.pk)
        .exclude(program__status=Program.Status.CLOSED)
        .exists()
    )


def erase(participant: Participant, user: User | None) -> None:
    """Blank what the person wrote (their logs, private notes included, their notes in the
    pair's history, the message and place of the times they proposed); keep the rows the
    figures count. Their own calendar's address and busy times are deleted, unless another
    participation of theirs still runs: it belongs to the membership, and that program's
    "Find a time" would read every busy hour of theirs as free (leaving the organisation
    deletes it)."""
    if participant.membership_id is not None and not _still_running_elsewhere(participant):
        BusyCalendar.objects.filter(membership_id=participant.membership_id).delete()
    SessionLog.objects.filter(author=participant).update(**dict.fromkeys(SESSION_TEXTS, ""))
    MeetingProposal.objects.filter(proposed_by=participant).update(
        **dict.fromkeys(PROPOSAL_TEXTS, "")
    )
    if user is not None:
        PairingEvent.objects.filter(pairing__in=_pairings_of(participant), actor=user).update(
            note=""
        )


def rewrite_mentions(participant: Participant, user: User | None, mentions: Mentions) -> None:
    """Replace their address and name where others' rows mention them: the partner's logs and
    the pair's history, meeting places, the partner's proposed times (message and place), and
    the program's matching proposals."""
    pairings = _pairings_of(participant)
    mentions.rewrite(SessionLog.objects.filter(pairing__in=pairings), SESSION_TEXTS)
    mentions.rewrite(MeetingProposal.objects.filter(pairing__in=pairings), PROPOSAL_TEXTS)
    mentions.rewrite(PairingEvent.objects.filter(pairing__in=pairings), ["note"])
    mentions.rewrite(Meeting.objects.filter(pairing__in=pairings), ["location"])
    mentions.rewrite_data(MatchRun.objects.filter(program=participant.program), "result")


CONTRIBUTOR = PersonalDataContributor(
    name="pairings",
    blockers=blockers,
    export=export,
    erase=erase,
    rewrite_mentions=rewrite_mentions,
    member_export=member_export,
)
