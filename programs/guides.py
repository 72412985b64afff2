"""Reads of a program's session plan (its conversation guides), for the programs pages.

Which guide a pair's meeting follows is the pairings app's question (``pairings.guides``).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from programs.markdown import render_markdown
from programs.models import Program, SessionGuide

# What a guide holds, in the order a page, the JSON export and the copy of a plan list it.
GUIDE_FIELDS = ["title", "purpose", "agenda", "junior_questions", "senior_questions"]


def session_plan_of(*, program: Program) -> QuerySet[SessionGuide]:
    return program.session_guides.order_by("position", "id")


def guide_get(*, program: Program, guide_id: int) -> SessionGuide:
    """A guide of this program; 404 otherwise (another program's or organisation's alike)."""
    try:
        return program.session_guides.get(pk=guide_id)
    except SessionGuide.DoesNotExist as exc:
        raise Http404("No such session guide") from exc


def guide_rendered(guide: SessionGuide) -> dict[str, object]:
    """The guide with its Markdown rendered safely (as training modules are), for a page."""
    return {
        "guide": guide,
        "agenda": render_markdown(guide.agenda, top_heading=4) if guide.agenda.strip() else "",
        "junior_questions": (
            render_markdown(guide.junior_questions, top_heading=4)
            if guide.junior_questions.strip()
            else ""
        ),
        "senior_questions": (
            render_markdown(guide.senior_questions, top_heading=4)
            if guide.senior_questions.strip()
            else ""
        ),
    }
