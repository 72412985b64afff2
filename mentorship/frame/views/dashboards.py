"""Sponsor and HR dashboards: the organisation's (programs the viewer sponsors; HR admins see
all) and one program's. Every figure is computed on the request; filters swap the body with
htmx; each table downloads as CSV with the same filters."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from mentorship.csv_export import csv_writer
from mentorship.dbrouting import reads_from_replica
from mentorship.frame import dashboards as selectors
from mentorship.frame.forms import DashboardFilterForm
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import render_page_or_partial
from programs.models import Program

TABLES = (
    "programs",
    "funnel",
    "coverage",
    "sessions",
    "cancellations",
    "objectives",
    "surveys",
    "skills",
    "taught",
    "at_risk",
)


def _board(request: HttpRequest, program: Program | None) -> dict[str, Any]:
    membership = request.membership
    named = membership.has_role(Role.HR_ADMIN)
    visible = selectors.dashboard_programs(membership=membership)
    if program is not None:
        if not visible.filter(pk=program.pk).exists():
            raise Http404("No such program")
        programs = [program]
    else:
        # Read once: the figures need the ids, the programs table the names.
        programs = list(visible.only("slug", "name", "status").order_by("name"))
    program_ids = [p.pk for p in programs]
    k = request.organization.anonymity_threshold
    people = selectors.people_by_department(program_ids=program_ids)
    departments = selectors.dashboard_departments(people=people, named=named)
    form = DashboardFilterForm(request.GET or None, departments=departments)
    filters = form.filters()
    board = selectors.dashboard(
        program_ids=program_ids, filters=filters, k=k, named=named, people=people
    )
    return {
        "form": form,
        "board": board,
        "program": program,
        "named": named,
        "rows": (selectors.program_rows(programs=programs, board=board) if program is None else []),
        "query": request.GET.urlencode(),
        "pair_url": _pair_url_prefix(request.organization.slug) if named else "",
        "inactivity_days": settings.PAIR_INACTIVITY_DAYS,
    }


def _pair_url_prefix(org_slug: str) -> str:
    """The address of a pair's page without its id: one ``reverse`` for the fifty pairs at risk
    listed, not fifty (the page's template adds each id and the closing slash)."""
    url = reverse("pair_detail", args=[org_slug, 0])
    if not url.endswith("/0/"):  # pragma: no cover - the pattern ends with the id
        raise ImproperlyConfigured("pair_detail's address must end with the pair's id")
    return url[: -len("0/")]


@require_GET
@reads_from_replica
@role_required(Role.HR_ADMIN, Role.SPONSOR)
def organization_dashboard(request: HttpRequest, org_slug: str) -> HttpResponse:
    context = _board(request, None)
    return render_page_or_partial(
        request, "mentorship/dashboard.html", "mentorship/_dashboard_body.html", context
    )


@require_GET
@reads_from_replica
@role_required(Role.HR_ADMIN, Role.SPONSOR)
def program_dashboard(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    context = _board(request, selectors.dashboard_program(slug=program_slug))
    return render_page_or_partial(
        request, "mentorship/dashboard.html", "mentorship/_dashboard_body.html", context
    )


@require_GET
@reads_from_replica
@role_required(Role.HR_ADMIN, Role.SPONSOR)
def organization_dashboard_csv(request: HttpRequest, org_slug: str, table: str) -> HttpResponse:
    return _csv(request, _board(request, None), table)


@require_GET
@reads_from_replica
@role_required(Role.HR_ADMIN, Role.SPONSOR)
def program_dashboard_csv(
    request: HttpRequest, org_slug: str, program_slug: str, table: str
) -> HttpResponse:
    return _csv(request, _board(request, selectors.dashboard_program(slug=program_slug)), table)


def _csv(request: HttpRequest, context: dict[str, Any], table: str) -> HttpResponse:
    """Exactly the figures of one table on the page: withheld ones say "withheld" (in the
    reader's language, like the headers; numbers and dates stay machine-readable)."""
    rows = table_rows(context, table)
    if rows is None:
        raise Http404("No such table")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    scope = context["program"].slug if context["program"] else request.organization.slug
    response["Content-Disposition"] = f'attachment; filename="{scope}-{table}.csv"'
    out = csv_writer(response)
    # Translators: a CSV cell of a figure below the anonymity threshold.
    withheld = _("withheld")
    for row in rows:
        out.writerow([withheld if value is None else value for value in row])
    return response


def table_rows(context: dict[str, Any], table: str) -> list[list[Any]] | None:
    board: selectors.Dashboard = context["board"]
    if table == "programs" and context["program"] is None:
        header = [_("program"), _("status"), _("approved"), _("matched"), _("active pairs")]
        return [
            header,
            *(
                [
                    r["program"].name,
                    r["program"].get_status_display(),
                    r["approved"],
                    r["matched"],
                    r["active_pairs"],
                ]
                for r in context["rows"]
            ),
        ]
    if table == "funnel":
        return [[_("stage"), _("people")], *([stage, n] for stage, n in board.funnel)]
    if table == "coverage":
        return [
            [_("side"), _("approved"), _("matched")],
            *([s, a, m] for s, a, m in board.coverage),
        ]
    if table == "sessions":
        return [
            [_("week"), _("sessions"), _("hours")],
            *([w.isoformat(), n, h] for w, n, h in board.weeks),
        ]
    if table == "cancellations":
        return [[_("cancelled by"), _("meetings")], *([s, n] for s, n in board.cancellations)]
    if table == "objectives":
        o = board.objectives
        return [
            [_("figure"), _("value")],
            [_("objectives"), o["count"]],
            [_("average progress (%)"), round(o["average_progress"] or 0)],
            [_("not started"), o["not_started"]],
            [_("under way"), o["under_way"]],
            [_("reached"), o["reached"]],
        ]
    if table == "surveys":
        return [
            [
                _("survey"),
                _("program"),
                _("invited"),
                _("answered"),
                _("response rate (%)"),
                _("satisfaction (1-5)"),
                _("NPS"),
            ],
            *(
                [p.label, p.program, p.invited, p.answered, p.rate, p.satisfaction, p.nps]
                for p in board.surveys
            ),
        ]
    if table == "skills":
        return [
            [_("topic"), _("before"), _("after"), _("change")],
            *(list(row) for row in board.skills),
        ]
    if table == "taught":
        return [[_("topic"), _("sessions juniors logged"), _("sessions seniors logged")]] + [
            list(row) for row in board.taught
        ]
    if table == "at_risk":
        if not context["named"]:
            return [[_("pairs at risk")], [board.at_risk_count]]
        return [[_("program"), _("junior"), _("senior"), _("why")]] + [
            [item.program, item.junior, item.senior, "; ".join(item.reasons)]
            for item in board.at_risk
        ]
    return None
