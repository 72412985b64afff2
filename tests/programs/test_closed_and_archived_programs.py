"""Programs at the ends of their lifecycle: nobody joins a closed or archived program, going
active needs approved and matched people, a closed program keeps its actions and can be archived
and restored, and the final self-rating is given at close."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from programs.models import Participant, Program
from programs.services import objectives as objective_services
from programs.services import participants as participant_services
from programs.services import programs as program_services
from tests.conftest import Tenant
from tests.programs.conftest import add_person, set_status, url


def test_nobody_joins_a_closed_or_archived_program(
    alpha: Tenant, program, client_for, tmp_path
) -> None:
    set_status(alpha, program, Program.Status.CLOSED)
    with alpha.scope(), pytest.raises(Exception, match="closed"):
        add_person(program, "late@example.com")
    response = client_for(alpha.hr).get(url(program, "participants/import/"), follow=True)
    assert "nobody can join it any more" in response.content.decode()
    csv = tmp_path / "p.csv"
    csv.write_text("email,first_name,last_name,side\nlate@example.com,L,T,junior\n")
    with pytest.raises(CommandError, match="closed"):
        call_command("import_participants", "--org", "alpha", "--program", program.slug, str(csv))
    with alpha.scope():
        assert not Participant.objects.exists()


def test_going_active_needs_approved_matched_people(alpha: Tenant, program) -> None:
    set_status(alpha, program, Program.Status.MATCHING)
    with alpha.scope():
        p = add_person(program, "m@example.com")
        participant_services.participant_withdraw(participant=p)
        Participant.objects.update(matched=True)
        problems = program_services.program_transition_problems(program=program, target="active")
    assert problems == ["Publish pairings before the program goes active."]


def test_closed_programs_keep_their_actions_and_can_be_archived_and_restored(
    alpha: Tenant, program, client_for
) -> None:
    set_status(alpha, program, Program.Status.CLOSED)
    client = client_for(alpha.hr)
    page = client.get(url(program)).content.decode()
    assert "This program is closed." in page and "Export configuration" in page
    client.post(url(program, "archive/"))
    assert "Restore from the archive" in client.get(url(program)).content.decode()
    client.post(url(program, "archive/"))
    with alpha.scope():
        program.refresh_from_db()
    assert program.archived_at is None


def test_the_final_self_rating_is_given_at_close(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        me = add_person(program, alpha.participant.email)
        objective = objective_services.objective_create(
            participant=me, topic=program.topics.first(), success_criteria="x", baseline_rating=2
        )
    set_status(alpha, program, Program.Status.CLOSED)
    client = client_for(alpha.participant)
    assert "final self-rating" in client.get(url(program, "me/")).content.decode()
    client.post(
        url(program, f"me/objectives/{objective.pk}/"), {"progress": 100, "final_rating": 4}
    )
    with alpha.scope():
        objective.refresh_from_db()
    assert objective.final_rating == 4
