"""The session plan: HR admins write the program's conversation guides (one per session, in
order); the program's participants read them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from mentorship.models import Role
from mentorship.tenancy import member_required, role_required
from mentorship.web import confirm_then_act, error_text, posted, posted_number
from programs import selectors
from programs.forms import GuideForm
from programs.guides import guide_get, guide_rendered, session_plan_of
from programs.models import Program
from programs.services import guides as guide_services
from programs.views._common import program_for, to_program

hr_only = role_required(Role.HR_ADMIN)


def _plan_action(request: HttpRequest, program: Program) -> None:
    """A button of the plan's page (HR admins only): move a session, or start from the
    built-in plan. Each says what happened in a message."""
    action = request.POST.get("action", "")
    if action == "builtin":
        try:
            count = guide_services.session_plan_use_builtin(program=program)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "The built-in %(count)s-session plan is in place. Edit it freely.",
                    "The built-in %(count)s-session plan is in place. Edit it freely.",
                    count,
                )
                % {"count": count},
            )
        return
    guide_id = posted_number(request, "guide")
    if action not in ("up", "down") or guide_id is None:
        messages.error(request, _("Choose a session to move."))
        return
    guide = guide_get(program=program, guide_id=guide_id)
    if guide_services.guide_move(guide=guide, direction=action):
        messages.success(
            request,
            _("“%(title)s” is now session %(position)s.")
            % {"title": guide.title, "position": guide.position},
        )
    else:
        # Already at that end of the plan (no button offers it), or another HR admin deleted
        # the session between the page and the click.
        messages.info(
            request,
            _("“%(title)s” did not move: the plan has changed meanwhile.") % {"title": guide.title},
        )


@require_http_methods(["GET", "POST"])
@member_required
def session_plan(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    can_edit = request.membership.is_hr_admin
    if not can_edit and (
        selectors.participant_of_member(program=program, membership=request.membership) is None
    ):
        raise Http404("Not in this program")
    if request.method == "POST":
        if not can_edit:
            raise Http404("Only HR admins edit the session plan")
        _plan_action(request, program)
        return to_program(request, program, "session_plan")
    guides = [guide_rendered(guide) for guide in session_plan_of(program=program)]
    return render(
        request,
        "programs/session_plan.html",
        {
            "program": program,
            "guides": guides,
            "can_edit": can_edit,
            "viewer_is_participant": not can_edit,
            "max_sessions": guide_services.MAX_SESSION_GUIDES,
        },
    )


@require_http_methods(["GET", "POST"])
@hr_only
def guide_edit(
    request: HttpRequest, org_slug: str, program_slug: str, guide_id: int | None = None
) -> HttpResponse:
    program = program_for(request, program_slug)
    # None only on the "add" URL, which passes no id: session-plan/0/edit/ is a missing guide
    # (a 404), not a new one.
    guide = guide_get(program=program, guide_id=guide_id) if guide_id is not None else None
    form = GuideForm(posted(request), instance=guide)
    if request.method == "POST" and form.is_valid():
        try:
            guide_services.guide_save(program=program, guide=guide, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Session saved."))
            return to_program(request, program, "session_plan")
    return render(
        request, "programs/guide_form.html", {"program": program, "form": form, "guide": guide}
    )


@require_http_methods(["GET", "POST"])
@hr_only
def guide_delete(
    request: HttpRequest, org_slug: str, program_slug: str, guide_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    guide = guide_get(program=program, guide_id=guide_id)

    def delete() -> HttpResponse:
        if guide_services.guide_delete(guide=guide):
            messages.success(request, _("Session “%(title)s” deleted.") % {"title": guide.title})
        else:
            # A double click, or two HR admins at once: the first request deleted it.
            messages.info(
                request, _("Session “%(title)s” was already deleted.") % {"title": guide.title}
            )
        return to_program(request, program, "session_plan")

    return confirm_then_act(
        request,
        template="programs/guide_delete.html",
        context={"program": program, "guide": guide},
        act=delete,
    )
