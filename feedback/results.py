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
from feedback.models import Answer, FeedbackCycle, Question, SurveyResponse


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
    named: list[SurveyResponse] = field(default_factory=list)

    @property
    def response_rate(self) -> int:
        return round(100 * self.answered / self.invited) if self.invited else 0


def cycle_results(
    *, cycle: FeedbackCycle, k: int, filters: dict[str, str], show_names: bool
) -> CycleResults:
    k = effective_k(k)
    invitations = cycle.invitations.all()
    responses = list(SurveyResponse.objects.filter(cycle=cycle))
    result = CycleResults(
        cycle=cycle,
        k=k,
        invited=invitations.count(),
        answered=invitations.filter(answered=True).count(),
        respondents=len(responses),
        filters={},
    )
    if not may_show(len(responses), k):
        result.withheld = WITHHELD.format(k=k)
        return result
    # Departments: a breakdown of respondent counts, with complementary hiding.
    by_department: dict[str, int] = defaultdict(int)
    for r in responses:
        by_department[r.department or "No department given"] += 1
    visible = shown_groups(by_department, k)
    result.departments = sorted(
        (name, count if visible[name] else None) for name, count in by_department.items()
    )
    chosen = [r for r in responses if _matches(r, filters)]
    active = {key: value for key, value in filters.items() if value}
    if active and not may_show_subset(len(chosen), len(responses), k):
        result.refused_filter = (
            f"This filter is not shown: it, or the people it leaves out, would be fewer than "
            f"{k}, so answers could be traced back to someone."
        )
        chosen = responses
    else:
        result.filters = active
    ids = [r.pk for r in chosen]
    answers = defaultdict(list)
    for answer in Answer.objects.filter(response_id__in=ids).select_related("question"):
        answers[answer.question_id].append(answer)
    for question in cycle.version.questions.all():
        result.questions.append(_question(question, answers[question.pk], k))
    if show_names and not cycle.anonymous:
        result.named = [r for r in chosen if r.attributed_to_id]
    return result


def _matches(response: SurveyResponse, filters: dict[str, str]) -> bool:
    if filters.get("side") and response.side != filters["side"]:
        return False
    department = response.department or "No department given"
    return not (filters.get("department") and department != filters["department"])


def _question(question: Question, answers: list[Answer], k: int) -> QuestionResult:
    item = QuestionResult(question=question, count=len({a.response_id for a in answers}))
    if question.kind == Question.Kind.OBJECTIVE_RATINGS:
        per_topic: dict[str, list[int]] = defaultdict(list)
        for a in answers:
            if a.number is not None:
                per_topic[a.topic_name].append(a.number)
        item.topics = [
            (topic, summarize(values, scale=range(1, 6)) if may_show(len(values), k) else None)
            for topic, values in sorted(per_topic.items())
        ]
        return item
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
    else:
        # Shuffled: the order of answers must not follow the order people answered in.
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
    cycles = list(
        program.feedback_cycles.exclude(status=FeedbackCycle.Status.SCHEDULED)
        .select_related("version")
        .order_by("opens_at")
    )
    numbers: dict[tuple[int, str, int], list[int]] = defaultdict(list)
    finals: dict[str, list[int]] = defaultdict(list)
    counts = dict(
        SurveyResponse.objects.filter(cycle__in=cycles)
        .values_list("cycle_id")
        .annotate(n=models.Count("id"))
    )
    for cycle_id, kind, position, number, topic in Answer.objects.filter(
        response__cycle__in=cycles, number__isnull=False
    ).values_list(
        "response__cycle_id", "question__kind", "question__position", "number", "topic_name"
    ):
        if kind == Question.Kind.OBJECTIVE_RATINGS:
            finals[topic].append(number)
        else:
            numbers[(cycle_id, kind, position)].append(number)
    trend = []
    for cycle in cycles:
        n = counts.get(cycle.pk, 0)
        likert = sorted(
            p for (c, kind, p) in numbers if c == cycle.pk and kind == Question.Kind.LIKERT
        )
        nps = [key for key in numbers if key[0] == cycle.pk and key[1] == Question.Kind.NPS]
        average = None
        score = None
        if may_show(n, k) and likert:
            average = summarize(
                numbers[(cycle.pk, Question.Kind.LIKERT, likert[0])], scale=range(1, 6)
            ).average
        if may_show(n, k) and nps:
            score = summarize(numbers[nps[0]], scale=range(0, 11), nps=True).nps
        trend.append(TrendPoint(cycle=cycle, respondents=n, average=average, nps=score))
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
