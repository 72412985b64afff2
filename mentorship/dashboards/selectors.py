"""The figures of the sponsor and HR dashboards, for one program or every program a viewer may
see, computed live on every request.

Each figure is one aggregate query, so a dashboard costs the same number of queries whatever
the size of the organisation (pinned in tests at two sizes). Survey figures read the totals
written when each survey closed (``feedback.summaries``): a closed survey never changes, so this
is as live as counting every answer, and the anonymity rule is applied here, at read time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from feedback.anonymity import effective_k, may_show, may_show_subset
from feedback.models import Concern, FeedbackCycle, Question, QuestionSummary, TopicRating
from mentorship.models import Membership, Role
from pairings.models import Meeting, Pairing, SessionLog
from programs.models import LearningObjective, Participant, Program, ProgramSponsor


def program_rows(*, program_ids: list[int], filters: Filters) -> list[dict[str, Any]]:
    """One line per program for the organisation dashboard: two grouped queries."""
    people = {
        row["program_id"]: row
        for row in Participant.objects.filter(
            program_id__in=program_ids, status=Participant.Status.APPROVED
        )
        .filter(_department(filters))
        .values("program_id")
        .annotate(n_approved=Count("id"), n_matched=Count("id", filter=Q(matched=True)))
        .order_by()
    }
    pairs = {
        row["program_id"]: row["active"]
        for row in Pairing.objects.filter(program_id__in=program_ids, status=Pairing.Status.ACTIVE)
        .filter(_pair_department(filters))
        .values("program_id")
        .annotate(active=Count("id"))
        .order_by()
    }
    return [
        {
            "program": program,
            "approved": people.get(program.pk, {}).get("n_approved", 0),
            "matched": people.get(program.pk, {}).get("n_matched", 0),
            "active_pairs": pairs.get(program.pk, 0),
        }
        for program in Program.objects.filter(pk__in=program_ids).order_by("name")
    ]


ACTIVE_DAYS = 30
NO_DEPARTMENT = "No department given"
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
    label: str  # a month, "2026-10"
    invited: int
    answered: int
    satisfaction: float | None  # average of the surveys' first 1-5 question, None if withheld
    nps: int | None

    @property
    def rate(self) -> int:
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


def dashboard_programs(*, membership: Membership) -> QuerySet[Program]:
    """HR admins: every program that is not archived. Sponsors: those they sponsor."""
    programs = Program.objects.filter(archived_at__isnull=True)
    if membership.has_role(Role.HR_ADMIN):
        return programs
    return programs.filter(
        pk__in=ProgramSponsor.objects.filter(membership=membership).values("program_id")
    )


def dashboard_departments(*, program_ids: list[int], k: int, named: bool) -> list[str]:
    """Departments to filter by. Sponsors (``named`` False) are offered only departments of at
    least k approved people: a filter on fewer would show individuals' progress."""
    rows = (
        Participant.objects.filter(program_id__in=program_ids, status=Participant.Status.APPROVED)
        .values("department")
        .annotate(n=Count("id"))
        .order_by("department")
    )
    return [row["department"] or NO_DEPARTMENT for row in rows if named or may_show(row["n"], k)]


def _department(filters: Filters, prefix: str = "") -> Q:
    if not filters.department:
        return Q()
    value = "" if filters.department == NO_DEPARTMENT else filters.department
    return Q(**{f"{prefix}department": value})


def _pair_department(filters: Filters, prefix: str = "") -> Q:
    """A pair belongs to a department when either partner does."""
    if not filters.department:
        return Q()
    return _department(filters, f"{prefix}mentor__") | _department(filters, f"{prefix}mentee__")


def dashboard(
    *, program_ids: list[int], filters: Filters, k: int, named: bool, now: datetime | None = None
) -> Dashboard:
    """Every figure of the dashboard over these programs. ``named`` (HR admins) adds the list
    of pairs at risk by name; sponsors get the count only."""
    now = now or timezone.now()
    k = effective_k(k)
    board = Dashboard(
        k=k,
        filters=filters,
        departments=dashboard_departments(program_ids=program_ids, k=k, named=named),
        programs=len(program_ids),
    )
    _people(board, program_ids, filters)
    _pairs(board, program_ids, filters, now, named)
    _sessions(board, program_ids, filters)
    _objectives(board, program_ids, filters)
    _surveys(board, program_ids, filters, k)
    _skills(board, program_ids, filters, k)
    return board


