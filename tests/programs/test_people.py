"""Topics, participants, applications, objectives, training and the directory."""

from __future__ import annotations

import pytest
from django.core import mail

from mentorship.models import Invitation, Membership, Notification, Role
from programs.models import LearningObjective, Participant, Program, Topic, TrainingModule
from programs.services import participants as participant_services
from programs.services import topics as topic_services
from tests.conftest import Tenant
from tests.factories import MembershipFactory, UserFactory
from tests.programs.conftest import add_person, url
from tests.queries import assert_queries_do_not_grow

# --- Topics


def test_topics_are_unique_ignoring_case(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.hr)
    client.post("/o/alpha/topics/", {"name": "AI tools"})
    body = client.post("/o/alpha/topics/", {"name": "ai TOOLS"}).content.decode()
    assert "There is already a topic called" in body
    with alpha.scope():
        assert Topic.objects.count() == 1


def test_renaming_a_topic_changes_it_everywhere(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        topic = program.topics.get(name="AI tools")
    client_for(alpha.hr).post(f"/o/alpha/topics/{topic.pk}/", {"name": "Generative AI"})
    with alpha.scope():
        assert program.topics.filter(name="Generative AI").exists()


def test_merging_moves_every_reference(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        a, b = topic_services.topics_get_or_create(
            organization=alpha.organization, names=["Chatbots", "AI tools"]
        )
        both = add_person(program, "both@example.com", offers=[a, b])
        only_a = add_person(program, "a@example.com", side="senior", level=9, wants=[a])
        LearningObjective.objects.create(
            organization=alpha.organization,
            participant=only_a,
            topic=a,
            success_criteria="x",
            baseline_rating=1,
        )
        program.topics.add(a)
    response = client_for(alpha.hr).post(f"/o/alpha/topics/{a.pk}/merge/", {"target": b.pk})
    assert response.status_code == 302
    with alpha.scope():
        assert not Topic.objects.filter(pk=a.pk).exists()
        assert list(both.offers.all()) == [b]  # no duplicate where both were set
        assert list(only_a.wants.all()) == [b]
        assert LearningObjective.objects.get().topic == b
        assert program.topics.filter(pk=b.pk).count() == 1


# --- Participants


def test_adding_a_member_links_them_and_a_stranger_gets_an_invitation(
    alpha: Tenant, program, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alpha.hr)
    base = {"first_name": "A", "last_name": "B", "side": "junior", "level": 2, "timezone": "UTC"}
    client.post(url(program, "participants/add/"), {**base, "email": alpha.sponsor.email})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(program, "participants/add/"), {**base, "email": "new@example.com"})
    with alpha.scope():
        sponsor_row = Participant.objects.get(email=alpha.sponsor.email)
        assert sponsor_row.membership == alpha.members[Role.SPONSOR]
        assert Membership.objects.get(user=alpha.sponsor).roles == [Role.SPONSOR, Role.PARTICIPANT]
        stranger = Participant.objects.get(email="new@example.com")
        assert stranger.membership is None and stranger.status == Participant.Status.APPROVED
        assert Invitation.objects.filter(email="new@example.com", role=Role.PARTICIPANT).exists()
    assert mail.outbox[-1].to == ["new@example.com"]
    body = client.post(
        url(program, "participants/add/"), {**base, "email": "new@example.com"}
    ).content.decode()
    assert "already in this program" in body


def test_accepting_the_invitation_links_the_waiting_participant(
    alpha: Tenant, program, client_for, django_capture_on_commit_callbacks
) -> None:
    import re

    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        add_person(program, "later@example.com")
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[-1].body).group(1)
    user = UserFactory(email="later@example.com")
    client_for(user).post(link)
    with alpha.scope():
        assert Participant.objects.get(email="later@example.com").membership.user == user


