"""Results of a feedback cycle, reduced to what the viewer may see.

Everything goes through ``feedback.anonymity``: a figure from fewer than k people is withheld
for everyone (HR admins included), a filter is refused when it or its complement is smaller than
k, breakdowns hide extra groups when subtraction would isolate a small one, and free text is
shown only from groups of at least k, shuffled. The page and the CSV export render this same
structure, so an export can never show more than the page.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from feedback.anonymity import (
    WITHHELD,
    effective_k,
    may_show,
    may_show_subset,
    shown_groups,
    summarize,
)
from feedback.models import (
    Answer,
    FeedbackCycle,
    Question,
    QuestionSummary,
    SurveyResponse,
    TopicRating,
)


@dataclass
class QuestionResult:
    question: Question
    count: int = 0
    summary: Any = None
    choices: list[tuple[str, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    topics: list[tuple[str, Any]] = field(default_factory=list)
    withheld: str = ""


@dataclass
class CycleResults:
    cycle: FeedbackCycle
    k: int
    invited: int
    answered: int
    respondents: int
    filters: dict[str, str]
    refused_filter: str = ""
    withheld: str = ""
    questions: list[QuestionResult] = field(default_factory=list)
    departments: list[tuple[str, int | None]] = field(default_factory=list)
    named: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)

    @property
    def response_rate(self) -> int:
        return round(100 * self.answered / self.invited) if self.invited else 0


CLOSED_ONLY = (
    "Results appear when the survey closes: while it is open, watching the figures change "
    "after each new answer could tell who said what."
)
OTHER = "Other departments (each fewer than {k})"


def cycle_results(
    *, cycle: FeedbackCycle, k: int, filters: dict[str, str], show_names: bool
) -> CycleResults:
    """What may be shown of a cycle. Only closed cycles have results. One filter at a time, on
    a group the breakdown shows; every question checks its own number of answers, and, under a
    filter, the number it leaves out."""
    k = effective_k(k)
    invitations = cycle.invitations.all()
    result = CycleResults(
        cycle=cycle, k=k, invited=invitations.count(), answered=0, respondents=0, filters={}
    )
    if cycle.status != FeedbackCycle.Status.CLOSED:
        result.withheld = CLOSED_ONLY
        return result
    result.answered = invitations.filter(answered=True).count()
    responses = list(SurveyResponse.objects.filter(cycle=cycle))
    result.respondents = len(responses)
    if show_names and not cycle.anonymous:
        # Surveys by name are for HR admins to act on, person by person, whatever k is.
        result.named = _named_answers(responses)
    if not may_show(len(responses), k):
        result.withheld = WITHHELD.format(k=k)
        return result
    by_department: dict[str, int] = defaultdict(int)
    for r in responses:
        by_department[r.department or "No department given"] += 1
    visible = shown_groups(by_department, k)
    hidden = sum(n for name, n in by_department.items() if not visible[name])
    # Hidden departments are not even named: a name alone says someone from there answered.
    result.departments = sorted((name, n) for name, n in by_department.items() if visible[name])
    if hidden:
        result.departments.append((OTHER.format(k=k), None))
    by_side: dict[str, int] = defaultdict(int)
    for r in responses:
        by_side[r.side] += 1
    sides_visible = shown_groups(by_side, k)
    active = {key: value for key, value in filters.items() if value}
    allowed = len(active) <= 1 and all(
        (key == "department" and visible.get(value)) or (key == "side" and sides_visible.get(value))
        for key, value in active.items()
    )
    chosen = [r for r in responses if _matches(r, active)] if allowed else responses
    if active and (not allowed or not may_show_subset(len(chosen), len(responses), k)):
        result.refused_filter = (
            f"This filter is not shown: one filter at a time, on a group of at least {k} that "
            "leaves at least as many out, or answers could be traced back to someone."
        )
        chosen = responses
    else:
        result.filters = active
    chosen_ids = {r.pk for r in chosen}
    answers: dict[int, list[Answer]] = defaultdict(list)
    totals: dict[int, int] = defaultdict(int)
    for answer in Answer.objects.filter(response__cycle=cycle).select_related("question"):
        totals[answer.question_id] += 1
        if answer.response_id in chosen_ids:
            answers[answer.question_id].append(answer)
    # Topic self-ratings stand alone (no response): filtered by their own side and department.
    ratings: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    rating_totals: dict[tuple[int, str], int] = defaultdict(int)
    for question_id, topic, rating, side, department in TopicRating.objects.filter(
        cycle=cycle
    ).values_list("question_id", "topic_name", "rating", "side", "department"):
        rating_totals[(question_id, topic)] += 1
        if _matches_group(side, department, result.filters):
            ratings[question_id][topic].append(rating)
    for question in cycle.version.questions.all():
        if question.kind == Question.Kind.OBJECTIVE_RATINGS:
            result.questions.append(
                _topic_ratings(question, ratings[question.pk], rating_totals, k, result.filters)
            )
            continue
        item = _question(question, answers[question.pk], k, hide_text=not cycle.anonymous)
        # Under a filter, the answers it leaves out must reach k too (an optional question
        # may have fewer answers than the group has people).
        left_out = totals[question.pk] - len(answers[question.pk])
        if result.filters and not item.withheld and 0 < left_out < k:
            item = QuestionResult(question=question, withheld=WITHHELD.format(k=k))
        result.questions.append(item)
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


def _matches(response: SurveyResponse, filters: dict[str, str]) -> bool:
    return _matches_group(response.side, response.department, filters)


def _matches_group(side: str, department: str, filters: dict[str, str]) -> bool:
    if filters.get("side") and side != filters["side"]:
        return False
    return not (
        filters.get("department") and (department or "No department given") != filters["department"]
    )


def _topic_ratings(
    question: Question,
    chosen: dict[str, list[int]],
    totals: dict[tuple[int, str], int],
    k: int,
    filters: dict[str, str],
) -> QuestionResult:
    """Per topic: shown when at least k rated it and, under a filter, when the ratings the
    filter leaves out are none or at least k too."""
    item = QuestionResult(question=question)
    topics = sorted(topic for (question_id, topic) in totals if question_id == question.pk)
    for topic in topics:
        values = chosen.get(topic, [])
        left_out = totals[(question.pk, topic)] - len(values)
        shown = may_show(len(values), k) and not (filters and 0 < left_out < k)
        item.topics.append((topic, summarize(values, scale=range(1, 6)) if shown else None))
        item.count = max(item.count, len(values))
    return item


def _question(
    question: Question, answers: list[Answer], k: int, hide_text: bool = False
) -> QuestionResult:
    item = QuestionResult(question=question, count=len({a.response_id for a in answers}))
    if not may_show(item.count, k):
        item.withheld = WITHHELD.format(k=k)
        return item
    if question.kind == Question.Kind.LIKERT:
        item.summary = summarize([a.number for a in answers], scale=range(1, 6))
    elif question.kind == Question.Kind.NPS:
        item.summary = summarize([a.number for a in answers], scale=range(0, 11), nps=True)
    elif question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        counts = {c: 0 for c in question.choices}
        for a in answers:
            for choice in a.choices or [a.text]:
                if choice in counts:
                    counts[choice] += 1
        item.choices = list(counts.items())
    elif not hide_text:
        # Shuffled: the order of answers must not follow the order people answered in. Free
        # text of surveys by name is read by name (HR admins only), never in aggregate.
        item.texts = [a.text for a in answers if a.text.strip()]
        random.SystemRandom().shuffle(item.texts)
    return item


@dataclass
class TrendPoint:
    cycle: FeedbackCycle
    respondents: int
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
    NPS, and the pre/post self-rating per objective topic. Every figure reaches k or is None."""
    from programs.models import LearningObjective, Participant

    k = effective_k(k)
    # Anonymous surveys only, and each row names its survey: quick checks and by-name
    # surveys are not mixed into a check-in trend.
    cycles = list(
        program.feedback_cycles.exclude(status=FeedbackCycle.Status.SCHEDULED)
        .filter(anonymous=True)
        .select_related("version__template")
        .order_by("version__template__name", "opens_at")
    )
    finals: dict[str, list[int]] = defaultdict(list)
    counts = dict(
        SurveyResponse.objects.filter(cycle__in=cycles)
        .values_list("cycle_id")
        .annotate(n=models.Count("id"))
    )
    # Totals written at closing (feedback.summaries), summed over sides and departments: the
    # trend reads a few rows per survey, never every answer.
    totals: dict[tuple[int, str, int], dict[str, int]] = {}
    for row in (
        QuestionSummary.objects.filter(cycle__in=[c for c in cycles if c.status == "closed"])
        .values("cycle_id", "question__kind", "question__position")
        .annotate(
            n=models.Sum("count"),
            total=models.Sum("total"),
            promoters=models.Sum("promoters"),
            detractors=models.Sum("detractors"),
        )
        .order_by()
    ):
        totals[(row["cycle_id"], row["question__kind"], row["question__position"])] = row
    # Final self-ratings count once the survey has closed, like every other figure.
    for topic, rating in TopicRating.objects.filter(
        cycle__in=[c for c in cycles if c.status == FeedbackCycle.Status.CLOSED]
    ).values_list("topic_name", "rating"):
        finals[topic].append(rating)
    trend = []
    for cycle in cycles:
        # Each figure checks its own number of answers; open cycles show nothing yet.
        likert = sorted(
            p for (c, kind, p) in totals if c == cycle.pk and kind == Question.Kind.LIKERT
        )
        nps = sorted(p for (c, kind, p) in totals if c == cycle.pk and kind == Question.Kind.NPS)
        first = totals[(cycle.pk, Question.Kind.LIKERT, likert[0])] if likert else None
        recommend = totals[(cycle.pk, Question.Kind.NPS, nps[0])] if nps else None
        average = (
            first["total"] / first["n"] if first is not None and may_show(first["n"], k) else None
        )
        score = (
            round(100 * (recommend["promoters"] - recommend["detractors"]) / recommend["n"], 1)
            if recommend is not None and may_show(recommend["n"], k)
            else None
        )
        trend.append(
            TrendPoint(cycle=cycle, respondents=counts.get(cycle.pk, 0), average=average, nps=score)
        )
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
        end = sum(after) / len(after) if may_show(len(after), k) else None
        change = end - start if start is not None and end is not None else None
        skills.append((topic, start, end, change))
    return ProgramResults(k=k, trend=trend, skills=skills)
