"""The figures of the sponsor and HR dashboards, for one program or every program a viewer may
see, computed live on every request.

Each figure is one aggregate query, so a dashboard costs the same number of queries whatever
the size of the organisation (pinned in tests at two sizes). Survey figures read the totals
written when each survey closed (``feedback.summaries``): a closed survey never changes, so this
is as live as counting every answer. What is shown of a survey comes from its release plan
(``feedback.release_plans``). Only HR admins filter by department (see
:func:`dashboard_departments`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from feedback.anonymity import effective_k
from feedback.disclosure import Group, response_count_released
from feedback.models import Concern, FeedbackCycle, Question, QuestionSummary, TopicRating
from feedback.release_plans import (
    NO_DEPARTMENT,
    department_group_named,
    plans_for,
    question_key,
    topic_key,
)
from mentorship.models import Membership, Role
from pairings.activity import week_of
from pairings.models import Pairing, SessionWeek, TopicWeek
from programs.models import LearningObjective, Participant, Program, ProgramSponsor, Topic

ACTIVE_DAYS = 30
AT_RISK_LISTED = 50


@dataclass
class Filters:
    start: date
    end: date
    department: str = ""

    @classmethod
    def default(cls, today: date | None = None) -> Filters:
        today = today or timezone.localdate()
        return cls(start=today - timedelta(weeks=12), end=today)


@dataclass
class SurveyPoint:
    label: str  # closing day and survey, "2026-10-31 · Monthly check-in"
    program: str
    invited: int
    answered: int | None  # None: withheld (feedback.disclosure.response_count_released)
    satisfaction: float | None  # average of the surveys' first 1-5 question, None if withheld
    nps: int | None

    @property
    def rate(self) -> int | None:
        if self.answered is None:
            return None
        return round(100 * self.answered / self.invited) if self.invited else 0


@dataclass
class AtRisk:
    pairing: Pairing
    reasons: list[str]


@dataclass
class Dashboard:
    k: int
    filters: Filters
    departments: list[str]
    programs: int
    funnel: list[tuple[str, int]] = field(default_factory=list)
    coverage: list[tuple[str, int, int]] = field(default_factory=list)  # side, approved, matched
    pairs_active: int = 0
    pairs_met_recently: int = 0
    weeks: list[tuple[date, int, float]] = field(default_factory=list)
    cancellations: list[tuple[str, int]] = field(default_factory=list)
    objectives: dict[str, Any] = field(default_factory=dict)
    surveys: list[SurveyPoint] = field(default_factory=list)
    skills: list[tuple[str, float | None, float | None, float | None]] = field(default_factory=list)
    at_risk_count: int = 0
    at_risk: list[AtRisk] = field(default_factory=list)
    taught: list[tuple[str, int, int]] = field(default_factory=list)  # topic, juniors, seniors
    per_program: dict[int, dict[str, int]] = field(default_factory=dict)
    pair_counts: dict[int, int] = field(default_factory=dict)

    @property
    def sessions(self) -> int:
        return sum(n for _, n, _ in self.weeks)

    @property
    def hours(self) -> float:
        return round(sum(h for _, _, h in self.weeks), 1)

    @property
    def latest_survey(self) -> SurveyPoint | None:
        shown = [s for s in self.surveys if s.satisfaction is not None or s.nps is not None]
        return shown[-1] if shown else None


def program_rows(*, program_ids: list[int], board: Dashboard) -> list[dict[str, Any]]:
    """One line per program for the organisation dashboard, from the figures already counted."""
    return [
        {
            "program": program,
            "approved": board.per_program.get(program.pk, {}).get("n_approved", 0),
            "matched": board.per_program.get(program.pk, {}).get("n_matched", 0),
            "active_pairs": board.pair_counts.get(program.pk, 0),
        }
        for program in Program.objects.filter(pk__in=program_ids).order_by("name")
    ]


def dashboard_program(*, slug: str) -> Program:
    """The program of a dashboard's URL, or 404 (whether the viewer may see it is
    :func:`dashboard_programs`'s to say)."""
    return get_object_or_404(Program, slug=slug)


def dashboard_programs(*, membership: Membership) -> QuerySet[Program]:
    """HR admins: every program that is not archived. Sponsors: those they sponsor."""
    programs = Program.objects.filter(archived_at__isnull=True)
    if membership.has_role(Role.HR_ADMIN):
        return programs
    return programs.filter(
        pk__in=ProgramSponsor.objects.filter(membership=membership).values("program_id")
    )


