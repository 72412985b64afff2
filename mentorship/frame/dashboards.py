"""The figures of the sponsor and HR dashboards, for one program or every program a viewer may
see, read live on every request.

Each figure reads totals kept in the transaction of every write they count, never on a timer:
people and objectives per program and department (``programs.tallies``), active pairs by the
hour they last met (``pairings.tallies``), sessions, topics and cancellations per week
(``pairings.activity``). A request reads a few hundred rows of them whatever the size of the
organisation, and the same number of queries (pinned in tests at two sizes); only the pairs of
the hour a threshold cuts through, those with an open concern and the quietest listed are read
themselves. Survey figures read the totals written when each survey closed
(``feedback.summaries``): a closed survey never changes, so this is as live as counting every
answer. What is shown of a survey comes from its release plan (``feedback.release_plans``).
Only HR admins filter by department (see :func:`dashboard_departments`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Q,
    QuerySet,
    Sum,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from feedback.anonymity import effective_k
from feedback.disclosure import Group, response_count_released
from feedback.models import FeedbackCycle, Question, QuestionSummary, TopicRating
from feedback.release_plans import (
    NO_DEPARTMENT,
    department_group_named,
    plans_for,
    question_key,
    topic_key,
)
from mentorship.frame.pair_figures import AtRisk, pair_figures
from mentorship.models import Membership, Role
from pairings.activity import week_of
from pairings.models import SessionWeek, TopicWeek
from programs.models import ObjectiveTally, Program, ProgramSponsor
from programs.tallies import OBJECTIVE_FIELDS, PEOPLE_FIELDS, people_tallied


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
    closed_quiet: int = 0
    taught: list[tuple[str, int, int]] = field(default_factory=list)  # topic, juniors, seniors
    per_program: dict[int, dict[str, int]] = field(default_factory=dict)
    pair_counts: dict[int, int] = field(default_factory=dict)

    @property
    def sessions(self) -> int:
        return sum(n for _week, n, _hours in self.weeks)

    @property
    def hours(self) -> float:
        return round(sum(h for _week, _n, h in self.weeks), 1)

    @property
    def latest_survey(self) -> SurveyPoint | None:
        shown = [s for s in self.surveys if s.satisfaction is not None or s.nps is not None]
        return shown[-1] if shown else None


def program_rows(*, programs: list[Program], board: Dashboard) -> list[dict[str, Any]]:
    """One line per program for the organisation dashboard (``programs`` in the order shown),
    from the figures already counted."""
    return [
        {
            "program": program,
            "approved": board.per_program.get(program.pk, {}).get("n_approved", 0),
            "matched": board.per_program.get(program.pk, {}).get("n_matched", 0),
            "active_pairs": board.pair_counts.get(program.pk, 0),
        }
        for program in programs
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
FUNNEL_FIELDS = tuple(f"n_{name}" for name in PEOPLE_FIELDS)


def people_by_department(*, program_ids: list[int]) -> PeopleRows:
    """The funnel's counts per program and department, from the live totals
    (``programs.tallies``, one row each): the dashboard sums the rows it needs, the department
    filter is offered from them, and the programs table reads them too."""
    # Aggregate names must not shadow fields ("matched"), hence the n_ prefix.
    return [
        {
            "program_id": row["program_id"],
            "department": row["department"],
            **{f"n_{name}": row[name] for name in PEOPLE_FIELDS},
        }
        for row in sorted(people_tallied(program_ids=program_ids), key=lambda r: r["department"])
    ]


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
        (pgettext("enrolment funnel stage (people)", "Applied"), figures["n_applied"]),
        (pgettext("enrolment funnel stage (people)", "Approved"), figures["n_approved"]),
        (pgettext("enrolment funnel stage (people)", "Trained"), figures["n_trained"]),
        (pgettext("enrolment funnel stage (people)", "Matched"), figures["n_matched"]),
        (pgettext("enrolment funnel stage (people)", "In an active pair"), figures["n_active"]),
    ]
    board.coverage = [
        (_("Juniors"), figures["n_juniors"], figures["n_juniors_matched"]),
        (_("Seniors"), figures["n_seniors"], figures["n_seniors_matched"]),
    ]


def _pairs(
    board: Dashboard, program_ids: list[int], filters: Filters, now: datetime, named: bool
) -> None:
    department = department_group_named(filters.department)[1] if filters.department else None
    figures = pair_figures(program_ids=program_ids, department=department, now=now, named=named)
    board.pair_counts = figures.per_program
    board.pairs_active = figures.active
    board.pairs_met_recently = figures.met_recently
    board.at_risk_count = figures.at_risk_count
    board.at_risk = figures.at_risk
    board.closed_quiet = figures.closed_quiet


def _sessions(board: Dashboard, program_ids: list[int], filters: Filters) -> None:
    """Sessions, hours, topics and cancellations per week from the live weekly totals (whole
    weeks that touch the range). Under a department filter: sessions logged by, and meetings
    cancelled by, people of that department."""
    first_week = week_of(filters.start)
    # The rows for everyone, or those of the chosen department (each total is kept in both).
    rows = {"everyone": not filters.department}
    weeks = SessionWeek.objects.filter(
        program_id__in=program_ids, week__gte=first_week, week__lte=filters.end, **rows
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
        (_("Juniors"), cancelled["junior"]),
        (_("Seniors"), cancelled["senior"]),
        (_("Someone else (e.g. an HR admin ending the pair)"), cancelled[""]),
    ]
    taught: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in (
        TopicWeek.objects.filter(
            program_id__in=program_ids, week__gte=first_week, week__lte=filters.end, **rows
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


SURVEY_LINE = (
    "title",
    "closed_at",
    "status",
    "version_id",
    "release_plan",
    "closed_invited",
    "closed_answered",
    "program__name",
)


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
        # What a line shows and its plan: not the surveys' and programs' other texts.
        .only(*SURVEY_LINE)
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
            question_id__in=[pk for pk, _position in first.values()],
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
    # The live totals per program, department and topic (programs.tallies), added up per
    # program and topic for everyone or the chosen department. One objective per topic and
    # person (a constraint): objectives are people here.
    rows = (
        ObjectiveTally.objects.filter(program_id__in=program_ids)
        .filter(_department(filters))
        .values("program_id", "topic__name")
        .annotate(**{f"n_{name}": Sum(name) for name in OBJECTIVE_FIELDS})
        .filter(n_objectives__gt=0)
        .order_by()
    )
    before = _Pool()
    progress = dict.fromkeys(("count", "progress", "not_started", "under_way", "reached"), 0)
    for row in rows:
        progress["count"] += row["n_objectives"]
        progress["progress"] += row["n_progress_total"]
        for name in ("not_started", "under_way", "reached"):
            progress[name] += row[f"n_{name}"]
        before.add(
            row["topic__name"],
            row["program_id"],
            n=row["n_objectives"],
            total=row["n_baseline_total"],
        )
    board.objectives = {
        **progress,
        "average_progress": progress["progress"] / progress["count"] if progress["count"] else None,
    }
    cycles = list(
        FeedbackCycle.objects.filter(
            program_id__in=program_ids,
            status=FeedbackCycle.Status.CLOSED,
            version__questions__kind=Question.Kind.OBJECTIVE_RATINGS,
        )
        .only("status", "release_plan")
        .distinct()
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
        n = sum(x for x, _total in shown)
        return round(sum(t for _n, t in shown) / n, 2) if n else None
