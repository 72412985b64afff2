"""Participants: the HR directory, adding, deciding on applications, removal; self-enrolment,
a participant's own page, withdrawal and learning objectives."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorship.dbrouting import reads_from_replica
from mentorship.models import Role
from mentorship.tenancy import member_required, role_required
from mentorship.web import (
    error_text,
    paginate,
    posted,
    querystring_without_page,
    render_page_or_partial,
)
from programs import selectors
from programs.forms import (
    ApplicationForm,
    DirectoryFilterForm,
    ObjectiveForm,
    ObjectiveProgressForm,
    ParticipantEditForm,
    ParticipantForm,
    ProfileForm,
)
from programs.models import Participant, Program
from programs.services import objectives as objective_services
from programs.services import participants as participant_services
from programs.views._common import confirm, program_for, to_program

hr_only = role_required(Role.HR_ADMIN)


@require_GET
@reads_from_replica
@hr_only
def directory(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    form = DirectoryFilterForm(
        request.GET or None, departments=selectors.program_departments(program=program)
    )
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, selectors.participant_directory(program=program, filters=filters))
    context = {
        "program": program,
        "form": form,
        "page": page,
        "querystring": querystring_without_page(request),
    }
    return render_page_or_partial(
        request, "programs/directory.html", "programs/_directory_table.html", context
    )


@require_http_methods(["GET", "POST"])
@hr_only
def participant_add(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    form = ParticipantForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            participant = participant_services.participant_add(
                program=program,
                email=form.cleaned_data["email"],
                invited_by=request.user,
                offers=form.cleaned_data["offers"],
                wants=form.cleaned_data["wants"],
                **form.person_fields(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if participant.membership_id:
                text = _("%(name)s was added.")
            else:
                text = _("%(name)s was added. An invitation is on its way.")
            messages.success(request, text % {"name": participant.full_name})
            return to_program(request, program, "participant_directory")
    return render(request, "programs/participant_add.html", {"program": program, "form": form})


@require_GET
@hr_only
def participant_detail(
    request: HttpRequest, org_slug: str, program_slug: str, participant_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = selectors.participant_get(program=program, participant_id=participant_id)
    return render(
        request,
        "programs/participant_detail.html",
        {
            "program": program,
            "participant": participant,
            "objectives": selectors.objectives_of(participant=participant),
        },
    )


@require_POST
@hr_only
def participant_decide(
    request: HttpRequest, org_slug: str, program_slug: str, participant_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = selectors.participant_get(program=program, participant_id=participant_id)
    approve = request.POST.get("decision") == "approve"
    try:
        participant_services.participant_decide(
            participant=participant, approve=approve, actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if approve:
            text = _("The application of %(name)s was approved.")
        else:
            text = _("The application of %(name)s was declined.")
        messages.success(request, text % {"name": participant.full_name})
    return to_program(request, program, "participant_directory")


@require_http_methods(["GET", "POST"])
@hr_only
def participant_remove(
    request: HttpRequest, org_slug: str, program_slug: str, participant_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = selectors.participant_get(program=program, participant_id=participant_id)

    def remove() -> HttpResponse:
        participant_services.participant_remove(participant=participant, actor=request.user)
        messages.success(
            request,
            _("%(name)s was removed. Their history is kept.") % {"name": participant.full_name},
        )
        return to_program(request, program, "participant_directory")

    return confirm(
        request,
        program,
        act=remove,
        title=_("Remove %(name)s from %(program)s?")
        % {"name": participant.full_name, "program": program.name},
        text=_(
            "They leave the program and its matching at once. Their history "
            "(objectives, sessions, answers) is kept."
        ),
        button=_("Remove participant"),
        danger=True,
    )


@require_http_methods(["GET", "POST"])
@member_required
def program_apply(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    if program.status != Program.Status.ENROLLING:
        return render(request, "programs/apply_closed.html", {"program": program})
    form = ApplicationForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            participant_services.participant_apply(
                program=program,
                membership=request.membership,
                offers=form.cleaned_data["offers"],
                wants=form.cleaned_data["wants"],
                **form.person_fields(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Thank you! An HR admin will review your application."))
            return to_program(request, program)
    return render(request, "programs/apply.html", {"program": program, "form": form})


def _my_participation(
    request: HttpRequest, program: Program, *, acting: bool = True
) -> Participant:
    """The viewer's participation. To act (objectives, profile, withdrawal) it must be an
    application or an approved place; someone who left or was declined can only look."""
    participant = selectors.participant_of_member(program=program, membership=request.membership)
    if participant is None or (
        acting and participant.status not in selectors.ACTIVE_PARTICIPANT_STATUSES
    ):
        raise Http404("You are not in this program")
    return participant


@require_GET
@member_required
def my_participation(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = _my_participation(request, program, acting=False)
    modules = selectors.modules_of(program=program)
    done = selectors.completed_module_ids(participant=participant)
    return render(
        request,
        "programs/me.html",
        {
            "program": program,
            "participant": participant,
            "objectives": selectors.objectives_of(participant=participant),
            "modules": [(m, m.pk in done) for m in modules],
            "viewer_is_participant": True,
            "active": participant.status in selectors.ACTIVE_PARTICIPANT_STATUSES,
            "closed": program.status == Program.Status.CLOSED,
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def my_withdraw(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = _my_participation(request, program)

    def withdraw() -> HttpResponse:
        participant_services.participant_withdraw(participant=participant)
        messages.success(request, _("You have left %(program)s.") % {"program": program.name})
        return to_program(request, program)

    return confirm(
        request,
        program,
        act=withdraw,
        title=_("Leave %(program)s?") % {"program": program.name},
        text=_("You leave the program and its matching. No reason needed, no blame."),
        button=_("Leave the program"),
        danger=True,
    )


@require_http_methods(["GET", "POST"])
@member_required
def objective_new(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = _my_participation(request, program)
    form = ObjectiveForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            objective_services.objective_create(participant=participant, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Objective added."))
            return to_program(request, program, "my_participation")
    return render(request, "programs/objective_form.html", {"program": program, "form": form})


@require_http_methods(["GET", "POST"])
@member_required
def objective_edit(
    request: HttpRequest, org_slug: str, program_slug: str, objective_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = _my_participation(request, program)
    objective = selectors.objective_get(participant=participant, objective_id=objective_id)
    form = ObjectiveProgressForm(posted(request), instance=objective)
    if request.method == "POST" and form.is_valid():
        try:
            objective_services.objective_update(objective=objective, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Progress saved."))
            return to_program(request, program, "my_participation")
    return render(
        request,
        "programs/objective_form.html",
        {"program": program, "form": form, "objective": objective},
    )


@require_http_methods(["GET", "POST"])
@hr_only
def participant_edit(
    request: HttpRequest, org_slug: str, program_slug: str, participant_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = selectors.participant_get(program=program, participant_id=participant_id)
    form = ParticipantEditForm(posted(request), instance=participant)
    if request.method == "POST" and form.is_valid():
        return _save_person(request, program, participant, form, "participant_detail")
    return render(
        request,
        "programs/participant_edit.html",
        {"program": program, "participant": participant, "form": form},
    )


@require_http_methods(["GET", "POST"])
@member_required
def my_profile(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = _my_participation(request, program)
    form = ProfileForm(posted(request), instance=participant)
    if request.method == "POST" and form.is_valid():
        return _save_person(request, program, participant, form, "my_participation")
    return render(
        request,
        "programs/participant_edit.html",
        {"program": program, "participant": participant, "form": form, "own": True},
    )


def _save_person(
    request: HttpRequest, program: Program, participant: Participant, form: Any, then: str
) -> HttpResponse:
    try:
        participant_services.participant_update(
            participant=participant,
            actor=request.user,
            offers=form.cleaned_data["offers"],
            wants=form.cleaned_data["wants"],
            **form.person_fields(),
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return render(
            request,
            "programs/participant_edit.html",
            {"program": program, "participant": participant, "form": form},
        )
    messages.success(request, _("Details saved."))
    if then == "participant_detail":
        return redirect(
            then,
            org_slug=request.organization.slug,
            program_slug=program.slug,
            participant_id=participant.pk,
        )
    return to_program(request, program, then)
