"""What the organisation home page shows each role: reads only.

A participant sees their pairs, next meeting, objectives, pending surveys and training to do; an
HR admin sees what needs attention. Each function runs a fixed number of queries (aggregates,
annotations and ``select_related``, never a query per row), so the home page costs the same
whatever the size of the organisation (pinned in ``tests/mentorship/test_home_pages.py``).
Everything runs inside the organisation's scope set by the tenancy middleware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import Concern, FeedbackCycle, SurveyInvitation
from feedback.selectors import closes_at
from mentorship.frame.pair_figures import at_risk, at_risk_reasons
from mentorship.models import Membership
from pairings.models import Meeting, Pairing
from pairings.selectors import LIVE_STATUSES, SCHEDULABLE_STATUSES, pairings_of_member
from pairings.timezones import when_in, zone_named
from programs.models import (
    LearningObjective,
    Participant,
    Program,
    Side,
    TrainingCompletion,
    TrainingModule,
)
from programs.selectors import ACTIVE_PARTICIPANT_STATUSES

CLOSING_WITHIN = timedelta(days=7)
AT_RISK_LISTED = 10

# --- Participant home ----------------------------------------------------------------------------


@dataclass
class PairRow:
    """One of the viewer's live pairs, seen from their side."""

    pairing: Pairing
    me: Participant
    partner: Participant
    next_step: str
    next_meeting_id: int | None
    next_meeting_at: datetime | None

    @property
    def can_log(self) -> bool:
        # The statuses in which pairings.services.session_logs.session_log_create accepts a log
        # (and meetings can be scheduled): offering the form earlier would only lead to an error.
        return self.pairing.status in SCHEDULABLE_STATUSES

    @property
    def next_meeting_when(self) -> str:
        """The next meeting as the viewer reads it: in their own timezone, with its name."""
        if self.next_meeting_at is None:
            return ""
        return when_in(self.next_meeting_at, zone_named(self.me.timezone))


@dataclass
class ProgramCard:
    """The viewer's place in one program and what goes with it."""

    participant: Participant
    pairs: list[PairRow] = field(default_factory=list)
    objectives: list[LearningObjective] = field(default_factory=list)
    training_to_do: list[TrainingModule] = field(default_factory=list)

    @property
    def program(self) -> Program:
        return self.participant.program

    @property
    def applied(self) -> bool:
        return self.participant.status == Participant.Status.APPLIED

    @property
    def closed(self) -> bool:
        return self.program.status == Program.Status.CLOSED

    @property
    def waiting(self) -> str:
        """What happens next when the viewer has no live pair in this program."""
        if self.closed:
            return _("This program has closed. Give your objectives their final self-rating.")
        if self.applied:
            return _(
                "Your application is waiting for an HR admin's decision. You will get a "
                "notification when they decide."
            )
        if self.program.training_required and not self.participant.training_done:
            return _(
                "You are not paired yet: complete your required training first, because "
                "untrained participants are not matched."
            )
        return _(
            "You are not paired yet: HR admins publish pairs after matching. You will get a "
            "notification when a partner is proposed."
        )


@dataclass
class PendingSurvey:
    invitation: SurveyInvitation
    closes_at: datetime


@dataclass
class ParticipantHome:
    programs: list[ProgramCard]
    surveys: list[PendingSurvey]

    @property
    def pairs(self) -> list[PairRow]:
        return [row for card in self.programs for row in card.pairs]

    @property
    def loggable(self) -> list[PairRow]:
        return [row for row in self.pairs if row.can_log]

    @property
    def next_meeting(self) -> PairRow | None:
        """The pair whose next meeting comes first, across programs."""
        rows = [row for row in self.pairs if row.next_meeting_at is not None]
        return min(rows, key=lambda row: row.next_meeting_at) if rows else None


