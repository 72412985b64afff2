"""Who may act in a program: the HR-only pages answer 404 to every other role and method,
sponsors see the figures of the programs they sponsor only, one participant cannot touch
another's objective, and someone who left can look but not act."""

from __future__ import annotations

import pytest

from mentorship.models import Role
from programs.models import LearningObjective, Program
from programs.services import objectives as objective_services
from programs.services import participants as participant_services
from programs.services import sponsors as sponsor_services
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.programs.conftest import add_person, set_status, url


def test_a_sponsor_sees_figures_only_of_programs_they_sponsor(
    alpha: Tenant, program, client_for
) -> None:
    set_status(alpha, program, Program.Status.ENROLLING)
    page = client_for(alpha.sponsor).get(url(program)).content.decode()
    assert "applications waiting" not in page  # visible (enrolling) but not theirs
    with alpha.scope():
        sponsor_services.program_sponsor_add(
            program=program, membership=alpha.members[Role.SPONSOR]
        )
    assert "applications waiting" in client_for(alpha.sponsor).get(url(program)).content.decode()


def test_someone_who_left_can_look_but_not_act(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        me = add_person(program, alpha.participant.email)
        module = program.modules.first()
        topic = program.topics.first()
        participant_services.participant_withdraw(participant=me)
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
        objective = objective_services.objective_create(
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
        sponsor_services.program_sponsor_add(
            program=program, membership=alpha.members[Role.SPONSOR]
        )
        add_person(program, alpha.participant.email)
    response = getattr(client_for(alpha.user(role)), method)(url(program, suffix))
    assert response.status_code == 404
    with alpha.scope():
        assert Program.objects.count() == 1 and program.status == Program.Status.ENROLLING