PeopleRows = list[dict[str, Any]]
FUNNEL_FIELDS = (
    "n_applied",
    "n_approved",
    "n_trained",
    "n_matched",
    "n_active",
    "n_juniors",
    "n_seniors",
    "n_juniors_matched",
    "n_seniors_matched",
)


def people_by_department(*, program_ids: list[int]) -> PeopleRows:
    """The funnel's counts per program and department, in one grouped query: the dashboard
    sums the rows it needs, the department filter is offered from them, and the programs table
    reads them too."""
    approved = Q(status=Participant.Status.APPROVED)
    active = Pairing.objects.filter(program_id__in=program_ids, status=Pairing.Status.ACTIVE)
    # Aggregate names must not shadow fields ("matched"), hence the n_ prefix.
    return list(
        Participant.objects.filter(program_id__in=program_ids)
        .values("program_id", "department")
        .annotate(
            n_applied=Count("id"),
            n_approved=Count("id", filter=approved),
            n_trained=Count("id", filter=approved & Q(training_done=True)),
            n_matched=Count("id", filter=approved & Q(matched=True)),
            n_active=Count(
                "id",
                filter=approved
                & (Q(pk__in=active.values("mentor_id")) | Q(pk__in=active.values("mentee_id"))),
            ),
            n_juniors=Count("id", filter=approved & Q(side="junior")),
            n_seniors=Count("id", filter=approved & Q(side="senior")),
            n_juniors_matched=Count("id", filter=approved & Q(side="junior", matched=True)),
            n_seniors_matched=Count("id", filter=approved & Q(side="senior", matched=True)),
        )
        .order_by("department")
    )


def dashboard_departments(*, people: PeopleRows, named: bool) -> list[str]:
    """Departments to filter by: HR admins only, every department with approved people.

    Sponsors are not offered departments. Operational figures (people, pairs, sessions,
    cancellations, by side too) come from live data of every program: a family of departments
    safe at one moment is not at the next (a program archived, someone approved or withdrawn
    elsewhere), and two looks combined would isolate a person. Survey figures by department
    stay available to sponsors on each survey's results page, from its fixed release plan. HR
    admins see people by name anyway; their survey figures by department follow the plans."""
    if not named:
        return []
    return sorted({row["department"] or NO_DEPARTMENT for row in people if row["n_approved"]})


def _department(filters: Filters, prefix: str = "") -> Q:
    if not filters.department:
        return Q()
    value = department_group_named(filters.department)[1]
    return Q(**{f"{prefix}department": value})


def _in_department(filters: Filters, program_ids: list[int]) -> QuerySet[Participant]:
    """Ids of the people of the chosen department: a hashed IN list is much cheaper than
    joining people twice for every pair (measured 3 times faster at 10,000 pairs)."""
    return (
        Participant.objects.filter(program_id__in=program_ids)
        .filter(_department(filters))
        .values("pk")
    )


def _pair_department(filters: Filters, program_ids: list[int], prefix: str = "") -> Q:
    """A pair belongs to a department when either partner does."""
    if not filters.department:
        return Q()
    people = _in_department(filters, program_ids)
    return Q(**{f"{prefix}mentor__in": people}) | Q(**{f"{prefix}mentee__in": people})


def dashboard(
    *,
    program_ids: list[int],
    filters: Filters,
    k: int,
    named: bool,
    now: datetime | None = None,
    people: PeopleRows | None = None,
) -> Dashboard:
    """Every figure of the dashboard over these programs. ``named`` (HR admins) adds the list
    of pairs at risk by name; sponsors get the count only."""
    now = now or timezone.now()
    k = effective_k(k)
    board = Dashboard(
        k=k,
        filters=filters,
        departments=[],
        programs=len(program_ids),
    )
    if people is None:
        people = people_by_department(program_ids=program_ids)
    board.departments = dashboard_departments(people=people, named=named)
    _people(board, filters, people)
    _pairs(board, program_ids, filters, now, named)
    _sessions(board, program_ids, filters)
    _surveys(board, program_ids, filters, k)
    _skills(board, program_ids, filters, k)
    return board


