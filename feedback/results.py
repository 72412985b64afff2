"""Results of a feedback cycle, reduced to what the viewer may see.

Every figure comes from a group of the survey's release plan (``feedback.release_plans``): the
respondents, each question and each topic have their family of groups fixed at closing, for
everyone (HR admins included). A filter (a side, a department, or both) is offered only on groups
of the plan, and a question is shown under it only when its own plan holds that group: no page,
CSV, dashboard or digest can then be combined with another to isolate fewer than k people. Free
text is shown only from released groups, shuffled. The page and the CSV export render this same
structure, so an export can never show more than the page.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from feedback.anonymity import WITHHELD, effective_k, may_show, summarize
from feedback.disclosure import NOT_RELEASED, Group, response_count_released
from feedback.models import (
    Answer,
    FeedbackCycle,
    Question,
    QuestionSummary,
    SurveyResponse,
    TopicRating,
)
from feedback.release_plans import (
    NO_DEPARTMENT,
    RESPONDENTS,
    ReleasePlan,
    department_group,
    department_group_named,
    plans_for,
    question_key,
    topic_key,
)
from programs.models import LearningObjective, Participant


@dataclass
class QuestionResult:
    question: Question
    count: int = 0
    summary: Any = None
    choices: list[tuple[str, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    topics: list[tuple[str, Any]] = field(default_factory=list)
    topics_unlisted: bool = False
    withheld: str = ""


@dataclass
class CycleResults:
    cycle: FeedbackCycle
    k: int
    invited: int
    answered: int | None  # None: withheld (see disclosure.response_count_released)
    respondents: int
    filters: dict[str, str]
    refused_filter: str = ""
    withheld: str = ""
    questions: list[QuestionResult] = field(default_factory=list)
    departments: list[tuple[str, int | None]] = field(default_factory=list)
    named: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)

    @property
    def response_rate(self) -> int | None:
        if self.answered is None:
            return None
        return round(100 * self.answered / self.invited) if self.invited else 0


# Lazy: written in the reader's language (the API's is English); "{k}" is the threshold.
CLOSED_ONLY = _(
    "Results appear when the survey closes: while it is open, watching the figures change "
    "after each new answer could tell who said what."
)
OTHER = _("Other departments (each fewer than {k}, or too few beside the others)")
REFUSED = _(
    "This filter is not offered for this survey: the group it picks, or what it leaves out, "
    "is too small beside the other groups shown (fewer than {k} people), so answers could be "
    "traced back to someone. Showing everyone instead."
)


def answered_shown(*, cycle: FeedbackCycle, invited: int, answered: int, k: int) -> int | None:
    """How many answered, or None where it would say who did (anonymous surveys only: by-name
    answers carry names anyway)."""
    if cycle.anonymous and not response_count_released(invited=invited, answered=answered, k=k):
        return None
    return answered


def _department_name(value: str) -> str:
    return value or str(NO_DEPARTMENT)


def filter_groups(filters: dict[str, str]) -> list[Group]:
    """The groups a filter picks (their intersection): a side, a department, or both."""
    groups: list[Group] = []
    if filters.get("side"):
        groups.append(("side", filters["side"]))
    if filters.get("department"):
        groups.append(department_group_named(filters["department"]))
    return groups


def cycle_results(
    *, cycle: FeedbackCycle, k: int, filters: dict[str, str], show_names: bool
) -> CycleResults:
    """What may be shown of a cycle. Only closed cycles have results, all drawn from the
    cycle's release plan."""
    invitations = cycle.invitations.all()
    invited = cycle.closed_invited if cycle.closed_invited is not None else invitations.count()
    result = CycleResults(cycle=cycle, k=k, invited=invited, answered=0, respondents=0, filters={})
    if cycle.status != FeedbackCycle.Status.CLOSED:
        result.withheld = CLOSED_ONLY
        return result
    plan = plans_for(cycles=[cycle], k=k)[cycle.pk]
    result.k = k = plan.k
    # Counted at closing: closing an anonymous survey forgets who answered.
    result.answered = answered_shown(
        cycle=cycle,
        invited=result.invited,
        answered=(
            cycle.closed_answered
            if cycle.closed_answered is not None
            else invitations.filter(answered=True).count()
        ),
        k=k,
    )
    responses = list(SurveyResponse.objects.filter(cycle=cycle))
    result.respondents = len(responses)
    if show_names and not cycle.anonymous:
        # Surveys by name are for HR admins to act on, person by person, whatever k is.
        result.named = _named_answers(responses)
    if not plan.released(RESPONDENTS):
        result.withheld = gettext(WITHHELD).format(k=k)
        return result
    released = plan.groups(RESPONDENTS)
    by_department: dict[str, int] = defaultdict(int)
    for r in responses:
        by_department[r.department or ""] += 1
    # Departments outside the plan are not even named: a name alone says someone from there
    # answered.
    result.departments = sorted(
        (_department_name(name), n)
        for name, n in by_department.items()
        if department_group(name) in released
    )
    if any(department_group(name) not in released for name in by_department):
        result.departments.append((OTHER.format(k=k), None))
    active = {
        key: value for key, value in filters.items() if value and key in ("side", "department")
    }
    groups = filter_groups(active)
    if active and not plan.released(RESPONDENTS, *groups):
        result.refused_filter = REFUSED.format(k=k)
        groups = []
    else:
        result.filters = active
    chosen_ids = {r.pk for r in responses if _in_groups(r.side, r.department, groups)}
    answers: dict[int, list[Answer]] = defaultdict(list)
    for answer in Answer.objects.filter(response__cycle=cycle, response_id__in=chosen_ids):
        answers[answer.question_id].append(answer)
    ratings: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for question_id, topic, rating, side, department in TopicRating.objects.filter(
        cycle=cycle
    ).values_list("question_id", "topic_name", "rating", "side", "department"):
        if _in_groups(side, department, groups):
            ratings[question_id][topic].append(rating)
    for question in cycle.version.questions.all():
        if question.kind == Question.Kind.OBJECTIVE_RATINGS:
            result.questions.append(_topic_ratings(question, ratings[question.pk], plan, groups))
            continue
        if not plan.released(question_key(question.pk), *groups):
            # Fewer than k answered this question (in this group, or beside the others).
            reason = gettext(NOT_RELEASED) if groups else gettext(WITHHELD).format(k=k)
            result.questions.append(QuestionResult(question=question, withheld=reason))
            continue
        result.questions.append(
            _question(question, answers[question.pk], hide_text=not cycle.anonymous)
        )
    return result