def _pair_next_step(pairing: Pairing, side: str, partner: Participant) -> str:
    """The step the pair waits for, in the viewer's words; "" once the pair is active."""
    i_accepted = pairing.mentor_accepted_at if side == "mentor" else pairing.mentee_accepted_at
    if pairing.status == Pairing.Status.PROPOSED:
        if side == "mentee":
            return _("Confirm the pairing on the pair page.")
        if i_accepted:
            return _("Waiting for %(name)s to confirm the pairing.") % {"name": partner.full_name}
        return _(
            "Waiting for %(name)s to confirm. Meanwhile, read and accept the "
            "agreement on the pair page."
        ) % {"name": partner.full_name}
    if pairing.status == Pairing.Status.CONFIRMED:
        if not i_accepted:
            return _("Read and accept the agreement on the pair page to start.")
        return _("Waiting for %(name)s to accept the agreement.") % {"name": partner.full_name}
    return ""


def participant_home(*, membership: Membership, now: datetime | None = None) -> ParticipantHome:
    """The viewer's programs (applied or approved, not archived) with their pairs, next meetings,
    objectives and required training not done yet, and their open survey invitations.

    Five queries: participations, pairs (next meeting as a subquery), objectives, training to
    do, surveys."""
    now = now or timezone.now()
    participations = list(
        Participant.objects.filter(
            membership=membership,
            status__in=ACTIVE_PARTICIPANT_STATUSES,
            program__archived_at__isnull=True,
        )
        .select_related("program")
        .order_by("program__name", "pk")
    )
    cards = {p.pk: ProgramCard(participant=p) for p in participations}
    mine_ids = list(cards)
    by_program = {card.program.pk: card for card in cards.values()}

    # "Next" is the first meeting not yet started: one under way is no longer ahead of anyone.
    upcoming = Meeting.objects.filter(
        pairing=OuterRef("pk"), cancelled_at__isnull=True, starts_at__gte=now
    ).order_by("starts_at", "pk")
    pairs = (
        pairings_of_member(membership=membership)
        .filter(status__in=LIVE_STATUSES)
        .annotate(
            next_meeting_id=Subquery(upcoming.values("pk")[:1]),
            next_meeting_at=Subquery(upcoming.values("starts_at")[:1]),
        )
        .order_by("created_at", "pk")
    )
    for pairing in pairs:
        side = "mentor" if pairing.mentor.membership_id == membership.pk else "mentee"
        me, partner = (
            (pairing.mentor, pairing.mentee)
            if side == "mentor"
            else (pairing.mentee, pairing.mentor)
        )
        card = cards.get(me.pk)
        if card is None:  # a pair of a participation left out above (an archived program)
            continue
        card.pairs.append(
            PairRow(
                pairing=pairing,
                me=me,
                partner=partner,
                next_step=_pair_next_step(pairing, side, partner),
                next_meeting_id=pairing.next_meeting_id,
                next_meeting_at=pairing.next_meeting_at,
            )
        )

    for objective in LearningObjective.objects.filter(participant_id__in=mine_ids).select_related(
        "topic"
    ):
        cards[objective.participant_id].objectives.append(objective)

    # Required modules of the viewer's side, per program, that they have not completed. The side
    # comes from their participation in the module's program, hence the correlated subqueries.
    mine = Participant.objects.filter(pk__in=mine_ids, program=OuterRef("program"))
    to_do = (
        TrainingModule.objects.filter(program_id__in=list(by_program))
        .exclude(program__status=Program.Status.CLOSED)
        .annotate(
            junior_here=Exists(mine.filter(side=Side.JUNIOR)),
            senior_here=Exists(mine.filter(side=Side.SENIOR)),
            done=Exists(
                TrainingCompletion.objects.filter(
                    module=OuterRef("pk"), participant_id__in=mine_ids
                )
            ),
        )
        .filter(
            Q(required_for_juniors=True, junior_here=True)
            | Q(required_for_seniors=True, senior_here=True),
            done=False,
        )
        .order_by("position", "pk")
    )
    for module in to_do:
        by_program[module.program_id].training_to_do.append(module)

    invitations = (
        SurveyInvitation.objects.filter(
            participant_id__in=mine_ids, answered=False, cycle__status=FeedbackCycle.Status.OPEN
        )
        .select_related("cycle__program")
        .order_by("cycle__opened_at", "pk")
    )
    surveys = [PendingSurvey(invitation=i, closes_at=closes_at(i.cycle)) for i in invitations]
    surveys.sort(key=lambda s: s.closes_at)
    return ParticipantHome(programs=list(cards.values()), surveys=surveys)