def _people(board: Dashboard, filters: Filters, people: PeopleRows) -> None:
    figures = dict.fromkeys(FUNNEL_FIELDS, 0)
    per_program: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FUNNEL_FIELDS, 0))
    for row in people:
        # The same department as every other figure's filter (_department): "" for people who
        # gave none, never a department that happens to be called "No department given".
        if (
            not filters.department
            or (row["department"] or "") == department_group_named(filters.department)[1]
        ):
            for name in FUNNEL_FIELDS:
                figures[name] += row[name]
                per_program[row["program_id"]][name] += row[name]
    board.per_program = per_program
    board.funnel = [
        ("Applied", figures["n_applied"]),
        ("Approved", figures["n_approved"]),
        ("Trained", figures["n_trained"]),
        ("Matched", figures["n_matched"]),
        ("In an active pair", figures["n_active"]),
    ]
    board.coverage = [
        ("Juniors", figures["n_juniors"], figures["n_juniors_matched"]),
        ("Seniors", figures["n_seniors"], figures["n_seniors_matched"]),
    ]


def _pairs(
    board: Dashboard, program_ids: list[int], filters: Filters, now: datetime, named: bool
) -> None:
    pairs = Pairing.objects.filter(program_id__in=program_ids, status=Pairing.Status.ACTIVE).filter(
        _pair_department(filters, program_ids)
    )
    quiet_since = now - timedelta(days=settings.PAIR_INACTIVITY_DAYS)
    per_program = {
        row["program_id"]: row
        for row in pairs.values("program_id")
        .annotate(
            n_active=Count("id"),
            n_recent=Count("id", filter=Q(last_met_at__gte=now - timedelta(days=ACTIVE_DAYS))),
            n_at_risk=Count("id", filter=_at_risk_condition(quiet_since)),
        )
        .order_by()
    }
    board.pair_counts = {pk: row["n_active"] for pk, row in per_program.items()}
    board.pairs_active = sum(row["n_active"] for row in per_program.values())
    board.pairs_met_recently = sum(row["n_recent"] for row in per_program.values())
    board.at_risk_count = sum(row["n_at_risk"] for row in per_program.values())
    risky = at_risk(pairs, now)
    if not named or not board.at_risk_count:
        return
    for pairing in risky.select_related("program", "mentor", "mentee").order_by(
        F("last_met_at").asc(nulls_first=True), "pk"
    )[:AT_RISK_LISTED]:
        board.at_risk.append(AtRisk(pairing=pairing, reasons=at_risk_reasons(pairing, now)))


def at_risk(pairs: QuerySet[Pairing], now: datetime) -> QuerySet[Pairing]:
    """The pairs at risk among ``pairs``: quiet for ``PAIR_INACTIVITY_DAYS`` (or never met and
    paired that long ago), or with an unresolved concern from either partner. The one rule of
    the dashboards, the HR home page and the digest; annotates ``concern``."""
    quiet_since = now - timedelta(days=settings.PAIR_INACTIVITY_DAYS)
    return pairs.annotate(concern=ExpressionWrapper(_open_concern(), BooleanField())).filter(
        _at_risk_condition(quiet_since)
    )


def _open_concern() -> Q:
    concerned = Concern.objects.filter(resolved_at__isnull=True).values("participant_id")
    return Q(mentor__in=concerned) | Q(mentee__in=concerned)


def _at_risk_condition(quiet_since: datetime) -> Q:
    stale = Q(last_met_at__lt=quiet_since) | Q(last_met_at__isnull=True, created_at__lt=quiet_since)
    return stale | _open_concern()


def at_risk_reasons(pairing: Pairing, now: datetime) -> list[str]:
    """Why a pair from :func:`at_risk` is listed, in words."""
    quiet_since = now - timedelta(days=settings.PAIR_INACTIVITY_DAYS)
    reasons = []
    if pairing.last_met_at is None or pairing.last_met_at < quiet_since:
        reasons.append(
            "never met"
            if pairing.last_met_at is None
            else f"last met {pairing.last_met_at:%d %b %Y}"
        )
    if getattr(pairing, "concern", False):
        reasons.append("an open concern")
    return reasons


