"""Edges of the session plan: a guide id of 0, what HR is told when another admin deleted the
session first, every text of an imported file checked alike, and Markdown headings that must
not give a page a second <h1>."""

from __future__ import annotations

import html
import re

import pytest
from django.core.exceptions import ValidationError

from programs.markdown import render_markdown
from programs.models import Program, SessionGuide, TrainingModule
from programs.services import guides as guide_services
from tests.conftest import Tenant
from tests.programs.conftest import url
from tests.programs.test_session_plan import config, plan_url, positions, upload


def h1_count(page: str) -> int:
    return len(re.findall(r"<h1[\s>]", page))


# --- Views --------------------------------------------------------------------------------


def test_guide_zero_is_a_404_not_a_new_session(alpha: Tenant, program, client_for) -> None:
    client = client_for(alpha.hr)
    assert client.get(plan_url(program, "0/edit/")).status_code == 404
    assert client.post(plan_url(program, "0/edit/"), {"title": "Sneaky"}).status_code == 404
    with alpha.scope():
        assert not program.session_guides.filter(title="Sneaky").exists()
        assert positions(program) == [1, 2, 3, 4, 5, 6]


def test_moving_a_deleted_or_first_session_is_a_404_or_a_message(
    alpha: Tenant, program, client_for
) -> None:
    client = client_for(alpha.hr)
    with alpha.scope():
        second = program.session_guides.get(position=2)
    # The page offered "Move up"; the click comes after another admin deleted the session. The
    # view's guide_get then finds nothing: a 404, not a 500.
    with alpha.scope():
        guide_services.guide_delete(guide=second)
    response = client.post(plan_url(program), {"action": "up", "guide": second.pk})
    assert response.status_code == 404
    # At the top already: nothing moves, and the page says so.
    with alpha.scope():
        first = program.session_guides.get(position=1)
    moved = client.post(plan_url(program), {"action": "up", "guide": first.pk}, follow=True)
    assert "did not move" in html.unescape(moved.content.decode())


# --- Services -----------------------------------------------------------------------------


def test_a_second_delete_of_one_session_is_a_no_op(alpha: Tenant, program: Program) -> None:
    with alpha.scope():
        third = program.session_guides.get(position=3)
        stale = SessionGuide.objects.get(pk=third.pk)
        assert guide_services.guide_delete(guide=third) is True
        assert guide_services.guide_delete(guide=stale) is False
        assert positions(program) == [1, 2, 3, 4, 5]


def test_an_edit_of_a_deleted_session_tells_hr_it_was_deleted(
    alpha: Tenant, program: Program
) -> None:
    with alpha.scope():
        last = program.session_guides.get(position=6)
        stale = SessionGuide.objects.get(pk=last.pk)
        guide_services.guide_delete(guide=last)
        with pytest.raises(ValidationError, match="deleted meanwhile"):
            guide_services.guide_save(program=program, guide=stale, title="Edited")
        assert not program.session_guides.filter(title="Edited").exists()


def test_an_edit_updates_the_row_in_place(alpha: Tenant, program: Program) -> None:
    with alpha.scope():
        second = program.session_guides.get(position=2)
        saved = guide_services.guide_save(
            program=program, guide=second, title=" Renamed ", agenda="- 5 min: tea"
        )
        assert saved.title == "Renamed"
        second.refresh_from_db()
        assert (second.title, second.agenda, second.position) == ("Renamed", "- 5 min: tea", 2)
        assert positions(program) == [1, 2, 3, 4, 5, 6]


# --- Imported files: every text, every section --------------------------------------------


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (config(topics=["AI", "Data \ud800"]), "Topic 2"),
        (config(training_modules=[{"title": "T", "body": "x\udfff"}]), "Training module 1"),
        (config({"agreement_text": "a\ud800"}), "The setting “agreement_text”"),
        (config(session_plan=[{"title": "S", "\ud800": "x"}]), "Session 1 of the session plan"),
        (config(session_plan=[{"title": "S", "agenda": "\x00"}]), "NUL characters"),
    ],
    ids=["topic", "module", "setting", "key", "nul"],
)
def test_text_no_database_can_store_is_refused_where_it_is(
    beta: Tenant, client_for, content: bytes, where: str
) -> None:
    response = upload(client_for(beta.hr), content)
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert where in body
    with beta.scope():
        assert not Program.objects.exists() and not TrainingModule.objects.exists()


def test_a_deep_file_is_refused_as_nested_too_deeply(beta: Tenant, client_for) -> None:
    deep = b"[" * 200 + b"]" * 200
    content = config().replace(b'"program"', b'"topics": ' + deep + b', "program"')
    body = html.unescape(upload(client_for(beta.hr), content).content.decode())
    assert "nested too deeply" in body
    with beta.scope():
        assert not Program.objects.exists()


def test_a_reasonable_file_passes_the_text_check(beta: Tenant, client_for) -> None:
    content = config(
        {"reminder_offsets_hours": [24, 1]},
        topics=["Prompts – naïve 🙂"],
        session_plan=[{"title": "Über 🙂", "agenda": "- 5 min: tea"}],
    )
    assert upload(client_for(beta.hr), content).status_code == 302
    with beta.scope():
        assert SessionGuide.objects.get().title == "Über 🙂"


# --- Markdown headings --------------------------------------------------------------------


def test_markdown_headings_start_below_the_pages_h1() -> None:
    assert render_markdown("# Top\n## Next") == "<h2>Top</h2>\n<h3>Next</h3>\n"
    assert render_markdown("# Top\n###### Deep", top_heading=4) == "<h4>Top</h4>\n<h6>Deep</h6>\n"
    # Still safe: raw HTML is text.
    assert "&lt;script&gt;" in render_markdown("# <script>x</script>")


def test_a_heading_in_a_guide_adds_no_second_h1_to_the_plan(
    alpha: Tenant, program, client_for
) -> None:
    with alpha.scope():
        first = program.session_guides.get(position=1)
        guide_services.guide_save(program=program, guide=first, title="T", agenda="# Agenda big")
    page = client_for(alpha.hr).get(plan_url(program)).content.decode()
    assert "Agenda big" in page and h1_count(page) == 1


def test_a_heading_in_a_training_module_adds_no_second_h1(
    alpha: Tenant, program, client_for
) -> None:
    client = client_for(alpha.hr)
    client.post(url(program, "training/new/"), {"title": "Safety", "body": "# Rules\n\ntext"})
    with alpha.scope():
        module = TrainingModule.objects.get(title="Safety")
    page = client.get(url(program, f"training/{module.pk}/")).content.decode()
    assert "<h2>Rules</h2>" in page and h1_count(page) == 1
