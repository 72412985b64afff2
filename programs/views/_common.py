"""What the programs views share."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from mentorship.web import confirm_then_act
from programs import selectors
from programs.models import Program

CONFIRM_TEMPLATE = "programs/confirm.html"


def program_for(request: HttpRequest, program_slug: str) -> Program:
    """The program, if the viewer may see it; 404 otherwise (missing or not theirs alike)."""
    return selectors.program_get_for_member(membership=request.membership, slug=program_slug)


def to_program(
    request: HttpRequest, program: Program, name: str = "program_detail"
) -> HttpResponse:
    return redirect(name, org_slug=request.organization.slug, program_slug=program.slug)


def _confirm_context(
    program: Program,
    *,
    title: str,
    text: str,
    button: str,
    danger: bool = False,
    problems: list[str] | None = None,
) -> dict:
    return {
        "program": program,
        "title": title,
        "text": text,
        "button": button,
        "danger": danger,
        "problems": problems or [],
    }


def confirm_page(
    request: HttpRequest,
    program: Program,
    *,
    title: str,
    text: str,
    button: str,
    danger: bool = False,
    problems: list[str] | None = None,
) -> HttpResponse:
    """The page that asks before an action that cannot be taken back, or says why not yet."""
    context = _confirm_context(
        program, title=title, text=text, button=button, danger=danger, problems=problems
    )
    return render(request, CONFIRM_TEMPLATE, {**context, "error": ""})


def confirm(
    request: HttpRequest,
    program: Program,
    *,
    act: Callable[[], HttpResponse],
    title: str,
    text: str,
    button: str,
    danger: bool = False,
) -> HttpResponse:
    """Ask with :func:`confirm_page`'s page, then ``act`` on POST; a refusal shows the page again
    with the reason (:func:`mentorship.web.confirm_then_act`)."""
    return confirm_then_act(
        request,
        template=CONFIRM_TEMPLATE,
        context=_confirm_context(program, title=title, text=text, button=button, danger=danger),
        act=act,
    )