def _named_answers(responses: list[SurveyResponse]) -> list[tuple[str, list[tuple[str, str]]]]:
    rows = []
    answers: dict[object, list[Answer]] = defaultdict(list)
    for a in Answer.objects.filter(response__in=[r.pk for r in responses]).select_related(
        "question"
    ):
        answers[a.response_id].append(a)
    for r in responses:
        if r.attributed_to is None:
            continue
        given = [
            (a.question.text, a.text or ", ".join(a.choices) or str(a.number))
            for a in sorted(answers[r.pk], key=lambda a: a.question.position)
        ]
        rows.append((r.attributed_to.full_name, given))
    return sorted(rows)


def _in_groups(side: str, department: str, groups: list[Group]) -> bool:
    for attribute, value in groups:
        if attribute == "side" and side != value:
            return False
        if attribute == "department" and (department or "") != value:
            return False
    return True


def _topic_ratings(
    question: Question, chosen: dict[str, list[int]], plan: ReleasePlan, groups: list[Group]
) -> QuestionResult:
    """Per topic, its own plan: a topic outside it is not even named (a topic only one person
    chose would say that they answered); under a filter, a topic whose plan lacks the group
    is named (everyone's figure is shown elsewhere) and its figure withheld."""
    item = QuestionResult(question=question)
    prefix = topic_key(question.pk, "")
    topics = sorted(key[len(prefix) :] for key in plan.families if key.startswith(prefix))
    for topic in topics:
        key = topic_key(question.pk, topic)
        if not plan.released(key):
            item.topics_unlisted = True
            continue
        values = chosen.get(topic, [])
        shown = plan.released(key, *groups) and bool(values)
        item.topics.append((topic, summarize(values, scale=range(1, 6)) if shown else None))
        item.count = max(item.count, len(values))
    return item


def _question(question: Question, answers: list[Answer], hide_text: bool = False) -> QuestionResult:
    item = QuestionResult(question=question)
    if not answers:
        # Two released groups may not meet ("juniors" of a department of seniors): say so,
        # rather than a distribution of zeros.
        return item
    if question.kind == Question.Kind.LIKERT:
        item.summary = summarize(
            [a.number for a in answers if a.number is not None], scale=range(1, 6)
        )
        item.count = item.summary.count
    elif question.kind == Question.Kind.NPS:
        item.summary = summarize(
            [a.number for a in answers if a.number is not None], scale=range(0, 11), nps=True
        )
        item.count = item.summary.count
    elif question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        counts = {c: 0 for c in question.choices}
        for a in answers:
            for choice in a.choices or [a.text]:
                if choice in counts:
                    counts[choice] += 1
        item.choices = list(counts.items())
        item.count = len({a.response_id for a in answers})
    elif not hide_text:
        # Shuffled: the order of answers must not follow the order people answered in. Free
        # text of surveys by name is read by name (HR admins only), never in aggregate.
        item.texts = [a.text for a in answers if a.text.strip()]
        item.count = len(item.texts)
        random.SystemRandom().shuffle(item.texts)
    return item


