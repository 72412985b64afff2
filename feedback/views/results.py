"""A survey's k-anonymous results, for HR admins and the program's sponsors: the page and its
CSV export, which render the same structure (an export never shows more than the page)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from feedback import results as feedback_results
from feedback import selectors
from mentorship.csv_export import csv_writer
from mentorship.dbrouting import reads_from_replica
from mentorship.tenancy import member_required
from programs import selectors as program_selectors


def _results(
    request: HttpRequest, program_slug: str, cycle_id: int
) -> feedback_results.CycleResults:
    program = program_selectors.program_get_for_member(
        membership=request.membership, slug=program_slug
    )
    if not selectors.may_read_results(membership=request.membership, program=program):
        raise Http404("Not your program")
    cycle = selectors.cycle_get_for_program(program=program, cycle_id=cycle_id)
    filters = {key: request.GET.get(key, "")[:80] for key in ("side", "department")}
    return feedback_results.cycle_results(
        cycle=cycle,
        k=request.organization.anonymity_threshold,
        filters=filters,
        # Names of attributed answers: HR admins only, never sponsors.
        show_names=request.membership.is_hr_admin,
    )


@require_GET
@reads_from_replica
@member_required
def cycle_results(
    request: HttpRequest, org_slug: str, program_slug: str, cycle_id: int
) -> HttpResponse:
    result = _results(request, program_slug, cycle_id)
    return render(request, "feedback/results.html", {"r": result, "program": result.cycle.program})


@require_GET
@reads_from_replica
@member_required
def cycle_results_csv(
    request: HttpRequest, org_slug: str, program_slug: str, cycle_id: int
) -> HttpResponse:
    """The same figures as the page, withheld ones included as "withheld"."""
    r = _results(request, program_slug, cycle_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="survey-{r.cycle.pk}-results.csv"'
    out = csv_writer(response)
    # Column headers and row labels (the pgettext contexts tell translators which).
    out.writerow(
        [
            pgettext("CSV header", "question"),
            pgettext("CSV header", "item"),
            pgettext("CSV header", "value"),
        ]
    )
    withheld = pgettext("CSV value", "withheld")
    out.writerow(["", pgettext("CSV item", "invited"), r.invited])
    out.writerow(
        ["", pgettext("CSV item", "answered"), withheld if r.answered is None else r.answered]
    )
    if r.withheld:
        out.writerow(["", pgettext("CSV item", "results"), _("withheld: fewer than k respondents")])
        return response
    by_department = _("respondents by department")
    for name, count in r.departments:
        out.writerow([by_department, name, withheld if count is None else count])
    respondents = pgettext("CSV item", "respondents")
    average = pgettext("CSV item", "average")
    answer = pgettext("CSV item", "answer")
    for q in r.questions:
        if q.withheld:
            out.writerow([q.question.text, "", withheld])
        elif q.summary is not None:
            out.writerow([q.question.text, respondents, q.summary.count])
            out.writerow([q.question.text, average, round(q.summary.average or 0, 2)])
            if q.summary.nps is not None:
                out.writerow([q.question.text, "NPS", q.summary.nps])
            for value, n in q.summary.distribution.items():
                out.writerow([q.question.text, value, n])
        for choice, n in q.choices:
            out.writerow([q.question.text, choice, n])
        for topic, summary in q.topics:
            out.writerow(
                [
                    q.question.text,
                    topic,
                    withheld if summary is None else round(summary.average, 2),
                ]
            )
        for text in q.texts:
            out.writerow([q.question.text, answer, text])
    return response