# --- HR admin home -------------------------------------------------------------------------------


@dataclass
class AtRiskPair:
    pairing: Pairing
    reasons: list[str]


@dataclass
class ClosingCycle:
    cycle: FeedbackCycle
    closes_at: datetime


@dataclass
class Attention:
    """What needs an HR admin's attention now, across the organisation's live programs."""

    applications: list[Program]  # each annotated with n_applied
    unmatched: list[Program]  # each annotated with n_unmatched
    at_risk_count: int
    at_risk: list[AtRiskPair]
    closing: list[ClosingCycle]
    open_concerns: int
    inactivity_days: int

    @property
    def nothing(self) -> bool:
        return not (
            self.applications
            or self.unmatched
            or self.at_risk_count
            or self.closing
            or self.open_concerns
        )


def _programs_needing_people_work() -> list[Program]:
    """Live programs with applications to decide or approved people without a pair: one query.

    Unmatched people count only where matching can run (matching, or active to re-pair, as
    ``pairings.services`` allows): before that, nobody is matched and nothing is wrong."""
    return list(
        Program.objects.filter(archived_at__isnull=True)
        .exclude(status=Program.Status.CLOSED)
        .annotate(
            n_applied=Count(
                "participants", filter=Q(participants__status=Participant.Status.APPLIED)
            ),
            n_unmatched=Count(
                "participants",
                filter=Q(
                    participants__status=Participant.Status.APPROVED,
                    participants__matched=False,
                    status__in=(Program.Status.MATCHING, Program.Status.ACTIVE),
                ),
            ),
        )
        .filter(Q(n_applied__gt=0) | Q(n_unmatched__gt=0))
        .order_by("name", "pk")
    )


def _pairs_at_risk(now: datetime) -> tuple[int, list[AtRiskPair]]:
    """Active pairs at risk (the dashboards' rule): a count and the first few, quietest first.
    Two queries."""
    risky = at_risk(
        Pairing.objects.filter(status=Pairing.Status.ACTIVE, program__archived_at__isnull=True),
        now,
    )
    listed = [
        AtRiskPair(pairing=pairing, reasons=at_risk_reasons(pairing, now))
        for pairing in risky.select_related("program", "mentor", "mentee").order_by(
            F("last_met_at").asc(nulls_first=True), "pk"
        )[:AT_RISK_LISTED]
    ]
    return risky.count(), listed


def _cycles_closing(now: datetime) -> list[ClosingCycle]:
    """Open surveys that close within a week, soonest first. One query.

    The closing moment is computed by ``feedback.selectors.closes_at``, the function the
    dispatcher closes cycles with, so the date shown is the date it happens. Only open cycles
    are read (a handful per program). On-demand surveys (offered after a session log, a week
    each) are left out: HR did not schedule them and nothing is to be done about them."""
    horizon = now + CLOSING_WITHIN
    cycles = FeedbackCycle.objects.filter(
        status=FeedbackCycle.Status.OPEN, on_demand=False, program__archived_at__isnull=True
    ).select_related("program")
    closing = [ClosingCycle(cycle=c, closes_at=closes_at(c)) for c in cycles]
    return sorted(
        (c for c in closing if c.closes_at <= horizon), key=lambda c: (c.closes_at, c.cycle.pk)
    )


def hr_attention(*, now: datetime | None = None) -> Attention:
    """Everything the HR home lists under "What needs attention". Five queries."""
    now = now or timezone.now()
    programs = _programs_needing_people_work()
    at_risk_count, at_risk = _pairs_at_risk(now)
    return Attention(
        applications=[p for p in programs if p.n_applied],
        unmatched=[p for p in programs if p.n_unmatched],
        at_risk_count=at_risk_count,
        at_risk=at_risk,
        closing=_cycles_closing(now),
        # Every unresolved concern, as the concerns page lists them, so the two numbers agree.
        open_concerns=Concern.objects.filter(resolved_at__isnull=True).count(),
        inactivity_days=settings.PAIR_INACTIVITY_DAYS,
    )
