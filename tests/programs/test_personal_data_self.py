"""Issue 12: session content stays with the pair.

The export an HR admin downloads says when sessions happened and whether notes are held, never
what was taught, learned or noted. The participant downloads their own copy of everything held
about them in the organisation: their session texts and private notes, and the pair's shared
texts, but never their partner's private notes.
"""

from __future__ import annotations

import json

import pytest

from mentorship.models import AuditEvent, Role
from programs import privacy
from programs.services import participants as participant_services
from programs.services import programs as program_services
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.programs.test_personal_data import EMAIL, FULL_NAME, Story, tell_story

SELF_URL = "/o/{slug}/me/personal-data.json"

# What Quintessa and Sol wrote in their session logs (see tell_story).
QUIN_TEXTS = ("Q taught", "Q learned", "Q shared", "Q private thought")
SOL_SHARED = ("Sol taught strategy", f"{FULL_NAME} explained prompts")
SOL_PRIVATE = "Sol private note"


@pytest.fixture
def story(alpha: Tenant) -> Story:
    return tell_story(alpha, member=True)


# --- HR admin's export ----------------------------------------------------------------------------


def test_hr_export_holds_no_session_content_only_whether_it_is_held(
    alpha: Tenant, story: Story, client_for
) -> None:
    body = client_for(alpha.hr).get(story.url("export")).content.decode()
    for text in (*QUIN_TEXTS, *SOL_SHARED, SOL_PRIVATE):
        assert text not in body, text
    data = json.loads(body)
    assert (data["version"], data["audience"]) == (privacy.EXPORT_VERSION, "hr")
    assert privacy.EXPORT_VERSION >= 3
    (log,) = data["pairings"][0]["session_logs"]
    assert (log["date"], log["minutes"], log["topics"]) == (log["date"], 45, ["AI"])
    assert log["by_this_person"] is True
    held = {k: v for k, v in log.items() if k.endswith("_held")}
    assert held == {
        "taught_held": True,
        "learned_held": True,
        "shared_notes_held": True,
        "private_notes_held": True,
    }
    assert not {"taught", "learned", "shared_notes", "private_notes"} & log.keys()


def test_hr_pages_say_session_content_stays_with_the_pair(
    alpha: Tenant, story: Story, client_for
) -> None:
    hr = client_for(alpha.hr)
    detail = hr.get(f"/o/alpha/programs/{story.program.slug}/participants/{story.quin.pk}/")
    erase = hr.get(story.url("erase"))
    for page in (detail, erase):
        assert "session content stays with the pair" in page.content.decode()


# --- The participant's own export -----------------------------------------------------------------


def test_participant_downloads_their_own_texts_and_the_pairs_but_not_the_partners_private_notes(
    alpha: Tenant, story: Story, client_for
) -> None:
    response = client_for(story.quin_user).get(SELF_URL.format(slug="alpha"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="alpha-my-personal-data.json"'
    body = response.content.decode()
    data = json.loads(body)
    assert body == json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
    assert (data["audience"], data["version"]) == ("self", privacy.EXPORT_VERSION)
    assert data["account"]["email"] == EMAIL
    (part,) = data["participations"]
    assert part["program"] == "Pilot" and part["participant"]["email"] == EMAIL
    assert [o["success_criteria"] for o in part["learning_objectives"]] == ["Q criteria"]
    assert [c["text"] for c in part["concerns_raised"]] == ["Q concern text"]
    (pair,) = part["pairings"]
    assert pair["partner"] == "Sol Senior"
    logs = {log["by_this_person"]: log for log in pair["session_logs"]}
    assert len(pair["session_logs"]) == 2
    mine, partners = logs[True], logs[False]
    assert (mine["taught"], mine["learned"], mine["shared_notes"], mine["private_notes"]) == (
        QUIN_TEXTS
    )
    assert (partners["taught"], partners["shared_notes"]) == SOL_SHARED
    # The partner's private notes are theirs alone: neither the text nor whether one is held.
    assert not {"private_notes", "private_notes_held"} & partners.keys()
    assert SOL_PRIVATE not in body
    # Nor anyone else's answers, the partner's confidential event, or anonymous answers (hers
    # included: nothing links them to her, and the file says so).
    for foreign in ("Sol confidential", "is a great fit", "great mentor", "Q anonymous text"):
        assert foreign not in body, foreign
    assert "anonymous" in data["note"] and "cannot" in data["note"]
    assert "private notes" in data["note"]
    with alpha.scope():
        event = AuditEvent.objects.get(action=AuditEvent.Action.PERSONAL_DATA_EXPORTED)
    assert event.actor == story.quin_user
    assert "their own personal data" in event.summary


def test_the_participant_finds_the_download_on_their_home_and_program_pages(
    alpha: Tenant, story: Story, client_for
) -> None:
    client = client_for(story.quin_user)
    link = 'href="/o/alpha/me/personal-data.json"'
    assert link in client.get("/o/alpha/").content.decode()
    assert link in client.get(f"/o/alpha/programs/{story.program.slug}/me/").content.decode()


def test_a_member_in_no_program_gets_their_account_and_no_participation(
    alpha: Tenant, client_for
) -> None:
    response = client_for(alpha.sponsor).get(SELF_URL.format(slug="alpha"))
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["participations"] == []
    assert data["account"]["email"] == alpha.sponsor.email
    assert data["account"]["roles"] == ["Executive sponsor"]


def test_only_the_organisation_in_the_url_is_exported(
    alpha: Tenant, beta: Tenant, story: Story, client_for
) -> None:
    """Quintessa is a member of beta too, in a program there: beta's address gives beta's rows
    only; a member of beta alone gets nothing from alpha's address."""
    MembershipFactory(organization=beta.organization, user=story.quin_user, is_participant=True)
    with beta.scope():
        program = program_services.program_create(organization=beta.organization, name="Beta P")
        person = participant_services.participant_add(
            program=program,
            email=EMAIL,
            invited_by=None,
            first_name="Quintessa",
            last_name="Beta",
            side="junior",
        )
        # She is a member of beta: the row is hers (linked by address).
        assert person.membership.user == story.quin_user
    body = client_for(story.quin_user).get(SELF_URL.format(slug="beta")).content.decode()
    data = json.loads(body)
    assert [p["program"] for p in data["participations"]] == ["Beta P"]
    for text in ("Pilot", *QUIN_TEXTS, "Q criteria", "Q concern text", "Sol Senior"):
        assert text not in body, text
    assert client_for(beta.participant).get(SELF_URL.format(slug="alpha")).status_code == 404
    with alpha.scope():
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.PERSONAL_DATA_EXPORTED)


def test_the_self_export_takes_no_one_elses_id(alpha: Tenant, story: Story, client_for) -> None:
    """The person comes from the signed-in membership; a query string changes nothing."""
    url = SELF_URL.format(slug="alpha") + f"?participant_id={story.sol.pk}&membership_id=1"
    data = json.loads(client_for(story.quin_user).get(url).content)
    assert [p["participant"]["email"] for p in data["participations"]] == [EMAIL]


@pytest.mark.parametrize("role", list(Role))
def test_every_member_may_export_themselves(alpha: Tenant, client_for, role: Role) -> None:
    response = client_for(alpha.user(role)).get(SELF_URL.format(slug="alpha"))
    assert response.status_code == 200
    assert json.loads(response.content)["account"]["email"] == alpha.user(role).email
    assert client_for(alpha.user(role)).post(SELF_URL.format(slug="alpha")).status_code == 405