def _people(board: Dashboard, program_ids: list[int], filters: Filters) -> None:
    people = Participant.objects.filter(program_id__in=program_ids).filter(_department(filters))
    approved = Q(status=Participant.Status.APPROVED)
    # Aggregate names must not shadow fields ("matched"), hence the n_ prefix.
    figures = people.aggregate(
        n_applied=Count("id"),
        n_approved=Count("id", filter=approved),
        n_trained=Count("id", filter=approved & Q(training_done=True)),
        n_matched=Count("id", filter=approved & Q(matched=True)),
        n_juniors=Count("id", filter=approved & Q(side="junior")),
        n_seniors=Count("id", filter=approved & Q(side="senior")),
        n_juniors_matched=Count("id", filter=approved & Q(side="junior", matched=True)),
        n_seniors_matched=Count("id", filter=approved & Q(side="senior", matched=True)),
    )
    active_pairs = Pairing.objects.filter(status=Pairing.Status.ACTIVE)
    in_active_pair = people.filter(approved).filter(
        Exists(active_pairs.filter(mentor=OuterRef("pk")))
        | Exists(active_pairs.filter(mentee=OuterRef("pk")))
    )
    board.funnel = [
        ("Applied", figures["n_applied"]),
        ("Approved", figures["n_approved"]),
        ("Trained", figures["n_trained"]),
        ("Matched", figures["n_matched"]),
        ("In an active pair", in_active_pair.count()),
    ]
    board.coverage = [
        ("Juniors", figures["n_juniors"], figures["n_juniors_matched"]),
        ("Seniors", figures["n_seniors"], figures["n_seniors_matched"]),
    ]


def _pairs(
    board: Dashboard, program_ids: list[int], filters: Filters, now: datetime, named: bool
) -> None:
    pairs = Pairing.objects.filter(program_id__in=program_ids, status=Pairing.Status.ACTIVE).filter(
        _pair_department(filters)
    )
    figures = pairs.aggregate(
        active=Count("id"),
        recent=Count("id", filter=Q(last_met_at__gte=now - timedelta(days=ACTIVE_DAYS))),
    )
    board.pairs_active = figures["active"]
    board.pairs_met_recently = figures["recent"]
    risky = at_risk(pairs, now)
    board.at_risk_count = risky.count()
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
    stale = Q(last_met_at__lt=quiet_since) | Q(last_met_at__isnull=True, created_at__lt=quiet_since)
    open_concern = Exists(
        Concern.objects.filter(resolved_at__isnull=True).filter(
            Q(participant=OuterRef("mentor")) | Q(participant=OuterRef("mentee"))
        )
    )
    return pairs.annotate(concern=open_concern).filter(stale | Q(concern=True))


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
    logs = SessionLog.objects.filter(
        pairing__program_id__in=program_ids, date__gte=filters.start, date__lte=filters.end
    ).filter(_department(filters, "author__"))
    per_week = {
        row["week"]: (row["n"], row["minutes"] or 0)
        for row in logs.annotate(week=TruncWeek("date"))
        .values("week")
        .annotate(n=Count("id"), minutes=Sum("minutes"))
        .order_by("week")
    }
    # Every week of the range, with the quiet ones as zeros: a gap is part of the story.
    week = filters.start - timedelta(days=filters.start.weekday())
    board.weeks = []
    while week <= filters.end:
        key = _as_date(week, per_week)
        n, minutes = per_week.get(key, (0, 0))
        board.weeks.append((week, n, round(minutes / 60, 1)))
        week += timedelta(weeks=1)
    meetings = Meeting.objects.filter(
        pairing__program_id__in=program_ids,
        cancelled_at__date__gte=filters.start,
        cancelled_at__date__lte=filters.end,
    ).filter(_pair_department(filters, "pairing__"))
    cancelled = meetings.aggregate(
        juniors=Count("id", filter=Q(cancelled_by=F("pairing__mentor__membership__user"))),
        seniors=Count("id", filter=Q(cancelled_by=F("pairing__mentee__membership__user"))),
        total=Count("id"),
    )
    board.cancellations = [
        ("Juniors", cancelled["juniors"]),
        ("Seniors", cancelled["seniors"]),
        ("Not recorded", cancelled["total"] - cancelled["juniors"] - cancelled["seniors"]),
    ]
    taught: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    through = SessionLog.topics.through.objects.filter(sessionlog__in=logs.values("pk"))
    for row in through.values("topic__name", "sessionlog__author__side").annotate(n=Count("id")):
        taught[row["topic__name"]][0 if row["sessionlog__author__side"] == "junior" else 1] += row[
            "n"
        ]
    board.taught = sorted(
        ((topic, j, s) for topic, (j, s) in taught.items()), key=lambda t: (-(t[1] + t[2]), t[0])
    )[:12]


def _as_date(week: date, per_week: dict[Any, Any]) -> Any:
    """TruncWeek gives dates on SQLite and PostgreSQL alike for a DateField; be lenient."""
    if week in per_week:
        return week
    return datetime.combine(week, datetime.min.time())


def _objectives(board: Dashboard, program_ids: list[int], filters: Filters) -> None:
    objectives = LearningObjective.objects.filter(
        participant__program_id__in=program_ids,
        participant__status=Participant.Status.APPROVED,
    ).filter(_department(filters, "participant__"))
    board.objectives = objectives.aggregate(
        count=Count("id"),
        average_progress=Avg("progress"),
        not_started=Count("id", filter=Q(progress=0)),
        under_way=Count("id", filter=Q(progress__gt=0, progress__lt=100)),
        reached=Count("id", filter=Q(progress=100)),
    )