@dataclass
class TrendPoint:
    cycle: FeedbackCycle
    respondents: int | None  # None: withheld, or the survey is still open
    average: float | None  # of the cycle's first scale question
    nps: float | None


@dataclass
class ProgramResults:
    k: int
    trend: list[TrendPoint]
    # topic, before, after, change (None where withheld)
    skills: list[tuple[str, float | None, float | None, float | None]]


def program_results(*, program: Any, k: int) -> ProgramResults:
    """Across the program's closed and open cycles: the trend of the first 1-5 question and of
    NPS, and the pre/post self-rating per objective topic. Survey figures come from each
    survey's release plan; a pooled final rating adds up only topics released on their own."""
    # Anonymous surveys only, and each row names its survey: quick checks and by-name
    # surveys are not mixed into a check-in trend.
    cycles = list(
        program.feedback_cycles.exclude(status=FeedbackCycle.Status.SCHEDULED)
        .filter(anonymous=True)
        .select_related("version__template")
        .order_by("version__template__name", "opens_at")
    )
    plans = plans_for(cycles=cycles, k=k)
    k = max([effective_k(k)] + [p.k for p in plans.values()])
    counts = dict(
        SurveyResponse.objects.filter(cycle__in=cycles)
        .values_list("cycle_id")
        .annotate(n=models.Count("id"))
    )
    # Totals written at closing (feedback.summaries), summed over sides and departments: the
    # trend reads a few rows per survey, never every answer.
    totals: dict[int, dict[tuple[str, int, int], dict[str, int]]] = defaultdict(dict)
    for row in (
        QuestionSummary.objects.filter(cycle__in=[c for c in cycles if c.status == "closed"])
        .values("cycle_id", "question_id", "question__kind", "question__position")
        .annotate(
            n=models.Sum("count"),
            total=models.Sum("total"),
            promoters=models.Sum("promoters"),
            detractors=models.Sum("detractors"),
        )
        .order_by()
    ):
        key = (row["question__kind"], row["question__position"], row["question_id"])
        totals[row["cycle_id"]][key] = row
    trend = []
    for cycle in cycles:
        plan = plans[cycle.pk]
        rows = totals.get(cycle.pk, {})
        first = _first(rows, Question.Kind.LIKERT)
        recommend = _first(rows, Question.Kind.NPS)
        average = (
            first["total"] / first["n"]
            if first and plan.released(question_key(first["question_id"]))
            else None
        )
        score = (
            round(100 * (recommend["promoters"] - recommend["detractors"]) / recommend["n"], 1)
            if recommend and plan.released(question_key(recommend["question_id"]))
            else None
        )
        respondents = (
            answered_shown(
                cycle=cycle,
                invited=cycle.closed_invited or 0,
                answered=counts.get(cycle.pk, 0),
                k=k,
            )
            if cycle.status == FeedbackCycle.Status.CLOSED
            else None
        )
        trend.append(TrendPoint(cycle=cycle, respondents=respondents, average=average, nps=score))
    # Final self-ratings: each survey's topic counts only where its plan releases it whole.
    finals: dict[str, list[int]] = defaultdict(list)
    for cycle_id, question_id, topic, rating in TopicRating.objects.filter(
        cycle__in=[c for c in cycles if c.status == FeedbackCycle.Status.CLOSED]
    ).values_list("cycle_id", "question_id", "topic_name", "rating"):
        if plans[cycle_id].released(topic_key(question_id, topic)):
            finals[topic].append(rating)
    baselines: dict[str, list[int]] = defaultdict(list)
    for topic, rating in LearningObjective.objects.filter(
        participant__program=program, participant__status=Participant.Status.APPROVED
    ).values_list("topic__name", "baseline_rating"):
        baselines[topic].append(rating)
    skills = []
    for topic in sorted(set(baselines) | set(finals)):
        before = baselines.get(topic, [])
        after = finals.get(topic, [])
        start = sum(before) / len(before) if may_show(len(before), k) else None
        end = sum(after) / len(after) if after else None
        if start is None and end is None:
            # Not even named: a topic only one person chose says who has that objective.
            continue
        change = end - start if start is not None and end is not None else None
        skills.append((topic, start, end, change))
    return ProgramResults(k=k, trend=trend, skills=skills)


def _first(rows: dict[tuple[str, int, int], dict[str, int]], kind: str) -> dict[str, int] | None:
    """The survey's first question of this kind, which stands for its satisfaction or NPS."""
    keys = sorted(key for key in rows if key[0] == kind)
    return rows[keys[0]] if keys else None