def _sessions(board: Dashboard, program_ids: list[int], filters: Filters) -> None:
    """Sessions, hours, topics and cancellations per week from the live weekly totals (whole
    weeks that touch the range). Under a department filter: sessions logged by, and meetings
    cancelled by, people of that department."""
    first_week = week_of(filters.start)
    weeks = SessionWeek.objects.filter(
        program_id__in=program_ids, week__gte=first_week, week__lte=filters.end
    ).filter(_department(filters))
    if filters.department:
        # Cancellations by someone else (an HR admin) belong to no department: not to "No
        # department given" either.
        weeks = weeks.exclude(side="")
    per_week: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    cancelled: dict[str, int] = defaultdict(int)
    for row in (
        weeks.values("week", "side")
        .annotate(n=Sum("sessions"), minutes=Sum("minutes"), cancelled=Sum("cancellations"))
        .order_by()
    ):
        per_week[row["week"]][0] += row["n"] or 0
        per_week[row["week"]][1] += row["minutes"] or 0
        cancelled[row["side"]] += row["cancelled"] or 0
    # Every week of the range, with the quiet ones as zeros: a gap is part of the story.
    board.weeks = []
    week = first_week
    while week <= filters.end:
        n, minutes = per_week.get(week, (0, 0))
        board.weeks.append((week, n, round(minutes / 60, 1)))
        week += timedelta(weeks=1)
    board.cancellations = [
        ("Juniors", cancelled["junior"]),
        ("Seniors", cancelled["senior"]),
        ("Someone else (e.g. an HR admin ending the pair)", cancelled[""]),
    ]
    taught: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in (
        TopicWeek.objects.filter(
            program_id__in=program_ids, week__gte=first_week, week__lte=filters.end
        )
        .filter(_department(filters))
        .values("topic__name", "side")
        .annotate(n=Sum("sessions"))
        .order_by()
    ):
        taught[row["topic__name"]][0 if row["side"] == "junior" else 1] += row["n"]
    board.taught = sorted(
        ((topic, j, s) for topic, (j, s) in taught.items()), key=lambda t: (-(t[1] + t[2]), t[0])
    )[:12]


def _moments(name: str, filters: Filters) -> dict[str, datetime]:
    """A date range as bounds on a timestamp (local days), so that indexes on it serve."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(filters.start, datetime.min.time(), zone)
    end = datetime.combine(filters.end + timedelta(days=1), datetime.min.time(), zone)
    return {f"{name}__gte": start, f"{name}__lt": end}


def _surveys(board: Dashboard, program_ids: list[int], filters: Filters, k: int) -> None:
    """One line per scheduled anonymous survey that closed in the range: response rate (of
    everyone invited: a department's rate would say who answered; withheld where those who
    answered, or those who did not, are fewer than k), and the average of its first 1-5
    question and its NPS.

    Never pooled: one person answering several surveys is not several people. Each figure is
    the survey's own, shown only where the survey's release plan holds the group (everyone, or
    the chosen department) for that question, exactly as on the survey's results page."""
    cycles = list(
        FeedbackCycle.objects.filter(
            program_id__in=program_ids,
            status=FeedbackCycle.Status.CLOSED,
            anonymous=True,
            on_demand=False,
            **_moments("closed_at", filters),
        )
        .select_related("program")
        .order_by("closed_at", "pk")
    )
    plans = plans_for(cycles=cycles, k=k)
    # The first scale and NPS question of each survey stand for its satisfaction and NPS.
    first: dict[tuple[int, str], tuple[int, int]] = {}
    for pk, version_id, kind, position in Question.objects.filter(
        version_id__in={c.version_id for c in cycles},
        kind__in=(Question.Kind.LIKERT, Question.Kind.NPS),
    ).values_list("pk", "version_id", "kind", "position"):
        key = (version_id, kind)
        if key not in first or (position, pk) < first[key][::-1]:
            first[key] = (pk, position)
    groups = [department_group_named(filters.department)] if filters.department else []
    chosen = Q(department=groups[0][1]) if groups else None
    totals: dict[tuple[int, str], dict[str, int]] = {}
    for row in (
        QuestionSummary.objects.filter(
            cycle_id__in=[c.pk for c in cycles],
            question_id__in=[pk for pk, _ in first.values()],
        )
        .values("cycle_id", "question_id", "question__kind")
        .annotate(
            n=Sum("count", filter=chosen),
            total=Sum("total", filter=chosen),
            promoters=Sum("promoters", filter=chosen),
            detractors=Sum("detractors", filter=chosen),
        )
        .order_by()
    ):
        totals[(row["cycle_id"], row["question__kind"])] = row

    def shown(cycle: FeedbackCycle, row: dict[str, int] | None) -> bool:
        return bool(
            row and row["n"] and plans[cycle.pk].released(question_key(row["question_id"]), *groups)
        )

    board.surveys = []
    for cycle in cycles:
        likert = totals.get((cycle.pk, Question.Kind.LIKERT))
        nps = totals.get((cycle.pk, Question.Kind.NPS))
        board.surveys.append(
            SurveyPoint(
                label=f"{timezone.localdate(cycle.closed_at):%Y-%m-%d} · {cycle.title}",
                program=cycle.program.name,
                invited=cycle.closed_invited or 0,
                answered=(
                    cycle.closed_answered
                    if response_count_released(
                        invited=cycle.closed_invited or 0,
                        answered=cycle.closed_answered or 0,
                        k=k,
                    )
                    else None
                ),
                satisfaction=(
                    round(likert["total"] / likert["n"], 2) if shown(cycle, likert) else None
                ),
                nps=(
                    round(100 * (nps["promoters"] - nps["detractors"]) / nps["n"])
                    if shown(cycle, nps)
                    else None
                ),
            )
        )


