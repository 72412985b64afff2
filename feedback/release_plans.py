"""Release plans of closed surveys: the one source every survey figure is released from.

A plan is fixed when a survey closes (``feedback.summaries`` calls :func:`plans_write` in the
closing transaction) from answers that can no longer change. For each figure the survey can
give (the respondents, each question, each topic of a self-rating question) it holds the family
of groups ``feedback.disclosure.release`` found safe for the organisation's k: results pages,
their CSVs, both dashboards at every scope and filter, the weekly digest and the Surveys page
all ask :func:`plans_for`, so no two of them can ever be combined below k.

A plan is never widened: if the organisation lowers k, the plan made under the stricter k
stays (a wider one could be subtracted from what was shown before). If it raises k, the plan is
narrowed from the groups it already had, and stored again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext_lazy

from feedback.anonymity import effective_k
from feedback.disclosure import EVERYONE, Cell, Group, cell, decode, encode, release
from feedback.models import Answer, FeedbackCycle, Question, SurveyResponse, TopicRating

RESPONDENTS = "respondents"


# How people who gave no department are named on pages and in filters (in the reader's
# language; the API's is English, and a filter may name it in English or in the reader's).
NO_DEPARTMENT = gettext_lazy("No department given")


def department_group(department: str) -> Group:
    """Departments as stored: "" for people who gave none (shown as ``NO_DEPARTMENT``)."""
    return ("department", department or "")


def department_group_named(name: str) -> Group:
    """The group of a department as pages name it (``NO_DEPARTMENT`` is the stored "")."""
    with translation.override(None):
        source = str(NO_DEPARTMENT)
    return department_group("" if name in (source, str(NO_DEPARTMENT)) else name)


def question_key(question_id: int) -> str:
    return f"q{question_id}"


def topic_key(question_id: int, topic: str) -> str:
    return f"q{question_id}:{topic}"


class _Stored(Mapping[str, frozenset[Group]]):
    """A stored plan's families, decoded when asked: a page asks for a few figures of each
    survey (a dashboard, two questions of 27 surveys), not the hundreds of topics and questions
    a plan holds."""

    def __init__(self, stored: dict[str, list[list[str]]]) -> None:
        self._stored = stored
        self._decoded: dict[str, frozenset[Group]] = {}

    def __getitem__(self, key: str) -> frozenset[Group]:
        if key not in self._decoded:
            self._decoded[key] = decode(self._stored[key])
        return self._decoded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)


@dataclass(frozen=True)
class ReleasePlan:
    k: int
    families: Mapping[str, frozenset[Group]]

    def released(self, key: str, *groups: Group) -> bool:
        """Whether a figure over the intersection of ``groups`` (everyone when none) may be
        shown: each group must be in the plan. An intersection of released groups is a union
        of atoms, so it too holds at least k people or none."""
        family = self.families.get(key, frozenset())
        return EVERYONE in family and all(g in family for g in groups)

    def groups(self, key: str) -> frozenset[Group]:
        return self.families.get(key, frozenset())


EMPTY = ReleasePlan(k=0, families={})


def _figures(cycle_ids: list[int]) -> dict[int, dict[str, dict[Cell, int]]]:
    """Per survey, per figure key, the people behind it by cell (side and department). Four
    queries whatever the number of surveys: respondents, answers per question, free text,
    ratings per topic."""
    figures: dict[int, dict[str, dict[Cell, int]]] = defaultdict(lambda: defaultdict(dict))

    def add(cycle_id: int, key: str, side: str, department: str | None, n: int) -> None:
        c = cell(side=side, department=department or "")
        cells = figures[cycle_id][key]
        cells[c] = cells.get(c, 0) + n

    for cycle_id, side, department, n in (
        SurveyResponse.objects.filter(cycle_id__in=cycle_ids)
        .values_list("cycle_id", "side", "department")
        .annotate(n=Count("id"))
        .order_by()
    ):
        add(cycle_id, RESPONDENTS, side, department, n)
    # What each question shows is computed from these answers only: blank text and empty
    # choices are not shown, so they are not counted either.
    for cycle_id, question_id, side, department, n in (
        Answer.objects.filter(response__cycle_id__in=cycle_ids)
        .exclude(question__kind=Question.Kind.TEXT)
        .filter(Q(number__isnull=False) | ~Q(text="") | ~Q(choices=[]))
        .values_list("response__cycle_id", "question_id", "response__side", "response__department")
        .annotate(n=Count("response_id", distinct=True))
        .order_by()
    ):
        add(cycle_id, question_key(question_id), side, department, n)
    # Text is judged here by Python's own strip(), as the results page does: databases'
    # regular expressions disagree on Unicode spaces.
    for cycle_id, question_id, side, department, text in Answer.objects.filter(
        response__cycle_id__in=cycle_ids, question__kind=Question.Kind.TEXT
    ).values_list(
        "response__cycle_id", "question_id", "response__side", "response__department", "text"
    ):
        if text.strip():
            add(cycle_id, question_key(question_id), side, department, 1)
    for cycle_id, question_id, topic, side, department, n in (
        TopicRating.objects.filter(cycle_id__in=cycle_ids)
        .values_list("cycle_id", "question_id", "topic_name", "side", "department")
        .annotate(n=Count("id"))
        .order_by()
    ):
        add(cycle_id, topic_key(question_id, topic), side, department, n)
    return figures


def _plan(
    figures: dict[str, dict[Cell, int]], k: int, within: dict[str, Any] | None
) -> dict[str, Any]:
    """The plan of one survey; ``within`` (a stored plan) narrows, never widens: a figure it
    did not release stays unreleased."""
    previous = (within or {}).get("families", {})
    families = {}
    for key, cells in figures.items():
        if within is None:
            candidates = None
        else:
            candidates = decode(previous[key]) if key in previous else frozenset()
        families[key] = encode(release(cells, k, candidates=candidates))
    return {"k": k, "families": families}


def plans_write(*, cycles: Iterable[FeedbackCycle], k_of: dict[int, int]) -> None:
    """Fix the plans of these closed surveys (``k_of``: organisation id to its k), in four
    queries and one update. A survey that has a plan keeps it: summarising again must never
    widen what was released. Called in the closing transaction, which holds the row."""
    new = [c for c in cycles if c.release_plan is None]
    if not new:
        return
    figures = _figures([c.pk for c in new])
    for cycle in new:
        k = effective_k(k_of[cycle.organization_id])
        cycle.release_plan = _plan(figures.get(cycle.pk, {}), k, None)
    FeedbackCycle.objects.bulk_update(new, ["release_plan"], batch_size=200)


def _store(cycle: FeedbackCycle, k: int) -> dict[str, Any]:
    """Build (or narrow) and store the plan under the cycle's row lock, from the plan stored
    when the lock is taken: two requests never write plans built from different starting
    points, so a plan only ever narrows."""
    with transaction.atomic():
        stored = (
            FeedbackCycle.objects.select_for_update()
            .filter(pk=cycle.pk)
            .values_list("release_plan", flat=True)
            .get()
        )
        if stored is None or stored.get("k", 0) < k:
            stored = _plan(_figures([cycle.pk]).get(cycle.pk, {}), k, stored)
            FeedbackCycle.objects.filter(pk=cycle.pk).update(release_plan=stored)
    cycle.release_plan = stored
    return stored


def plans_narrow_all(*, k: int) -> int:
    """Narrow the plan of every closed survey in scope whose plan was made under a smaller k
    (or has none), in four queries and one update: called in the transaction that raises an
    organisation's k, so pages read stored plans only. Locks the rows, like :func:`_store`."""
    k = effective_k(k)
    with transaction.atomic():
        stale = [
            cycle
            for cycle in FeedbackCycle.objects.select_for_update().filter(
                status=FeedbackCycle.Status.CLOSED
            )
            if cycle.release_plan is None or cycle.release_plan.get("k", 0) < k
        ]
        figures = _figures([cycle.pk for cycle in stale])
        for cycle in stale:
            cycle.release_plan = _plan(figures.get(cycle.pk, {}), k, cycle.release_plan)
        FeedbackCycle.objects.bulk_update(stale, ["release_plan"], batch_size=200)
    return len(stale)


def plans_for(*, cycles: Iterable[FeedbackCycle], k: int) -> dict[int, ReleasePlan]:
    """The plans of these surveys for an organisation whose k is now ``k``: none for a survey
    still open (nothing is released before closing). A closed survey without a plan (closed
    before plans were kept) gets one now; one made under a smaller k is narrowed."""
    k = effective_k(k)
    result = {}
    for cycle in cycles:
        if cycle.status != FeedbackCycle.Status.CLOSED:
            result[cycle.pk] = EMPTY
            continue
        stored = cycle.release_plan
        if stored is None or stored.get("k", 0) < k:
            # Closed before plans were kept, or k raised without the settings service: made
            # once, here, and stored.
            stored = _store(cycle, k)
        result[cycle.pk] = ReleasePlan(
            k=max(k, int(stored["k"])),
            families=_Stored(stored["families"]),
        )
    return result
