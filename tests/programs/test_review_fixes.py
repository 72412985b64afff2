"""Behaviour around edges: who may act, programs that are closed or archived, people who left,
failed imports, and the HR-only pages for every role and method."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from mentorship.models import Role
from programs import services
from programs.models import ImportJob, LearningObjective, Participant, Program, TrainingModule
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.programs.conftest import add_person


def url(p: Program, suffix: str = "") -> str:
    return f"/o/{p.organization.slug}/programs/{p.slug}/{suffix}"


def set_status(t: Tenant, program: Program, status: str) -> None:
    with t.scope():
        Program.objects.filter(pk=program.pk).update(status=status)
        program.refresh_from_db()


def test_a_sponsor_sees_figures_only_of_programs_they_sponsor(
    alpha: Tenant, program, client_for
) -> None:
    set_status(alpha, program, Program.Status.ENROLLING)
    page = client_for(alpha.sponsor).get(url(program)).content.decode()
    assert "applications waiting" not in page  # visible (enrolling) but not theirs
    with alpha.scope():
        services.program_sponsor_add(program=program, membership=alpha.members[Role.SPONSOR])
    assert "applications waiting" in client_for(alpha.sponsor).get(url(program)).content.decode()


def test_someone_who_left_can_look_but_not_act(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        me = add_person(program, alpha.participant.email)
        module = program.modules.first()
        topic = program.topics.first()
        services.participant_withdraw(participant=me)
    client = client_for(alpha.participant)
    assert "no longer taking part" in client.get(url(program, "me/")).content.decode()
    new = client.post(
        url(program, "me/objectives/new/"),
        {"topic": topic.pk, "success_criteria": "x", "baseline_rating": 2},
    )
    assert new.status_code == 404
    assert client.post(url(program, f"training/{module.pk}/complete/")).status_code == 404
    with alpha.scope():
        assert not LearningObjective.objects.exists()


def test_one_participant_cannot_touch_another_ones_objective(
    alpha: Tenant, program, client_for
) -> None:
    other = MembershipFactory(organization=alpha.organization, is_participant=True)
    with alpha.scope():
        add_person(program, alpha.participant.email)
        theirs = add_person(program, other.user.email, side="senior", level=9)
        objective = services.objective_create(
            participant=theirs,
            topic=program.topics.first(),
            success_criteria="mine",
            baseline_rating=1,
        )
    response = client_for(alpha.participant).post(
        url(program, f"me/objectives/{objective.pk}/"), {"progress": 90}
    )
    assert response.status_code == 404
    with alpha.scope():
        objective.refresh_from_db()
    assert objective.progress == 0


def test_a_program_called_new_still_opens(alpha: Tenant, client_for) -> None:
    with alpha.scope():
        program = services.program_create(organization=alpha.organization, name="New")
    assert program.slug != "new"
    assert "<h1>New</h1>" in client_for(alpha.hr).get(url(program)).content.decode()


def test_people_who_left_can_be_added_back_and_imports_approve_them(
    alpha: Tenant, program, client_for
) -> None:
    with alpha.scope():
        gone = add_person(program, "gone@example.com")
        services.participant_remove(participant=gone, actor=alpha.hr)
        again = add_person(program, "gone@example.com", first_name="Back")
        assert again.pk == gone.pk and again.status == Participant.Status.APPROVED
        services.participant_withdraw(participant=again)
    from programs.importer import parse_participants_csv, participants_import

    parsed = parse_participants_csv(
        "email,first_name,last_name,side\ngone@example.com,Back,Test,junior\n"
    )
    with alpha.scope():
        summary = participants_import(program=program, rows=parsed.rows, invited_by=alpha.hr)
        again.refresh_from_db()
    assert summary.updated == 1 and again.status == Participant.Status.APPROVED


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
        services.participant_withdraw(participant=p)
        Participant.objects.update(matched=True)
        problems = services.program_transition_problems(program=program, target="active")
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
        objective = services.objective_create(
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


def test_a_failed_import_says_why_and_can_be_retried(
    alpha: Tenant, program, client_for, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alpha.hr)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        url(program, "participants/import/"),
        {
            "file": SimpleUploadedFile(
                "p.csv", b"email,first_name,last_name,side\na@example.com,A,B,junior\n"
            )
        },
    )
    with alpha.scope():
        job = ImportJob.objects.get()
    import programs.importer as importer

    def boom(**kwargs: object) -> None:
        raise ValueError("disk full")

    monkeypatch.setattr(importer, "participants_import", boom)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(program, f"participants/import/{job.pk}/confirm/"))
    page = client.get(url(program, f"participants/import/{job.pk}/")).content.decode()
    assert "The import failed" in page and "disk full" in page
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(program, f"participants/import/{job.pk}/confirm/"))
    page = client.get(url(program, f"participants/import/{job.pk}/")).content.decode()
    with alpha.scope():
        job.refresh_from_db()
    assert "Import finished:" in page and "1 created, 0 updated" in page, job.summary


def test_confirming_a_file_with_errors_says_so(alpha: Tenant, program, client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(alpha.hr)
    client.post(
        url(program, "participants/import/"),
        {"file": SimpleUploadedFile("p.csv", b"email,first_name,last_name,side\nbad,A,B,junior\n")},
    )
    with alpha.scope():
        job = ImportJob.objects.get()
    page = client.post(
        url(program, f"participants/import/{job.pk}/confirm/"), follow=True
    ).content.decode()
    assert "This file has errors" in page


def test_deleting_a_module_asks_first(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        module = program.modules.first()
    client = client_for(alpha.hr)
    assert (
        "record of who completed it"
        in client.get(url(program, f"training/{module.pk}/delete/")).content.decode()
    )
    with alpha.scope():
        assert TrainingModule.objects.filter(pk=module.pk).exists()
    client.post(url(program, f"training/{module.pk}/delete/"))
    with alpha.scope():
        assert not TrainingModule.objects.filter(pk=module.pk).exists()


def test_hr_edits_a_participant_and_a_participant_edits_their_profile(
    alpha: Tenant, program, client_for
) -> None:
    with alpha.scope():
        me = add_person(program, alpha.participant.email, department="Sales")
        topic = program.topics.first()
    hr_form = {
        "first_name": "Fixed",
        "last_name": "Name",
        "side": "junior",
        "level": 3,
        "timezone": "UTC",
        "department": "Legal",
        "offers": [topic.pk],
    }
    client_for(alpha.hr).post(url(program, f"participants/{me.pk}/edit/"), hr_form)
    client_for(alpha.participant).post(
        url(program, "me/profile/"),
        {"timezone": "Asia/Tokyo", "availability": "Fridays", "wants": [topic.pk]},
    )
    with alpha.scope():
        me.refresh_from_db()
        assert (me.first_name, me.department, me.level) == ("Fixed", "Legal", 3)
        assert (me.timezone, me.availability) == ("Asia/Tokyo", "Fridays")
        assert list(me.wants.all()) == [topic]


HR_ROUTES = [
    ("get", "edit/"),
    ("post", "duplicate/"),
    ("post", "archive/"),
    ("post", "status/enrolling/"),
    ("get", "export/"),
    ("post", "sponsors/"),
    ("get", "participants/"),
    ("post", "participants/add/"),
    ("post", "participants/import/"),
    ("get", "training/new/"),
]


@pytest.mark.parametrize("role", [Role.SPONSOR, Role.PARTICIPANT])
@pytest.mark.parametrize(("method", "suffix"), HR_ROUTES)
def test_hr_pages_answer_404_to_other_roles(
    alpha: Tenant, program, client_for, role, method, suffix
) -> None:
    set_status(alpha, program, Program.Status.ENROLLING)  # visible to everyone
    with alpha.scope():
        services.program_sponsor_add(program=program, membership=alpha.members[Role.SPONSOR])
        add_person(program, alpha.participant.email)
    response = getattr(client_for(alpha.user(role)), method)(url(program, suffix))
    assert response.status_code == 404
    with alpha.scope():
        assert Program.objects.count() == 1 and program.status == Program.Status.ENROLLING


def test_a_running_import_shows_live_progress(alpha: Tenant, program, client_for) -> None:
    from django.core.cache import cache

    from programs.tasks import progress_key

    with alpha.scope():
        job = ImportJob.objects.create(
            organization=alpha.organization,
            program=program,
            filename="big.csv",
            status=ImportJob.Status.RUNNING,
            total=10_000,
        )
    cache.set(progress_key(job.pk), 2_500)
    client = client_for(alpha.hr)
    partial = client.get(url(program, f"participants/import/{job.pk}/"), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "2500 of 10000" in body and 'hx-trigger="every 1s"' in body and "<html" not in body
    assert 'value="2500" max="10000"' in body