def test_self_enrolment_while_enrolling_and_hr_decides(
    alpha: Tenant, program, client_for, django_capture_on_commit_callbacks
) -> None:
    applicant = MembershipFactory(organization=alpha.organization, is_participant=True)
    client = client_for(applicant.user)
    assert client.get(url(program, "apply/")).status_code == 404  # a draft is not shown yet
    with alpha.scope():
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ENROLLING)
        topic = program.topics.first()
    form = {
        "side": "senior",
        "level": 8,
        "timezone": "Europe/Paris",
        "wants": [topic.pk],
        "department": "Sales",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url(program, "apply/"), form).status_code == 302
    with alpha.scope():
        row = Participant.objects.get(membership=applicant)
        assert row.status == Participant.Status.APPLIED and list(row.wants.all()) == [topic]
        assert Notification.objects.filter(
            recipient=alpha.hr, subject__startswith="New application"
        ).exists()
    assert "already applied" in client.post(url(program, "apply/"), form).content.decode()
    with alpha.scope():
        Program.objects.filter(pk=program.pk).update(status=Program.Status.MATCHING)
    assert "not taking applications" in client.get(url(program, "apply/")).content.decode()
    hr = client_for(alpha.hr)
    assert "Approve" in hr.get(url(program, "participants/?status=applied")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        hr.post(url(program, f"participants/{row.pk}/decide/"), {"decision": "approve"})
    with alpha.scope():
        row.refresh_from_db()
        assert row.status == Participant.Status.APPROVED
        assert Notification.objects.filter(
            recipient=applicant.user, subject__startswith="You are in"
        ).exists()


def test_an_application_can_be_declined(alpha: Tenant, program, client_for) -> None:
    applicant = MembershipFactory(organization=alpha.organization, is_participant=True)
    with alpha.scope():
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ENROLLING)
        program.refresh_from_db()
        row = participant_services.participant_apply(
            program=program, membership=applicant, side="junior", level=1, timezone="UTC"
        )
    client_for(alpha.hr).post(
        url(program, f"participants/{row.pk}/decide/"), {"decision": "decline"}
    )
    with alpha.scope():
        row.refresh_from_db()
    assert row.status == Participant.Status.DECLINED


def test_participants_withdraw_and_hr_removes_with_confirmation(
    alpha: Tenant, program, client_for
) -> None:
    with alpha.scope():
        me = add_person(program, alpha.participant.email)
        other = add_person(program, "other@example.com", side="senior", level=9)
    client = client_for(alpha.participant)
    assert "No reason needed" in client.get(url(program, "me/withdraw/")).content.decode()
    client.post(url(program, "me/withdraw/"))
    hr = client_for(alpha.hr)
    assert "history" in hr.get(url(program, f"participants/{other.pk}/remove/")).content.decode()
    hr.post(url(program, f"participants/{other.pk}/remove/"))
    with alpha.scope():
        me.refresh_from_db()
        other.refresh_from_db()
    assert me.status == Participant.Status.WITHDRAWN and other.status == Participant.Status.REMOVED


# --- Objectives


def test_objectives_are_set_and_progress_updated(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        add_person(program, alpha.participant.email, side="senior", level=9)
        topic = program.topics.first()
    client = client_for(alpha.participant)
    client.post(
        url(program, "me/objectives/new/"),
        {"topic": topic.pk, "success_criteria": "Post weekly", "baseline_rating": 2},
    )
    with alpha.scope():
        objective = LearningObjective.objects.get()
    assert "Post weekly" in client.get(url(program, "me/")).content.decode()
    body = client.post(
        url(program, f"me/objectives/{objective.pk}/"), {"progress": 50, "final_rating": 4}
    ).content.decode()
    assert "given when the program closes" in body
    client.post(url(program, f"me/objectives/{objective.pk}/"), {"progress": 50})
    with alpha.scope():
        objective.refresh_from_db()
    assert objective.progress == 50 and objective.final_rating is None
    bad = client.post(
        url(program, "me/objectives/new/"),
        {"topic": topic.pk, "success_criteria": "x", "baseline_rating": 9},
    )
    assert "less than or equal to 5" in bad.content.decode()


def test_only_the_participant_sees_their_page(alpha: Tenant, program, client_for) -> None:
    assert client_for(alpha.sponsor).get(url(program, "me/")).status_code == 404


# --- Training


def test_training_modules_render_markdown_safely(alpha: Tenant, program, client_for) -> None:
    client = client_for(alpha.hr)
    client.post(
        url(program, "training/new/"),
        {
            "title": "Safety",
            "body": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))",
            "required_for_juniors": "on",
        },
    )
    with alpha.scope():
        module = TrainingModule.objects.get(title="Safety")
    page = client.get(url(program, f"training/{module.pk}/")).content.decode()
    assert "<strong>Bold</strong>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert 'href="javascript:' not in page


