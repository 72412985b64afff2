"""HR admins schedule cycles; HR admins and the program's sponsors read k-anonymous results."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from feedback import results as feedback_results
from feedback import services
from feedback.forms import CycleForm
from feedback.models import FeedbackCycle, SurveyInvitation
from mentorship.csv_export import csv_writer
from mentorship.models import Role
from mentorship.tenancy import member_required, role_required
from mentorship.web import posted
from programs import selectors as program_selectors
from programs.models import Program
from programs.views._common import program_for


def _may_read_results(request: HttpRequest, program: Program) -> bool:
    membership = request.membership
    return membership.is_hr_admin or (
        membership.is_sponsor
        and program_selectors.sponsors_program(program=program, membership=membership)
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN, Role.SPONSOR)
def cycles(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    if not _may_read_results(request, program):
        raise Http404("Not your program")
    services.templates_ensure_builtin(organization=request.organization)
    form = CycleForm(posted(request), initial={"opens_at": timezone.now()})
    if request.method == "POST":
        if not request.membership.is_hr_admin:
            raise Http404("HR admins schedule surveys")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.cycle_create(
                    program=program,
                    template=data["template"],
                    opens_at=data["opens_at"],
                    title=data["title"],
                    audience=data["audience"],
                    repeat_weeks=data["repeat_weeks"],
                    open_days=data["open_days"],
                    remind_after_days=data["remind_after_days"],
                    anonymous=data["anonymous"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, "Survey scheduled. Invitations go out by email when it opens."
                )
                return redirect("feedback_cycles", org_slug=org_slug, program_slug=program.slug)
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
    k = request.organization.anonymity_threshold
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
                feedback_results.answered_shown(cycle=c, invited=invited, answered=answered, k=k)
                if closed
                else None,
            )
        )
    overview = feedback_results.program_results(
        program=program, k=request.organization.anonymity_threshold
    )
    return render(
        request,
        "feedback/cycles.html",
        {"program": program, "rows": rows, "form": form, "overview": overview},
    )


def _results(
    request: HttpRequest, program_slug: str, cycle_id: int
) -> feedback_results.CycleResults:
    program = program_for(request, program_slug)
    if not _may_read_results(request, program):
        raise Http404("Not your program")
    try:
        cycle = program.feedback_cycles.select_related("version").get(pk=cycle_id)
    except FeedbackCycle.DoesNotExist as exc:
        raise Http404("No such survey") from exc
    filters = {key: request.GET.get(key, "")[:80] for key in ("side", "department")}
    return feedback_results.cycle_results(
        cycle=cycle,
        k=request.organization.anonymity_threshold,
        filters=filters,
        # Names of attributed answers: HR admins only, never sponsors.
        show_names=request.membership.is_hr_admin,
    )


@require_GET
@member_required
def cycle_results(
    request: HttpRequest, org_slug: str, program_slug: str, cycle_id: int
) -> HttpResponse:
    result = _results(request, program_slug, cycle_id)
    return render(request, "feedback/results.html", {"r": result, "program": result.cycle.program})


@require_GET
@member_required
def cycle_results_csv(
    request: HttpRequest, org_slug: str, program_slug: str, cycle_id: int
) -> HttpResponse:
    """The same figures as the page, withheld ones included as "withheld"."""
    r = _results(request, program_slug, cycle_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="survey-{r.cycle.pk}-results.csv"'
    out = csv_writer(response)
    out.writerow(["question", "item", "value"])
    out.writerow(["", "invited", r.invited])
    out.writerow(["", "answered", "withheld" if r.answered is None else r.answered])
    if r.withheld:
        out.writerow(["", "results", "withheld: fewer than k respondents"])
        return response
    for name, count in r.departments:
        out.writerow(["respondents by department", name, "withheld" if count is None else count])
    for q in r.questions:
        if q.withheld:
            out.writerow([q.question.text, "", "withheld"])
        elif q.summary is not None:
            out.writerow([q.question.text, "respondents", q.summary.count])
            out.writerow([q.question.text, "average", round(q.summary.average or 0, 2)])
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
                    "withheld" if summary is None else round(summary.average, 2),
                ]
            )
        for text in q.texts:
            out.writerow([q.question.text, "answer", text])
    return response
