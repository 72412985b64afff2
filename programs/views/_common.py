"""What the programs views share."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from programs import selectors
from programs.models import Program


def program_for(request: HttpRequest, program_slug: str) -> Program:
    """The program, if the viewer may see it; 404 otherwise (missing or not theirs alike)."""
    return selectors.program_get_for_member(membership=request.membership, slug=program_slug)


def to_program(
    request: HttpRequest, program: Program, name: str = "program_detail"
) -> HttpResponse:
    return redirect(name, org_slug=request.organization.slug, program_slug=program.slug)


def confirm_page(
    request: HttpRequest,
    program: Program,
    *,
    title: str,
    text: str,
    button: str,
    error: str = "",
    danger: bool = False,
    problems: list[str] | None = None,
) -> HttpResponse:
    """The page that asks before an action that cannot be taken back (or says why not yet)."""
    return render(
        request,
        "programs/confirm.html",
        {
            "program": program,
            "title": title,
            "text": text,
            "button": button,
            "error": error,
            "danger": danger,
            "problems": problems or [],
        },
    )
