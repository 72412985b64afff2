"""Reads of the feedback app: the surveys, invitations, templates and concerns that views,
services, receivers and tasks look up.

Survey figures are not read here: they come from ``feedback.results``, through each survey's
release plan (``feedback.release_plans``), the one path by which answers are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from feedback.anonymity import effective_k
from feedback.models import (
    Concern,
    FeedbackCycle,
    Question,
    SurveyInvitation,
    SurveyTemplate,
    TemplateVersion,
)
from feedback.results import answered_shown
from mentorship.models import Membership
from pairings.models import Pairing, SessionLog
from programs import selectors as program_selectors
from programs.models import Participant, Program, Side

# --- Surveys and invitations ----------------------------------------------------------------------


def closes_at(cycle: FeedbackCycle) -> datetime:
    return (cycle.opened_at or cycle.opens_at) + timedelta(days=cycle.open_days)


def survey_problem(*, invitation: SurveyInvitation) -> str:
    """Why this invitation cannot be answered now, in plain words, or ""."""
    if invitation.answered:
        return _("You have already answered this survey. Thank you!")
    if invitation.cycle.status == FeedbackCycle.Status.CLOSED:
        return _("This survey has closed.")
    if invitation.cycle.status != FeedbackCycle.Status.OPEN:
        return _("This survey is not open yet.")
    return ""


def invitation_get_for_member(*, membership: Membership, invitation_id: int) -> SurveyInvitation:
    """The member's own invitation; 404 otherwise (someone else's invitation looks missing)."""
    try:
        return SurveyInvitation.objects.select_related(
            "cycle__version", "cycle__program", "participant__membership"
        ).get(pk=invitation_id, participant__membership=membership)
    except SurveyInvitation.DoesNotExist as exc:
        raise Http404("No such survey") from exc


def version_questions(*, version: TemplateVersion) -> list[Question]:
    return list(version.questions.all())


def objective_topic_names(*, participant: Participant) -> list[str]:
    """The topics of the person's learning objectives, which a self-rating question asks about."""
    return sorted({o.topic.name for o in participant.objectives.select_related("topic")})


def cycle_audience(*, cycle: FeedbackCycle) -> list[Participant]:
    """Who a cycle invites: the program's approved participants of its audience."""
    people = cycle.program.participants.filter(status=Participant.Status.APPROVED)
    if cycle.audience == FeedbackCycle.Audience.JUNIORS:
        people = people.filter(side=Side.JUNIOR)
    elif cycle.audience == FeedbackCycle.Audience.SENIORS:
        people = people.filter(side=Side.SENIOR)
    return list(people.select_related("membership__user"))


def cycle_of_template(*, program: Program, template: SurveyTemplate) -> FeedbackCycle | None:
    """The program's (first) cycle of this template, if any."""
    return program.feedback_cycles.filter(version__template=template).first()


def on_demand_cycle_open(
    *, program: Program, template: SurveyTemplate, since: datetime
) -> FeedbackCycle | None:
    """The latest survey of this template offered on the spot and opened since ``since``."""
    return (
        FeedbackCycle.objects.filter(
            program=program,
            version__template=template,
            on_demand=True,
            status=FeedbackCycle.Status.OPEN,
            opened_at__gte=since,
        )
        .order_by("-opened_at")
        .first()
    )


def session_logs_written(*, pairing: Pairing, author: Participant) -> int:
    """How many session logs this partner wrote in the pair."""
    return SessionLog.objects.filter(pairing=pairing, author=author).count()


def cycles_due(*, now: datetime) -> QuerySet[FeedbackCycle]:
    """Cycles whose moment has come (read through the partial index on ``next_due_at``).

    A scheduled cycle of a program that has closed or is archived waits (it opens if the
    program comes back from the archive); open ones always go on, to close.
    """
    open_ = Q(status=FeedbackCycle.Status.OPEN)
    scheduled = Q(status=FeedbackCycle.Status.SCHEDULED, program__archived_at__isnull=True) & ~Q(
        program__status=Program.Status.CLOSED
    )
    return FeedbackCycle.objects.filter(next_due_at__lte=now).filter(open_ | scheduled)


def organizations_with_cycles_due(*, now: datetime) -> list[int]:
    """Ids of the organisations with a cycle to open, remind or close now (call across all
    organisations)."""
    return list(
        cycles_due(now=now)
        .values_list("organization_id", flat=True)
        # Without this, the model's ordering joins the DISTINCT: one pass per cycle.
        .order_by()
        .distinct()
    )


# --- Templates ------------------------------------------------------------------------------------


def templates_list() -> QuerySet[SurveyTemplate]:
    return SurveyTemplate.objects.prefetch_related("versions")


def templates_by_name() -> QuerySet[SurveyTemplate]:
    return SurveyTemplate.objects.order_by("name")


def template_get(*, template_id: int) -> SurveyTemplate:
    try:
        return SurveyTemplate.objects.get(pk=template_id)
    except SurveyTemplate.DoesNotExist as exc:
        raise Http404("No such survey") from exc


def template_builtin(*, key: str) -> SurveyTemplate:
    """A built-in template (see ``services.templates.templates_ensure_builtin``)."""
    return SurveyTemplate.objects.get(builtin_key=key)


def template_latest_version(*, template: SurveyTemplate) -> TemplateVersion | None:
    return template.versions.order_by("-number").first()