def test_completing_required_modules_marks_training_done(
    alpha: Tenant, program, client_for
) -> None:
    with alpha.scope():
        me = add_person(program, alpha.participant.email)
        junior_modules = list(program.modules.filter(required_for_juniors=True))
    client = client_for(alpha.participant)
    for module in junior_modules:
        client.post(url(program, f"training/{module.pk}/complete/"))
    with alpha.scope():
        me.refresh_from_db()
        assert me.training_done
    training_page = client_for(alpha.hr).get(url(program, "training/")).content.decode()
    assert "1 of 1 approved participants have completed" in training_page
    # A new required module means the training is no longer complete.
    client_for(alpha.hr).post(
        url(program, "training/new/"),
        {"title": "New rule", "body": "Read me", "required_for_juniors": "on"},
    )
    with alpha.scope():
        me.refresh_from_db()
    assert not me.training_done


# --- Directory


def test_directory_filters(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        add_person(program, "ann@example.com", department="Sales")
        add_person(program, "bob@example.com", side="senior", level=9, department="Finance")
        Participant.objects.filter(email="bob@example.com").update(matched=True, training_done=True)
    client = client_for(alpha.hr)

    def names(**query: str) -> set[str]:
        body = client.get(url(program, "participants/"), query).content.decode()
        return {e for e in ("ann@example.com", "bob@example.com") if e in body}

    assert names() == {"ann@example.com", "bob@example.com"}
    assert names(side="senior") == {"bob@example.com"}
    assert names(department="Sales") == {"ann@example.com"}
    assert names(matched="yes") == {"bob@example.com"}
    assert names(training="todo") == {"ann@example.com"}
    assert names(q="ann") == {"ann@example.com"}
    assert names(status="removed") == set()
    partial = client.get(url(program, "participants/"), {"side": "junior"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()


@pytest.mark.parametrize("page", ["participants/", "participants/?side=junior&training=todo"])
def test_directory_queries_do_not_grow_with_participants(
    alpha: Tenant, program, client_for, page
) -> None:
    client = client_for(alpha.hr)
    with alpha.scope():
        topics = list(program.topics.all()[:2])

    def grow(n: int, start: int) -> None:
        with alpha.scope():
            for i in range(start, start + n):
                add_person(program, f"p{i}@example.com", offers=topics, wants=topics[:1])

    def directory() -> None:
        assert client.get(url(program, page)).status_code == 200

    grow(3, 0)
    assert_queries_do_not_grow(directory, grow=lambda: grow(30, 100))


def test_the_demo_program_is_seeded(db) -> None:
    from io import StringIO

    from django.core.management import call_command

    from mentorship.models import Organization
    from mentorship.tenancy import tenant_scope

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    for slug in ("acme", "globex"):
        with tenant_scope(Organization.objects.get(slug=slug)):
            program = Program.objects.get(slug="digital-fluency")
            assert program.status == Program.Status.MATCHING and not program.training_required
            people = program.participants.all()
            assert (
                people.filter(side="junior").count() == 8
                and people.filter(side="senior").count() == 8
            )
            assert people.filter(membership__isnull=True).count() == 0
            assert 8 < people.filter(training_done=True).count() < 16
            assert LearningObjective.objects.count() >= 16
            assert LearningObjective.objects.filter(participant__side="junior").exists()
            assert (
                people.get(email=f"junior1@{slug}.example").manager_email
                == f"senior1@{slug}.example"
            )
            assert program.sponsors.count() == 1


def test_people_who_left_can_be_added_back_and_imports_approve_them(
    alpha: Tenant, program, client_for
) -> None:
    with alpha.scope():
        gone = add_person(program, "gone@example.com")
        participant_services.participant_remove(participant=gone, actor=alpha.hr)
        again = add_person(program, "gone@example.com", first_name="Back")
        assert again.pk == gone.pk and again.status == Participant.Status.APPROVED
        participant_services.participant_withdraw(participant=again)
    from programs.csv_parser import parse_participants_csv
    from programs.services.imports import participants_import

    parsed = parse_participants_csv(
        "email,first_name,last_name,side\ngone@example.com,Back,Test,junior\n"
    )
    with alpha.scope():
        summary = participants_import(program=program, rows=parsed.rows, invited_by=alpha.hr)
        again.refresh_from_db()
    assert summary.updated == 1 and again.status == Participant.Status.APPROVED


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
