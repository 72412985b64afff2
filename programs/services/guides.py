"""Writes of a program's session plan: add, edit, delete and move a conversation guide, and
copy a whole plan (from the built-in template, an imported file or another program).

Positions run from 1 without gaps (a pair's n-th meeting shows the guide at position n). The
database refuses two guides at one position, and checks that row by row, so a shift of several
rows goes through a temporary offset above every real position, and each write locks the
program's row first: two HR admins editing one plan at once take turns instead of colliding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from programs.guides import GUIDE_FIELDS
from programs.library import TEMPLATES
from programs.models import Program, SessionGuide

# A plan longer than this is not a plan any pair follows, and bounds what an imported file
# may create.
MAX_SESSION_GUIDES = 20
# The Markdown of an agenda or a list of questions: a few hundred characters in practice.
MAX_GUIDE_TEXT = 4000
# Above every real position (at most MAX_SESSION_GUIDES), below the column's limit (32767).
_SHIFT = 1000
BUILTIN_PLAN_TEMPLATE = "digital-fluency"


def _lock(program: Program) -> None:
    Program.objects.select_for_update().filter(pk=program.pk).first()


def _position_now(program: Program, guide: SessionGuide) -> int | None:
    """The guide's position as the database has it now (called under the program's lock), or
    None when it was deleted: the caller's copy was loaded before the lock and may predate a
    delete or a move that committed while this request waited."""
    return program.session_guides.filter(pk=guide.pk).values_list("position", flat=True).first()


def guide_limits() -> dict[str, int]:
    """The longest text each field takes (the form and the import check the same bounds)."""
    return {
        name: SessionGuide._meta.get_field(name).max_length or MAX_GUIDE_TEXT
        for name in GUIDE_FIELDS
    }


def guide_problems(fields: Mapping[str, Any], *, label: str = "") -> list[str]:
    """What is wrong with a guide's fields, in words for the person who wrote them. ``label``
    names the guide ("Session 3"); by default "The session"."""
    label = label or _("The session")
    problems = []
    for name, limit in guide_limits().items():
        value = fields.get(name, "")
        if not isinstance(value, str):
            problems.append(
                _("%(session)s: “%(field)s” must be text.") % {"session": label, "field": name}
            )
        elif len(value) > limit:
            problems.append(
                _("%(session)s: “%(field)s” is longer than %(limit)s characters.")
                % {"session": label, "field": name, "limit": limit}
            )
    title = fields.get("title", "")
    if isinstance(title, str) and not title.strip():
        problems.append(_("%(session)s needs a title.") % {"session": label})
    return problems


def _check(fields: Mapping[str, Any]) -> dict[str, str]:
    problems = guide_problems(fields)
    if problems:
        raise ValidationError(problems)
    return {name: str(fields.get(name, "")).strip() for name in GUIDE_FIELDS}


# What a write on a guide another HR admin deleted meanwhile says (their request loaded the
# guide before the delete committed).
GUIDE_GONE = gettext_lazy(
    "This session was deleted meanwhile (by another HR admin?): nothing was changed."
)


def guide_save(*, program: Program, guide: SessionGuide | None, **fields: Any) -> SessionGuide:
    """Edit a guide, or add one (``guide=None``) at the end of the plan. Editing a guide that
    was deleted meanwhile is refused: ``save()`` would INSERT the deleted row again."""
    clean = _check(fields)
    with transaction.atomic():
        _lock(program)
        if guide is not None:
            # An UPDATE of the row only if it still exists (under the program's lock, so a
            # delete cannot slip in between), never the INSERT of a vanished one.
            if not program.session_guides.filter(pk=guide.pk).update(**clean):
                raise ValidationError(GUIDE_GONE)
            for name, value in clean.items():
                setattr(guide, name, value)
            return guide
        count = program.session_guides.count()
        if count >= MAX_SESSION_GUIDES:
            raise ValidationError(
                _("A session plan has at most %(max)s sessions.") % {"max": MAX_SESSION_GUIDES}
            )
        last = program.session_guides.aggregate(last=Max("position"))["last"] or 0
        guide = SessionGuide(organization=program.organization, program=program, **clean)
        guide.position = last + 1
        guide.save()
    return guide


def guide_delete(*, guide: SessionGuide) -> bool:
    """Delete a guide; the sessions after it move up one place. False when it was deleted
    already (a double click, or two HR admins at once): nothing moves a second time."""
    program = guide.program
    with transaction.atomic():
        _lock(program)
        position = _position_now(program, guide)
        if position is None:
            return False
        program.session_guides.filter(pk=guide.pk).delete()
        later = program.session_guides.filter(position__gt=position)
        later.update(position=F("position") + _SHIFT)
        program.session_guides.filter(position__gt=_SHIFT).update(
            position=F("position") - _SHIFT - 1
        )
    return True


def guide_move(*, guide: SessionGuide, direction: Literal["up", "down"]) -> bool:
    """Swap the guide with its neighbour above or below. False when it is already first or last,
    or was deleted meanwhile (nothing to do)."""
    program = guide.program
    with transaction.atomic():
        _lock(program)
        position = _position_now(program, guide)
        if position is None:
            return False
        guide.position = position
        neighbours = program.session_guides.exclude(pk=guide.pk)
        if direction == "up":
            other = neighbours.filter(position__lt=guide.position).order_by("-position").first()
        else:
            other = neighbours.filter(position__gt=guide.position).order_by("position").first()
        if other is None:
            return False
        mine, theirs = guide.position, other.position
        # Through a free position: the unique constraint forbids a direct swap.
        SessionGuide.objects.filter(pk=guide.pk).update(position=mine + _SHIFT)
        SessionGuide.objects.filter(pk=other.pk).update(position=mine)
        SessionGuide.objects.filter(pk=guide.pk).update(position=theirs)
        guide.position = theirs
    return True


def session_plan_replace(*, program: Program, guides: Iterable[Mapping[str, Any]]) -> int:
    """Make ``guides`` (dicts of the guide's fields, in order) the program's whole plan.
    Everything is checked before anything is written. Returns the number of sessions."""
    items = list(guides)
    if len(items) > MAX_SESSION_GUIDES:
        raise ValidationError(
            _("A session plan has at most %(max)s sessions.") % {"max": MAX_SESSION_GUIDES}
        )
    problems = [
        problem
        for n, item in enumerate(items, start=1)
        for problem in guide_problems(item, label=_("Session %(n)s") % {"n": n})
    ]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        _lock(program)
        program.session_guides.all().delete()
        SessionGuide.objects.bulk_create(
            SessionGuide(
                organization=program.organization,
                program=program,
                position=n,
                **{name: str(item.get(name, "")).strip() for name in GUIDE_FIELDS},
            )
            for n, item in enumerate(items, start=1)
        )
    return len(items)


def session_plan_fields(*, program: Program) -> list[dict[str, str]]:
    """The plan as a list of fields in order: what the export carries and a copy takes."""
    return [
        {name: getattr(guide, name) for name in GUIDE_FIELDS}
        for guide in program.session_guides.order_by("position", "id")
    ]


def session_plan_copy(*, source: Program, target: Program) -> int:
    """Give ``target`` the same plan as ``source`` (replacing its own)."""
    return session_plan_replace(program=target, guides=session_plan_fields(program=source))


def session_plan_use_builtin(*, program: Program) -> int:
    """Start an empty plan from the built-in six-session reverse-mentoring plan. Refused when
    the program already has a plan, so that a double click cannot replace HR's edits."""
    with transaction.atomic():
        _lock(program)
        if program.session_guides.exists():
            raise ValidationError(_("This program already has a session plan."))
        return session_plan_replace(
            program=program, guides=TEMPLATES[BUILTIN_PLAN_TEMPLATE]["session_plan"]
        )
