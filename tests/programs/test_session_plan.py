"""The session plan: the built-in six sessions, HR's editing (positions without gaps), the pages
(HR edits, participants read, nobody else sees them) and the plan's trip through export/import."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from programs.library import TEMPLATES
from programs.models import Program, SessionGuide
from programs.services import guides as guide_services
from programs.services import programs as program_services
from tests.conftest import Tenant
from tests.programs.conftest import add_person, url

BUILTIN = TEMPLATES["digital-fluency"]["session_plan"]


def titles(program: Program) -> list[str]:
    return list(program.session_guides.order_by("position").values_list("title", flat=True))


def positions(program: Program) -> list[int]:
    return list(program.session_guides.order_by("position").values_list("position", flat=True))


def guide(n: int) -> dict[str, str]:
    return {"title": f"S{n}", "purpose": "", "agenda": "", "junior_questions": ""}


# --- The built-in plan -------------------------------------------------------------------------


def test_the_template_ships_six_sessions_in_the_order_of_the_practice() -> None:
    assert len(BUILTIN) == 6
    expected = ["Ground rules", "learning objectives", "Hands on", "organisation", "Feedback"]
    for item, word in zip(BUILTIN, [*expected, "Closing"], strict=True):
        assert word in item["title"]
    for item in BUILTIN:
        assert item["purpose"].count(".") == 1 and len(item["purpose"]) <= 300
        bullets = item["agenda"].splitlines()
        assert 3 <= len(bullets) <= 5 and all(re.match(r"- \d+ min: ", b) for b in bullets)
        # Rough minutes that fill the program's hour.
        assert sum(int(re.match(r"- (\d+)", b).group(1)) for b in bullets) == 60
        for side in ("junior_questions", "senior_questions"):
            questions = item[side].splitlines()
            assert 2 <= len(questions) <= 4 and all(q.endswith("?") for q in questions)


def test_a_program_from_the_template_has_the_six_sessions(alpha: Tenant, program) -> None:
    with alpha.scope():
        assert titles(program) == [item["title"] for item in BUILTIN]
        assert positions(program) == [1, 2, 3, 4, 5, 6]
        assert program.meeting_minutes == 60 and program.close_quiet_after_days is None


# --- Services ------------------------------------------------------------------------------


def test_sessions_are_added_at_the_end_and_deleting_closes_the_gap(alpha: Tenant, program) -> None:
    with alpha.scope():
        added = guide_services.guide_save(program=program, guide=None, title="Extra", agenda="")
        assert added.position == 7
        third = program.session_guides.get(position=3)
        guide_services.guide_delete(guide=third)
        assert positions(program) == [1, 2, 3, 4, 5, 6]
        assert titles(program)[2] == BUILTIN[3]["title"] and titles(program)[-1] == "Extra"
        # Deleting the last one leaves the others where they were.
        guide_services.guide_delete(guide=program.session_guides.get(position=6))
        assert positions(program) == [1, 2, 3, 4, 5]


def test_moving_swaps_neighbours_and_stops_at_the_ends(alpha: Tenant, program) -> None:
    with alpha.scope():
        first = program.session_guides.get(position=1)
        assert guide_services.guide_move(guide=first, direction="up") is False
        assert guide_services.guide_move(guide=first, direction="down") is True
        assert first.position == 2
        assert titles(program)[:2] == [BUILTIN[1]["title"], BUILTIN[0]["title"]]
        last = program.session_guides.get(position=6)
        assert guide_services.guide_move(guide=last, direction="down") is False
        guide_services.guide_move(guide=last, direction="up")
        assert titles(program)[4:] == [BUILTIN[5]["title"], BUILTIN[4]["title"]]
        assert positions(program) == [1, 2, 3, 4, 5, 6]


def test_a_plan_holds_at_most_twenty_sessions(alpha: Tenant, program) -> None:
    with alpha.scope():
        guide_services.session_plan_replace(program=program, guides=[guide(n) for n in range(20)])
        with pytest.raises(ValidationError, match="at most 20 sessions"):
            guide_services.guide_save(program=program, guide=None, title="One more")
        with pytest.raises(ValidationError, match="at most 20 sessions"):
            guide_services.session_plan_replace(
                program=program, guides=[guide(n) for n in range(21)]
            )
        assert program.session_guides.count() == 20


def test_the_builtin_plan_never_replaces_an_existing_one(alpha: Tenant, program) -> None:
    with alpha.scope():
        guide_services.session_plan_replace(program=program, guides=[guide(1)])
        with pytest.raises(ValidationError, match="already has a session plan"):
            guide_services.session_plan_use_builtin(program=program)
        assert titles(program) == ["S1"]
        program.session_guides.all().delete()
        assert guide_services.session_plan_use_builtin(program=program) == 6


def test_a_copy_of_the_program_has_the_same_plan(alpha: Tenant, program) -> None:
    with alpha.scope():
        guide_services.guide_save(
            program=program, guide=program.session_guides.get(position=2), title="Goals"
        )
        copy = program_services.program_duplicate(program=program)
        assert titles(copy) == titles(program) and titles(copy)[1] == "Goals"
        assert positions(copy) == [1, 2, 3, 4, 5, 6]
        # Separate rows: editing the copy leaves the original alone.
        guide_services.guide_delete(guide=copy.session_guides.get(position=1))
        assert program.session_guides.count() == 6


# --- Pages ---------------------------------------------------------------------------------


def plan_url(program: Program, suffix: str = "") -> str:
    return url(program, f"session-plan/{suffix}")


def test_hr_reads_the_plan_with_previews_and_controls(alpha: Tenant, program, client_for) -> None:
    page = client_for(alpha.hr).get(plan_url(program)).content.decode()
    assert "Session 1: Ground rules: candour and confidentiality" in page
    # The Markdown agenda is rendered as a list.
    assert "<li>10 min: introductions" in page
    assert page.count(">Move up<") == 5 and page.count(">Move down<") == 5
    assert "Add a session" in page
    # The program's navigation leads there.
    overview = client_for(alpha.hr).get(url(program)).content.decode()
    assert f'href="{plan_url(program)}"' in overview


def test_hr_moves_a_session_with_a_button(alpha: Tenant, program, client_for) -> None:
    client = client_for(alpha.hr)
    with alpha.scope():
        second = program.session_guides.get(position=2)
    response = client.post(plan_url(program), {"action": "up", "guide": second.pk}, follow=True)
    assert f"“{second.title}” is now session 1." in html.unescape(response.content.decode())
    with alpha.scope():
        assert titles(program)[0] == second.title


def test_hr_adds_edits_and_deletes_a_session(alpha: Tenant, program, client_for) -> None:
    client = client_for(alpha.hr)
    # A missing title re-renders the form with the rest of what was typed.
    page = client.post(plan_url(program, "new/"), {"title": "", "agenda": "- 5 min: tea"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "This field is required." in body and "- 5 min: tea" in body
    response = client.post(
        plan_url(program, "new/"),
        {"title": "Wrap-up", "purpose": "Say thanks.", "agenda": "- 5 min: tea"},
    )
    assert response.status_code == 302
    with alpha.scope():
        added = program.session_guides.get(title="Wrap-up")
        assert added.position == 7 and added.purpose == "Say thanks."
    client.post(plan_url(program, f"{added.pk}/edit/"), {"title": "Thanks", "agenda": "x"})
    with alpha.scope():
        added.refresh_from_db()
        assert added.title == "Thanks"
        first = program.session_guides.get(position=1)
    confirm = client.get(plan_url(program, f"{first.pk}/delete/")).content.decode()
    assert "Delete session 1" in confirm
    with alpha.scope():
        assert program.session_guides.count() == 7  # asking deletes nothing
    client.post(plan_url(program, f"{first.pk}/delete/"))
    with alpha.scope():
        assert positions(program) == [1, 2, 3, 4, 5, 6]
        assert titles(program)[-1] == "Thanks"


def test_an_overlong_agenda_is_refused_with_a_message(alpha: Tenant, program, client_for) -> None:
    body = (
        client_for(alpha.hr)
        .post(plan_url(program, "new/"), {"title": "Long", "agenda": "x" * 4001})
        .content.decode()
    )
    assert "at most 4000 characters" in body
    with alpha.scope():
        assert program.session_guides.count() == 6


def test_an_empty_plan_offers_the_builtin_plan(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.hr)
    with alpha.scope():
        empty = program_services.program_create(organization=alpha.organization, name="Blank")
    page = client.get(plan_url(empty)).content.decode()
    assert "Use the built-in six-session plan" in page and "Move up" not in page
    client.post(plan_url(empty), {"action": "builtin"})
    with alpha.scope():
        assert titles(empty) == [item["title"] for item in BUILTIN]
    # A second click (a stale page) changes nothing and says why.
    again = client.post(plan_url(empty), {"action": "builtin"}, follow=True).content.decode()
    assert "already has a session plan" in again
    with alpha.scope():
        assert empty.session_guides.count() == 6


def test_participants_read_the_plan_without_controls(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        add_person(program, alpha.participant.email)
        first = program.session_guides.get(position=1)
    client = client_for(alpha.participant)
    page = client.get(plan_url(program)).content.decode()
    assert "Session 1: Ground rules" in page
    assert "Move up" not in page and "/edit/" not in page and "Add a session" not in page
    # Reading is all they may do.
    assert client.post(plan_url(program), {"action": "down", "guide": first.pk}).status_code == 404
    assert client.get(plan_url(program, "new/")).status_code == 404
    assert client.get(plan_url(program, f"{first.pk}/edit/")).status_code == 404
    assert client.post(plan_url(program, f"{first.pk}/delete/")).status_code == 404
    with alpha.scope():
        assert titles(program)[0] == BUILTIN[0]["title"] and program.session_guides.count() == 6


def test_members_outside_the_program_do_not_see_the_plan(
    alpha: Tenant, program, client_for
) -> None:
    with alpha.scope():
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ENROLLING)
    # An open program is visible to every member; its plan only to its participants and HR.
    assert client_for(alpha.participant).get(url(program)).status_code == 200
    assert client_for(alpha.participant).get(plan_url(program)).status_code == 404
    assert client_for(alpha.sponsor).get(plan_url(program)).status_code == 404


def test_another_organisations_plan_is_a_404(
    alpha: Tenant, beta: Tenant, program, client_for
) -> None:
    with alpha.scope():
        first = program.session_guides.get(position=1)
    client = client_for(beta.hr)
    for path in (
        plan_url(program),
        plan_url(program, "new/"),
        plan_url(program, f"{first.pk}/edit/"),
        plan_url(program, f"{first.pk}/delete/"),
    ):
        assert client.get(path).status_code == 404
        assert client.post(path, {"title": "Hijack"}).status_code == 404
    # Beta's own program with alpha's guide id: not beta's guide either.
    with beta.scope():
        own = program_services.program_create(organization=beta.organization, name="Own")
    assert client.get(plan_url(own, f"{first.pk}/edit/")).status_code == 404
    assert client.post(plan_url(own), {"action": "up", "guide": first.pk}).status_code == 404
    with alpha.scope():
        assert first.title == program.session_guides.get(position=1).title


def test_the_plan_page_costs_the_same_queries_for_a_longer_plan(
    alpha: Tenant, program, client_for, django_assert_max_num_queries
) -> None:
    client = client_for(alpha.hr)
    client.get(plan_url(program))  # warm the session
    for size in (2, 20):
        with alpha.scope():
            guide_services.session_plan_replace(
                program=program, guides=[guide(n) for n in range(size)]
            )
        # Session, user, membership, program, the guides (one query whatever their number),
        # the organisations menu and the inbox count of the base layout.
        with django_assert_max_num_queries(7):
            body = client.get(plan_url(program)).content.decode()
        assert body.count("<article") >= size


# --- Export and import ---------------------------------------------------------------------


def upload(client, content: bytes):
    return client.post("/o/beta/programs/import/", {"file": SimpleUploadedFile("p.json", content)})


def test_the_plan_travels_in_the_export(alpha: Tenant, beta: Tenant, program, client_for) -> None:
    with alpha.scope():
        guide_services.guide_move(guide=program.session_guides.get(position=1), direction="down")
        Program.objects.filter(pk=program.pk).update(meeting_minutes=45, close_quiet_after_days=90)
    exported = client_for(alpha.hr).get(url(program, "export/"))
    data = json.loads(exported.content)
    assert [g["title"] for g in data["session_plan"]][:2] == [
        BUILTIN[1]["title"],
        BUILTIN[0]["title"],
    ]
    assert set(data["session_plan"][0]) == {
        "title",
        "purpose",
        "agenda",
        "junior_questions",
        "senior_questions",
    }
    assert data["program"]["meeting_minutes"] == 45
    assert data["program"]["close_quiet_after_days"] == 90
    assert upload(client_for(beta.hr), exported.content).status_code == 302
    with beta.scope():
        imported = Program.objects.get()
        assert [
            {f: getattr(g, f) for f in data["session_plan"][0]}
            for g in imported.session_guides.order_by("position")
        ] == data["session_plan"]
        assert imported.meeting_minutes == 45 and imported.close_quiet_after_days == 90
        assert all(g.organization_id == beta.organization.pk for g in SessionGuide.objects.all())


def config(program: dict[str, object] | None = None, **sections: object) -> bytes:
    return json.dumps(
        {
            "format": "reverse-mentoring/program",
            "version": 1,
            "program": {"name": "X", **(program or {})},
            **sections,
        }
    ).encode()


def test_a_file_without_a_plan_makes_a_program_without_one(beta: Tenant, client_for) -> None:
    assert upload(client_for(beta.hr), config({"close_quiet_after_days": None})).status_code == 302
    with beta.scope():
        imported = Program.objects.get()
        assert not imported.session_guides.exists() and imported.close_quiet_after_days is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (config(session_plan={"title": "x"}), "“session_plan” must be a list of sessions."),
        (config(session_plan=[guide(n) for n in range(21)]), "at most 20 sessions"),
        (config(session_plan=["Ground rules"]), "Session 1 of the session plan must be an object"),
        (config(session_plan=[guide(1), {"title": ""}]), "Session 2 needs a title."),
        (config(session_plan=[{"title": "x" * 121}]), "“title” is longer than 120 characters"),
        (config(session_plan=[{"title": "A", "agenda": 5}]), "Session 1: “agenda” must be text."),
        (config(session_plan=[{"title": "A", "agenda": ["-"]}]), "“agenda” must be text."),
        (config(session_plan=[{"title": "A", "notes": "x"}]), "Session 1: unknown fields notes."),
        (config(session_plan=[{"title": "A", "agenda": "x" * 4001}]), "longer than 4000"),
        (config({"meeting_minutes": 10}), "“meeting_minutes” must be a meeting length"),
        (config({"meeting_minutes": 241}), "a whole number from 15 to 240"),
        (config({"meeting_minutes": "60"}), "a whole number from 15 to 240"),
        (config({"meeting_minutes": None}), "a whole number from 15 to 240"),
        (config({"meeting_minutes": 60.5}), "a whole number from 15 to 240"),
        (config({"close_quiet_after_days": 7}), "a whole number from 14 to 365"),
        (config({"close_quiet_after_days": 366}), "“close_quiet_after_days” must be a number"),
        (config({"close_quiet_after_days": True}), "a whole number from 14 to 365"),
    ],
)
def test_a_bad_plan_or_setting_is_refused_and_nothing_is_created(
    beta: Tenant, client_for, content: bytes, message: str
) -> None:
    response = upload(client_for(beta.hr), content)
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    with beta.scope():
        assert not Program.objects.exists() and not SessionGuide.objects.exists()


# --- The two settings in the program's form ------------------------------------------------


def test_the_meeting_length_and_quiet_close_are_set_in_the_program_form(
    alpha: Tenant, program, client_for
) -> None:
    client = client_for(alpha.hr)
    data = {
        "name": "Renamed",
        "cadence_weeks": 2,
        "expected_sessions": 6,
        "mentees_per_mentor": 1,
        "mentors_per_mentee": 1,
        "min_level_gap": 2,
        "reminder_offsets": "24",
        "meeting_minutes": 10,
        "close_quiet_after_days": 7,
    }
    body = html.unescape(client.post(url(program, "edit/"), data).content.decode())
    assert "greater than or equal to 15" in body and "greater than or equal to 14" in body
    data.update(meeting_minutes=45, close_quiet_after_days=90)
    assert client.post(url(program, "edit/"), data).status_code == 302
    with alpha.scope():
        program.refresh_from_db()
        assert (program.meeting_minutes, program.close_quiet_after_days) == (45, 90)
    # Left empty: quiet pairs are never closed, and the meeting length stays.
    data.update(meeting_minutes="", close_quiet_after_days="")
    assert client.post(url(program, "edit/"), data).status_code == 302
    with alpha.scope():
        program.refresh_from_db()
        assert (program.meeting_minutes, program.close_quiet_after_days) == (45, None)
