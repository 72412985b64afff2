"""Programs: list, create (blank or from a template), settings, lifecycle, copies, export."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorship.models import Role
from mentorship.tenancy import member_required, role_required
from mentorship.web import error_text, posted, posted_number
from programs import selectors
from programs.forms import ConfigImportForm, ProgramCreateForm, ProgramForm, SponsorForm
from programs.models import Program
from programs.services import configs as config_services
from programs.services import programs as program_services
from programs.services import sponsors as sponsor_services
from programs.views._common import confirm, confirm_page, program_for, to_program

hr_only = role_required(Role.HR_ADMIN)


@require_GET
@member_required
def program_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    show_archived = request.GET.get("archived") == "1" and request.membership.is_hr_admin
    programs = selectors.programs_for_member(
        membership=request.membership, include_archived=show_archived
    )
    return render(
        request,
        "programs/program_list.html",
        {"programs": programs, "show_archived": show_archived},
    )


@require_http_methods(["GET", "POST"])
@hr_only
def program_new(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = ProgramCreateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        template, name = form.cleaned_data["template"], form.cleaned_data["name"]
        if template:
            program = config_services.program_create_from_template(
                organization=request.organization, template=template, name=name
            )
            messages.success(
                request, _("Program created from the template. Review the settings and dates.")
            )
        else:
            program = program_services.program_create(organization=request.organization, name=name)
            messages.success(request, _("Program created. Fill in its settings."))
        return to_program(request, program, "program_edit")
    return render(request, "programs/program_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@hr_only
def program_import(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = ConfigImportForm(posted(request), request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            program = config_services.program_create_from_config(
                organization=request.organization,
                data=form.cleaned_data["file"].read(),
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(
                request, _("“%(program)s” was imported as a draft.") % {"program": program.name}
            )
            return to_program(request, program)
    return render(request, "programs/program_import.html", {"form": form, "problems": problems})


@require_GET
@member_required
def program_detail(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    membership = request.membership
    context = {
        "program": program,
        "my_participation": selectors.participant_of_member(program=program, membership=membership),
    }
    # Figures are for HR admins and the sponsors of this program, not every sponsor.
    if membership.is_hr_admin or (
        membership.is_sponsor and selectors.sponsors_program(program=program, membership=membership)
    ):
        context["counts"] = selectors.program_counts(program=program)
        context["sponsors"] = selectors.program_sponsors(program=program)
    if membership.is_hr_admin:
        context["next_steps"] = [
            (
                target,
                Program.Status(target).label,
                program_services.program_transition_problems(program=program, target=target),
            )
            for target in sorted(program_services.TRANSITIONS[program.status])
        ]
        context["sponsor_form"] = SponsorForm(
            candidates=selectors.sponsor_candidates(program=program)
        )
    return render(request, "programs/program_detail.html", context)


@require_http_methods(["GET", "POST"])
@hr_only
def program_edit(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    form = ProgramForm(posted(request), instance=program)
    if request.method == "POST" and form.is_valid():
        try:
            program_services.program_update(
                program=program, data=form.settings(), topics=form.cleaned_data["topics"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Settings saved."))
            return to_program(request, program)
    return render(request, "programs/program_edit.html", {"program": program, "form": form})


@require_http_methods(["GET", "POST"])
@hr_only
def program_duplicate(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)

    def duplicate() -> HttpResponse:
        copy = program_services.program_duplicate(program=program)
        messages.success(
            request,
            _("“%(program)s” is a draft copy with the same settings.") % {"program": copy.name},
        )
        return to_program(request, copy, "program_edit")

    return confirm(
        request,
        program,
        act=duplicate,
        title=_("Copy “%(program)s”?") % {"program": program.name},
        text=_(
            "The copy gets the same settings, topics and training modules, "
            "but no participants. It starts as a draft."
        ),
        button=_("Make a copy"),
    )


@require_http_methods(["GET", "POST"])
@hr_only
def program_archive(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    if program.archived_at:

        def restore() -> HttpResponse:
            program_services.program_restore(program=program)
            messages.success(request, _("“%(program)s” was restored.") % {"program": program.name})
            return to_program(request, program)

        return confirm(
            request,
            program,
            act=restore,
            title=_("Restore “%(program)s”?") % {"program": program.name},
            text=_("It comes back to the list of programs, in the state it had."),
            button=_("Restore"),
        )

    def archive() -> HttpResponse:
        program_services.program_archive(program=program)
        messages.success(request, _("“%(program)s” was archived.") % {"program": program.name})
        return redirect("program_list", org_slug=org_slug)

    return confirm(
        request,
        program,
        act=archive,
        title=_("Archive “%(program)s”?") % {"program": program.name},
        text=_(
            "Archived programs leave the list (HR admins can still show them). Nothing is deleted."
        ),
        button=_("Archive"),
        danger=True,
    )


STATUS_CONFIRMATIONS = {
    Program.Status.ENROLLING: gettext_lazy(
        "People can apply through the self-enrolment form, and HR admins approve them."
    ),
    Program.Status.MATCHING: gettext_lazy("Enrolment closes and matching can start."),
    Program.Status.ACTIVE: gettext_lazy("Pairs start meeting; reminders and check-ins begin."),
    Program.Status.CLOSED: gettext_lazy(
        "The program ends for everyone: participants give their final "
        "self-ratings, end-of-program surveys go out, and no new sessions can be logged. "
        "This cannot be undone."
    ),
    Program.Status.DRAFT: gettext_lazy("The program goes back to draft; applications stop."),
}
# Per status, whole sentences: the page's title, its button and the message after the move
# (a status is not a word to lower-case into any sentence in every language).
STATUS_MOVES = {
    Program.Status.DRAFT: (
        gettext_lazy("Move “%(program)s” to draft?"),
        gettext_lazy("Yes, move to draft"),
        gettext_lazy("“%(program)s” is now draft."),
    ),
    Program.Status.ENROLLING: (
        gettext_lazy("Move “%(program)s” to enrolling?"),
        gettext_lazy("Yes, move to enrolling"),
        gettext_lazy("“%(program)s” is now enrolling."),
    ),
    Program.Status.MATCHING: (
        gettext_lazy("Move “%(program)s” to matching?"),
        gettext_lazy("Yes, move to matching"),
        gettext_lazy("“%(program)s” is now matching."),
    ),
    Program.Status.ACTIVE: (
        gettext_lazy("Move “%(program)s” to active?"),
        gettext_lazy("Yes, move to active"),
        gettext_lazy("“%(program)s” is now active."),
    ),
    Program.Status.CLOSED: (
        gettext_lazy("Move “%(program)s” to closed?"),
        gettext_lazy("Yes, move to closed"),
        gettext_lazy("“%(program)s” is now closed."),
    ),
}


@require_http_methods(["GET", "POST"])
@hr_only
def program_transition(
    request: HttpRequest, org_slug: str, program_slug: str, target: str
) -> HttpResponse:
    program = program_for(request, program_slug)
    if target not in Program.Status.values:
        raise Http404("No such status")
    problems = program_services.program_transition_problems(program=program, target=target)
    title, button, _done = STATUS_MOVES[Program.Status(target)]
    page = {
        "title": str(title) % {"program": program.name},
        "text": str(STATUS_CONFIRMATIONS[Program.Status(target)]),
        "button": str(button),
        "danger": target == Program.Status.CLOSED,
    }
    if problems:  # said on the page, which offers no button
        return confirm_page(request, program, problems=problems, **page)

    def move() -> HttpResponse:
        program_services.program_transition(program=program, target=target, actor=request.user)
        done = STATUS_MOVES[Program.Status(program.status)][2]
        messages.success(request, str(done) % {"program": program.name})
        return to_program(request, program)

    return confirm(request, program, act=move, **page)


@require_GET
@hr_only
def program_export(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    body = json.dumps(config_services.program_export(program=program), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{program.slug}.program.json"'
    return response


@require_POST
@hr_only
def program_sponsors(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    if "remove" in request.POST:
        membership_id = posted_number(request, "remove")
        if membership_id is None:
            messages.error(request, _("That sponsor is no longer on the program."))
        else:
            sponsor_services.program_sponsor_remove(program=program, membership_id=membership_id)
            messages.success(request, _("Sponsor removed."))
        return to_program(request, program)
    form = SponsorForm(request.POST, candidates=selectors.sponsor_candidates(program=program))
    if form.is_valid():
        try:
            sponsor_services.program_sponsor_add(
                program=program, membership=form.cleaned_data["membership"]
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Sponsor added."))
    else:
        messages.error(request, _("Choose a member with the executive sponsor role."))
    return to_program(request, program)
