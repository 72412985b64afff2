"""Mentor training: HR admins author modules; participants read and complete them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorship.models import Role
from mentorship.tenancy import member_required, role_required
from mentorship.web import posted
from programs import selectors
from programs.forms import ModuleForm
from programs.markdown import render_markdown
from programs.services import training as training_services
from programs.views._common import confirm, program_for, to_program

hr_only = role_required(Role.HR_ADMIN)


@require_GET
@member_required
def training(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    if request.membership.is_hr_admin:
        counts = selectors.program_counts(program=program)
        return render(
            request,
            "programs/training_admin.html",
            {
                "program": program,
                "modules": selectors.modules_with_completion(program=program),
                "approved": counts["juniors"] + counts["seniors"],
                "trained": counts["trained"],
            },
        )
    return to_program(request, program, "my_participation")


@require_http_methods(["GET", "POST"])
@hr_only
def module_edit(
    request: HttpRequest, org_slug: str, program_slug: str, module_id: int | None = None
) -> HttpResponse:
    program = program_for(request, program_slug)
    module = selectors.module_get(program=program, module_id=module_id) if module_id else None
    form = ModuleForm(posted(request), instance=module)
    if request.method == "POST" and form.is_valid():
        try:
            training_services.module_save(program=program, module=module, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Module saved."))
            return to_program(request, program, "training")
    return render(
        request, "programs/module_form.html", {"program": program, "form": form, "module": module}
    )


@require_GET
@member_required
def module_detail(
    request: HttpRequest, org_slug: str, program_slug: str, module_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    module = selectors.module_get(program=program, module_id=module_id)
    participant = selectors.participant_of_member(program=program, membership=request.membership)
    if participant is None and not request.membership.is_hr_admin:
        raise Http404("Not in this program")
    done = participant is not None and module.pk in selectors.completed_module_ids(
        participant=participant
    )
    return render(
        request,
        "programs/module_detail.html",
        {
            "program": program,
            "module": module,
            "body": render_markdown(module.body),
            "participant": participant,
            "done": done,
        },
    )


@require_POST
@member_required
def module_complete(
    request: HttpRequest, org_slug: str, program_slug: str, module_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    module = selectors.module_get(program=program, module_id=module_id)
    participant = selectors.participant_of_member(program=program, membership=request.membership)
    if participant is None or participant.status not in selectors.ACTIVE_PARTICIPANT_STATUSES:
        raise Http404("Not in this program")
    training_services.module_complete(module=module, participant=participant)
    messages.success(request, _("“%(module)s” marked as done.") % {"module": module.title})
    return to_program(request, program, "my_participation")


@require_http_methods(["GET", "POST"])
@hr_only
def module_delete(
    request: HttpRequest, org_slug: str, program_slug: str, module_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    module = selectors.module_get(program=program, module_id=module_id)

    def delete() -> HttpResponse:
        training_services.module_delete(module=module)
        messages.success(request, _("Module “%(module)s” deleted.") % {"module": module.title})
        return to_program(request, program, "training")

    return confirm(
        request,
        program,
        act=delete,
        title=_("Delete the module “%(module)s”?") % {"module": module.title},
        text=_(
            "Its text and the record of who completed it are deleted. Participants' "
            "training status is recomputed from the modules that remain."
        ),
        button=_("Delete module"),
        danger=True,
    )
