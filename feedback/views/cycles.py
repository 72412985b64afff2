"""HR admins schedule a program's surveys; HR admins and its sponsors see them listed with
the program's overview."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from feedback import results as feedback_results
from feedback import selectors
from feedback.forms import CycleForm
from feedback.services import cycles as cycle_services
from feedback.services import templates as template_services
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import posted
from programs import selectors as program_selectors


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN, Role.SPONSOR)
def cycles(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_selectors.program_get_for_member(
        membership=request.membership, slug=program_slug
    )
    if not selectors.may_read_results(membership=request.membership, program=program):
        raise Http404("Not your program")
    template_services.templates_ensure_builtin(organization=request.organization)
    form = CycleForm(posted(request), initial={"opens_at": timezone.now()})
    if request.method == "POST":
        if not request.membership.is_hr_admin:
            raise Http404("HR admins schedule surveys")
        if form.is_valid():
            data = form.cleaned_data
            try:
                cycle_services.cycle_create(
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
                    request, _("Survey scheduled. Invitations go out by email when it opens.")
                )
                return redirect("feedback_cycles", org_slug=org_slug, program_slug=program.slug)
    rows = selectors.cycle_rows(program=program, k=request.organization.anonymity_threshold)
    overview = feedback_results.program_results(
        program=program, k=request.organization.anonymity_threshold
    )
    return render(
        request,
        "feedback/cycles.html",
        {"program": program, "rows": rows, "form": form, "overview": overview},
    )