def version_in_use(*, version: TemplateVersion | None) -> bool:
    """Whether a cycle uses this version (its questions then stay as they are)."""
    return version is not None and version.cycles.exists()


# --- Cycles and their results ---------------------------------------------------------------------


def may_read_results(*, membership: Membership, program: Program) -> bool:
    """HR admins, and the program's own sponsors."""
    return membership.is_hr_admin or (
        membership.is_sponsor
        and program_selectors.sponsors_program(program=program, membership=membership)
    )


def cycle_get_for_program(*, program: Program, cycle_id: int) -> FeedbackCycle:
    try:
        return program.feedback_cycles.select_related("version").get(pk=cycle_id)
    except FeedbackCycle.DoesNotExist as exc:
        raise Http404("No such survey") from exc


def cycle_rows(*, program: Program, k: int) -> list[tuple[FeedbackCycle, int, int | None]]:
    """The program's cycles with how many were invited and, once closed, how many answered
    (None where that would say who did)."""
    # Closed surveys carry their counts (written at closing); only the few still open or
    # scheduled (or closed before counts were kept) are counted here, in one grouped query.
    cycles = list(program.feedback_cycles.select_related("version__template"))
    counted = {
        row["cycle_id"]: row
        for row in SurveyInvitation.objects.filter(
            cycle__in=[c for c in cycles if c.closed_invited is None]
        )
        .values("cycle_id")
        .annotate(n=Count("id"), n_answered=Count("id", filter=Q(answered=True)))
        .order_by()
    }
    rows = []
    for c in cycles:
        row = counted.get(c.pk, {})
        invited = c.closed_invited if c.closed_invited is not None else row.get("n", 0)
        answered = c.closed_answered if c.closed_answered is not None else row.get("n_answered", 0)
        # "Answered" appears once a survey closes: a live count ticking up after a known
        # person's session would tell when they answered.
        closed = c.status == FeedbackCycle.Status.CLOSED
        rows.append(
            (
                c,
                invited,
                answered_shown(cycle=c, invited=invited, answered=answered, k=k)
                if closed
                else None,
            )
        )
    return rows


# --- Concerns -------------------------------------------------------------------------------------


def participations_open_to_concerns(*, membership: Membership) -> QuerySet[Participant]:
    """The member's participations in which they may raise a concern."""
    return Participant.objects.filter(
        membership=membership,
        status__in=(Participant.Status.APPROVED, Participant.Status.APPLIED),
    ).select_related("program")


def concerns_for_hr() -> QuerySet[Concern]:
    """Every concern of the organisation, open ones first (HR admins only)."""
    return Concern.objects.select_related("participant__program").order_by(
        "resolved_at", "-created_at"
    )


def concern_get(*, concern_id: int) -> Concern:
    try:
        return Concern.objects.get(pk=concern_id)
    except Concern.DoesNotExist as exc:
        raise Http404("No such concern") from exc


# --- The API --------------------------------------------------------------------------------------


def surveys_for_api() -> QuerySet[FeedbackCycle]:
    """Every survey (feedback cycle) of the organisation, with its template's name, as the API
    shows them. The release plan itself is not read (it can be large): only the k it was made
    with, which the response count is then judged by (see :func:`survey_counts`)."""
    return (
        FeedbackCycle.objects.select_related("version__template", "program")
        .defer("release_plan")
        .annotate(plan_k=F("release_plan__k"))
    )


def surveys_with_plans() -> QuerySet[FeedbackCycle]:
    """Surveys with their release plans, for their results (``results.cycle_results``)."""
    return FeedbackCycle.objects.select_related("version", "program")


@dataclass(frozen=True)
class SurveyCounts:
    invited: int
    # How many answered; None where the Surveys and results pages withhold it.
    answered: int | None
    k: int


def _plan_k(cycle: FeedbackCycle) -> int:
    """The k the survey's stored release plan was made with (0 without one)."""
    if "plan_k" in cycle.__dict__:  # annotated by surveys_for_api
        stored = cycle.__dict__["plan_k"]
    else:
        stored = (cycle.release_plan or {}).get("k")
    return int(stored or 0)


def survey_counts(*, cycles: list[FeedbackCycle], k: int) -> dict[int, SurveyCounts]:
    """How many were invited to each survey and, once it is closed, how many answered (None
    where that would say who did), by the rule of the pages: ``results.answered_shown``, under
    the k of the survey's results page (its release plan's, when that is stricter than the
    organisation's k now: a plan is never widened). One grouped query, for the surveys still
    open or scheduled only; ``cycles`` come from :func:`surveys_for_api`."""
    counted = {
        row["cycle_id"]: row
        for row in SurveyInvitation.objects.filter(
            cycle__in=[c.pk for c in cycles if c.closed_invited is None]
        )
        .values("cycle_id")
        .annotate(n=Count("id"), n_answered=Count("id", filter=Q(answered=True)))
        .order_by()
    }
    result = {}
    for c in cycles:
        row = counted.get(c.pk, {})
        invited = c.closed_invited if c.closed_invited is not None else row.get("n", 0)
        answered = c.closed_answered if c.closed_answered is not None else row.get("n_answered", 0)
        survey_k = max(effective_k(k), _plan_k(c))
        shown = (
            answered_shown(cycle=c, invited=invited, answered=answered, k=survey_k)
            if c.status == FeedbackCycle.Status.CLOSED
            else None
        )
        result[c.pk] = SurveyCounts(invited=invited, answered=shown, k=survey_k)
    return result