def _surveys(board: Dashboard, program_ids: list[int], filters: Filters, k: int) -> None:
    """Per month of closing: response rate (everyone invited: a department's rate would say
    who answered) and the pooled average of each survey's first 1-5 question and NPS, each
    shown only from k answers and, under a department filter, leaving out none or k."""
    cycles = FeedbackCycle.objects.filter(
        program_id__in=program_ids,
        status=FeedbackCycle.Status.CLOSED,
        anonymous=True,
        closed_at__date__gte=filters.start,
        closed_at__date__lte=filters.end,
    )
    months: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        cycles.annotate(month=TruncMonth("closed_at"))
        .values("month")
        .annotate(invited=Sum("closed_invited"), answered=Sum("closed_answered"))
    ):
        months[row["month"]]["invited"] += row["invited"] or 0
        months[row["month"]]["answered"] += row["answered"] or 0
    rows = list(
        QuestionSummary.objects.filter(cycle__in=cycles)
        .annotate(month=TruncMonth("cycle__closed_at"))
        .values(
            "month",
            "cycle_id",
            "question__kind",
            "question__position",
            "question_id",
            "department",
            "count",
            "total",
            "promoters",
            "detractors",
        )
    )
    # The first scale and NPS question of each survey stand for its satisfaction and NPS.
    first: dict[tuple[int, str], int] = {}
    for row in rows:
        key = (row["cycle_id"], row["question__kind"])
        first[key] = min(first.get(key, row["question__position"]), row["question__position"])
    for row in rows:
        if first[(row["cycle_id"], row["question__kind"])] != row["question__position"]:
            continue
        kind = "likert" if row["question__kind"] == Question.Kind.LIKERT else "nps"
        month = months[row["month"]]
        month[f"{kind}_all"] += row["count"]
        department = row["department"] or NO_DEPARTMENT
        if filters.department and department != filters.department:
            continue
        month[f"{kind}_n"] += row["count"]
        month[f"{kind}_total"] += row["total"]
        month[f"{kind}_promoters"] += row["promoters"]
        month[f"{kind}_detractors"] += row["detractors"]

    def shown(month: dict[str, int], kind: str) -> bool:
        n = month[f"{kind}_n"]
        if filters.department:
            return may_show_subset(n, month[f"{kind}_all"], k)
        return may_show(n, k)

    board.surveys = []
    for key in sorted(months):
        month = months[key]
        satisfaction = (
            round(month["likert_total"] / month["likert_n"], 2) if shown(month, "likert") else None
        )
        nps = (
            round(100 * (month["nps_promoters"] - month["nps_detractors"]) / month["nps_n"])
            if shown(month, "nps")
            else None
        )
        board.surveys.append(
            SurveyPoint(
                label=f"{key:%Y-%m}",
                invited=month["invited"],
                answered=month["answered"],
                satisfaction=satisfaction,
                nps=nps,
            )
        )


def _skills(board: Dashboard, program_ids: list[int], filters: Filters, k: int) -> None:
    """Pre/post self-rating per topic: the baseline of every objective, and the final ratings
    of closed "End of program" surveys. Each figure reaches k (and its complement, under a
    department filter) or is withheld."""
    before: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"n": [0, 0], "sum": [0, 0]})
    for row in (
        LearningObjective.objects.filter(
            participant__program_id__in=program_ids,
            participant__status=Participant.Status.APPROVED,
        )
        .values("topic__name", "participant__department")
        .annotate(n=Count("id"), total=Sum("baseline_rating"))
    ):
        _add(before[row["topic__name"]], row["participant__department"], filters, row)
    after: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"n": [0, 0], "sum": [0, 0]})
    for row in (
        TopicRating.objects.filter(
            cycle__program_id__in=program_ids, cycle__status=FeedbackCycle.Status.CLOSED
        )
        .values("topic_name", "department")
        .annotate(n=Count("id"), total=Sum("rating"))
    ):
        _add(after[row["topic_name"]], row["department"], filters, row)

    def average(figures: dict[str, list[int]] | None) -> float | None:
        if figures is None:
            return None
        chosen, everyone = figures["n"]
        ok = may_show_subset(chosen, everyone, k) if filters.department else may_show(chosen, k)
        return round(figures["sum"][0] / chosen, 2) if ok else None

    board.skills = []
    for topic in sorted(set(before) | set(after)):
        start = average(before.get(topic))
        end = average(after.get(topic))
        change = round(end - start, 2) if start is not None and end is not None else None
        board.skills.append((topic, start, end, change))


def _add(figures: dict[str, list[int]], department: str, filters: Filters, row: dict) -> None:
    """Count a row for everyone, and for the chosen group when it belongs to the filter."""
    figures["n"][1] += row["n"]
    figures["sum"][1] += row["total"] or 0
    if not filters.department or (department or NO_DEPARTMENT) == filters.department:
        figures["n"][0] += row["n"]
        figures["sum"][0] += row["total"] or 0