def _skills(board: Dashboard, program_ids: list[int], filters: Filters, k: int) -> None:
    """Pre/post self-rating per topic: the baselines of objectives, and the final ratings of
    closed "End of program" surveys, with the objective progress figures from the same pass.

    A topic's figure pools whole released groups only. Final ratings: each survey's topic where
    its release plan holds the group (everyone or the chosen department). Baselines: each
    program's people with an objective on the topic (in the chosen department, for HR admins),
    where they are at least k: programs partition people, so the organisation's view and each
    program's differ by whole programs of k or more. Baselines count people: one objective per
    topic and person. A topic no group releases is not listed."""
    groups = [department_group_named(filters.department)] if filters.department else []
    rows = list(
        LearningObjective.objects.filter(
            participant__program_id__in=program_ids,
            participant__status=Participant.Status.APPROVED,
        )
        .values("participant__program_id", "topic_id", "participant__department")
        .annotate(
            # One objective per topic and person (a constraint): objectives are people here.
            n=Count("id"),
            total=Sum("baseline_rating"),
            # Named apart from the field: an aggregate called "progress" would shadow it.
            n_progress=Sum("progress"),
            n_not_started=Count("id", filter=Q(progress=0)),
            n_under_way=Count("id", filter=Q(progress__gt=0, progress__lt=100)),
            n_reached=Count("id", filter=Q(progress=100)),
        )
        .order_by()
    )
    names = dict(
        Topic.objects.filter(pk__in={r["topic_id"] for r in rows}).values_list("pk", "name")
    )
    before = _Pool()
    progress = dict.fromkeys(("count", "progress", "not_started", "under_way", "reached"), 0)
    for row in rows:
        program_id = row["participant__program_id"]
        department = row["participant__department"] or ""
        if not _in(department, groups):
            continue
        progress["count"] += row["n"]
        for name in ("progress", "not_started", "under_way", "reached"):
            progress[name] += row[f"n_{name}"] or 0
        before.add(names[row["topic_id"]], program_id, n=row["n"], total=row["total"] or 0)
    board.objectives = {
        **progress,
        "average_progress": progress["progress"] / progress["count"] if progress["count"] else None,
    }
    cycles = list(
        FeedbackCycle.objects.filter(
            program_id__in=program_ids,
            status=FeedbackCycle.Status.CLOSED,
            version__questions__kind=Question.Kind.OBJECTIVE_RATINGS,
        ).distinct()
    )
    survey_plans = plans_for(cycles=cycles, k=k)
    after = _Pool()
    for row in (
        TopicRating.objects.filter(cycle__in=cycles)
        .values("cycle_id", "question_id", "topic_name", "department")
        .annotate(n=Count("id"), total=Sum("rating"))
        .order_by()
    ):
        plan = survey_plans[row["cycle_id"]]
        if not _in(row["department"] or "", groups):
            continue
        if plan.released(topic_key(row["question_id"], row["topic_name"]), *groups):
            after.add(row["topic_name"], row["cycle_id"], n=row["n"], total=row["total"] or 0)
    board.skills = []
    for topic in sorted(before.topics() | after.topics()):
        start = before.average(topic, k)
        end = after.average(topic, 0)  # released by the survey plans already
        if start is None and end is None:
            continue
        change = round(end - start, 2) if start is not None and end is not None else None
        board.skills.append((topic, start, end, change))


def _in(department: str, groups: list[Group]) -> bool:
    return all(value == department for attribute, value in groups if attribute == "department")


class _Pool:
    """Ratings per topic and group (a program, a survey); a group counts in the average only
    when it holds at least the given number of ratings."""

    def __init__(self) -> None:
        self.sums: dict[str, dict[int, list[int]]] = defaultdict(
            lambda: defaultdict(lambda: [0, 0])
        )

    def add(self, topic: str, group: int, *, n: int, total: int) -> None:
        self.sums[topic][group][0] += n
        self.sums[topic][group][1] += total

    def topics(self) -> set[str]:
        return set(self.sums)

    def average(self, topic: str, k: int) -> float | None:
        shown = [(n, total) for n, total in self.sums.get(topic, {}).values() if n and n >= k]
        n = sum(x for x, _ in shown)
        return round(sum(t for _, t in shown) / n, 2) if n else None
