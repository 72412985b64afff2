"""Attacks on the session plan: two HR admins (or a double click) acting on one guide at once,
and hostile imported files."""

from __future__ import annotations

import contextlib
import html

from django.core.exceptions import ValidationError
from django.http import Http404

from programs.models import Program, SessionGuide
from programs.services import guides as guide_services
from tests.conftest import Tenant
from tests.programs.test_session_plan import positions, upload


def _stale_copy(guide: SessionGuide) -> SessionGuide:
    """The same row as another request loaded it before the first one's write committed."""
    return SessionGuide.objects.get(pk=guide.pk)


def test_deleting_one_session_twice_at_once_keeps_the_positions_whole(
    alpha: Tenant, program: Program
) -> None:
    """A double click on "Delete session": both requests load the guide (guide_get runs before
    the service's lock), the first deletes it and closes the gap, the second waits on the lock
    and then shifts the later sessions up a second time: an IntegrityError (500) on the unique
    position, or, without the constraint, a session lost."""
    with alpha.scope():
        third = program.session_guides.get(position=3)
        second_request = _stale_copy(third)
        guide_services.guide_delete(guide=third)
        # A refusal in words is fine; a crash or a second shift is not.
        with contextlib.suppress(ValidationError, Http404):
            guide_services.guide_delete(guide=second_request)
        assert positions(program) == [1, 2, 3, 4, 5]


def test_editing_a_session_deleted_meanwhile_does_not_resurrect_it(
    alpha: Tenant, program: Program
) -> None:
    """HR admin A submits an edit of the last session while B deletes it: A's request loaded
    the guide before B's delete committed, and ``guide.save()`` then INSERTs the deleted row
    again (same pk, old position): the session B deleted comes back."""
    with alpha.scope():
        last = program.session_guides.get(position=6)
        a_request = _stale_copy(last)
        guide_services.guide_delete(guide=last)
        with contextlib.suppress(ValidationError, Http404):
            guide_services.guide_save(program=program, guide=a_request, title="Edited")
        assert not program.session_guides.filter(pk=last.pk).exists()
        assert positions(program) == [1, 2, 3, 4, 5]


def test_moving_a_session_deleted_meanwhile_is_not_a_server_error(
    alpha: Tenant, program: Program
) -> None:
    """ "Move up" racing "Delete": the view's guide_get found the row, the service's
    refresh_from_db after the lock raises SessionGuide.DoesNotExist (a 500)."""
    with alpha.scope():
        second = program.session_guides.get(position=2)
        mover = _stale_copy(second)
        guide_services.guide_delete(guide=second)
        try:
            moved = guide_services.guide_move(guide=mover, direction="up")
        except (ValidationError, Http404):
            moved = False
        assert moved is False
        assert positions(program) == [1, 2, 3, 4, 5]


def test_a_lone_surrogate_in_an_imported_session_is_refused_with_a_message(
    beta: Tenant, client_for
) -> None:
    """``json.loads`` accepts "\\ud800" (a lone UTF-16 surrogate) and returns a str no database
    driver can encode: the import checks NUL characters for the same reason but not this, so
    the upload is a 500 instead of a message."""
    content = (
        b'{"format": "reverse-mentoring/program", "version": 1, "program": {"name": "X"},'
        b' "session_plan": [{"title": "Ground rules \\ud800"}]}'
    )
    response = upload(client_for(beta.hr), content)
    assert response.status_code == 200
    assert "Session 1" in html.unescape(response.content.decode())
    with beta.scope():
        assert not Program.objects.exists() and not SessionGuide.objects.exists()


def test_a_deeply_nested_session_plan_is_refused_with_a_message(beta: Tenant, client_for) -> None:
    """A few hundred levels of lists parse (json's C scanner is cheap per level) but the NUL
    check walks them with two Python frames a level and overflows the stack: a 500, where
    the parser's own RecursionError gets a message."""
    depth = 450
    content = (
        b'{"format": "reverse-mentoring/program", "version": 1, "program": {"name": "X"},'
        b' "session_plan": ' + b"[" * depth + b"]" * depth + b"}"
    )
    response = upload(client_for(beta.hr), content)
    assert response.status_code == 200
    with beta.scope():
        assert not Program.objects.exists()
