"""Totals of closed surveys, written once at closing for dashboards to read.

A closed survey's answers and invitations never change again, so totals computed in the closing
transaction stay exact: dashboards remain live (nothing is refreshed on a timer) while reading a
few hundred summary rows instead of every answer. What may be *shown* of them is decided by the
survey's release plan (``feedback.release_plans``), fixed here too.
"""

from __future__ import annotations

from django.db import models

from feedback.models import Answer, FeedbackCycle, Question, QuestionSummary, SurveyInvitation
from feedback.release_plans import plans_write

NUMERIC = (Question.Kind.LIKERT, Question.Kind.NPS)


def summarize_cycles(*, cycle_ids: list[int]) -> None:
    """(Re)write the summaries of these closed cycles: per numeric question, side and
    department, the number of answers, their sum, and NPS promoters and detractors; per cycle,
    how many were invited and how many answered; and each cycle's release plan."""
    if not cycle_ids:
        return
    cycles = {
        c.pk: c
        for c in FeedbackCycle.objects.filter(pk__in=cycle_ids).select_related("organization")
    }
    QuestionSummary.objects.filter(cycle_id__in=cycles).delete()
    rows = (
        Answer.objects.filter(
            response__cycle_id__in=cycles, question__kind__in=NUMERIC, number__isnull=False
        )
        .values("response__cycle_id", "question_id", "response__side", "response__department")
        .annotate(
            n=models.Count("id"),
            total=models.Sum("number"),
            promoters=models.Count("id", filter=models.Q(number__gte=9)),
            detractors=models.Count("id", filter=models.Q(number__lte=6)),
        )
        .order_by()
    )
    QuestionSummary.objects.bulk_create(
        [
            QuestionSummary(
                organization_id=cycles[row["response__cycle_id"]].organization_id,
                cycle_id=row["response__cycle_id"],
                question_id=row["question_id"],
                side=row["response__side"],
                department=row["response__department"],
                count=row["n"],
                total=row["total"],
                promoters=row["promoters"],
                detractors=row["detractors"],
            )
            for row in rows
        ],
        batch_size=2000,
    )
    counts = (
        SurveyInvitation.objects.filter(cycle_id__in=cycles)
        .values("cycle_id")
        .annotate(
            invited=models.Count("id"),
            answered=models.Count("id", filter=models.Q(answered=True)),
        )
        .order_by()
    )
    by_cycle = {row["cycle_id"]: row for row in counts}
    for pk, cycle in cycles.items():
        if cycle.closed_answered is not None:
            # Counted once: closing an anonymous survey then forgets who answered, so a
            # second count would find nobody.
            continue
        cycle.closed_invited = by_cycle.get(pk, {}).get("invited", 0)
        cycle.closed_answered = by_cycle.get(pk, {}).get("answered", 0)
    FeedbackCycle.objects.bulk_update(
        list(cycles.values()), ["closed_invited", "closed_answered"], batch_size=500
    )
    plans_write(
        cycles=cycles.values(),
        k_of={c.organization_id: c.organization.anonymity_threshold for c in cycles.values()},
    )
