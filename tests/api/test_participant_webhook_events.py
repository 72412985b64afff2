"""Webhook events of participants and programs: every path that adds, changes or removes a
participant (the page, the CSV import, the API, the directory, training, leaving) records one
event per change, in the transaction of the change, carrying exactly what the API shows; a
program's status change carries its old and new status. A rolled-back change records nothing,
and nothing is recorded for an event type no endpoint listens to."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from mentorship.events.models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from mentorship.models import Role
from programs.models import Participant, Program, TrainingModule
from programs.services import imports as import_services
from programs.services import participants as participant_services
from programs.services import programs as program_services
from programs.services import topics as topic_services
from programs.services import training as training_services
from tests.api.support import api_client
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory, TopicFactory

PARTICIPANT_EVENTS = (
    EventType.PARTICIPANT_CREATED,
    EventType.PARTICIPANT_UPDATED,
    EventType.PARTICIPANT_REMOVED,
)


@pytest.fixture
def program(alpha: Tenant) -> Program:
    return ProgramFactory(
        organization=alpha.organization, slug="fluency", status=Program.Status.ENROLLING
    )


def listen(tenant: Tenant, *event_types: str) -> WebhookEndpoint:
    with tenant.scope():
        return WebhookEndpoint.objects.create(
            organization=tenant.organization,
            url="https://hooks.example/receive",
            event_types=list(event_types or PARTICIPANT_EVENTS),
        )


def recorded(tenant: Tenant) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of every event recorded, oldest first."""
    with tenant.scope():
        return [
            (event.event_type, event.payload["data"])
            for event in WebhookEvent.objects.order_by("pk")
        ]


def shown(tenant: Tenant, participant_id: int) -> dict[str, Any]:
    return api_client(tenant.organization).get(f"/api/v1/participants/{participant_id}/").json()


def test_adding_on_the_page_records_one_created_event_with_what_the_api_shows(
    alpha: Tenant, program: Program, client_for
) -> None:
    listen(alpha)
    ai = TopicFactory(organization=alpha.organization, name="AI")
    response = client_for(alpha.hr).post(
        f"/o/alpha/programs/{program.slug}/participants/add/",
        {
            "email": "new@example.com",
            "first_name": "New",
            "last_name": "Person",
            "side": "junior",
            "level": 2,
            "timezone": "Europe/Paris",
            "offers": [ai.pk],
        },
    )
    assert response.status_code == 302
    [(event_type, data)] = recorded(alpha)
    assert event_type == "participant.created"
    assert data == shown(alpha, data["id"])
    assert data["offers"] == ["AI"]
    with alpha.scope():
        assert WebhookDelivery.objects.count() == 1


def test_a_csv_import_records_created_and_updated_once_each_and_nothing_for_the_unchanged(
    alpha: Tenant, program: Program
) -> None:
    kept = ParticipantFactory(program=program, email="kept@example.com", first_name="Kept")
    ParticipantFactory(
        program=program, email="same@example.com", first_name="Same", last_name="Person"
    )
    listen(alpha)
    text = (
        "email,first_name,last_name,side\n"
        "new@example.com,New,Person,senior\n"
        "kept@example.com,Kept,Renamed,junior\n"
        "same@example.com,Same,Person,junior\n"
    )
    with alpha.scope():
        import_services.participants_import_from_text(
            program=program, text=text, invited_by=alpha.hr, dry_run=False
        )
    events = recorded(alpha)
    assert [(t, d["email"]) for t, d in events] == [
        ("participant.created", "new@example.com"),
        ("participant.updated", "kept@example.com"),
    ]
    assert events[1][1]["id"] == kept.pk
    assert events[1][1]["last_name"] == "Renamed"
    for _, data in events:
        assert data == shown(alpha, data["id"])


def test_api_writes_record_created_updated_and_removed(alpha: Tenant, program: Program) -> None:
    listen(alpha)
    client = api_client(alpha.organization, write=True)
    person = {"program": "fluency", "email": "a@example.com", "first_name": "A"}
    person |= {"last_name": "B", "side": "junior"}
    created = client.post("/api/v1/participants/", person, format="json").json()
    client.post("/api/v1/participants/", person, format="json")  # unchanged: no event
    patched = client.patch(
        f"/api/v1/participants/{created['id']}/", {"title": "Analyst"}, format="json"
    ).json()
    client.delete(f"/api/v1/participants/{created['id']}/")
    bulk = {"program": "fluency", "participants": [{**person, "email": "c@example.com"}]}
    client.post("/api/v1/participants/bulk/", bulk, format="json")

    events = recorded(alpha)
    assert [t for t, _ in events] == [
        "participant.created",
        "participant.updated",
        "participant.removed",
        "participant.created",
    ]
    assert events[0][1] == created
    assert events[1][1] == patched
    assert events[2][1]["status"] == "removed"
    assert events[3][1]["email"] == "c@example.com"


def test_leaving_deciding_training_and_joining_record_their_events(
    alpha: Tenant, program: Program
) -> None:
    applicant = ParticipantFactory(program=program, status=Participant.Status.APPLIED)
    leaver = ParticipantFactory(program=program)
    # Added by email before they joined: not linked to their membership yet.
    waiting = ParticipantFactory(program=program, email=alpha.participant.email)
    listen(alpha)
    with alpha.scope():
        participant_services.participant_decide(participant=applicant, approve=True, actor=alpha.hr)
        participant_services.participant_withdraw(participant=leaver)
        module = TrainingModule.objects.create(
            organization=alpha.organization, program=program, title="Basics", body="Read"
        )
        training_services.module_complete(module=module, participant=applicant)
        participant_services.participants_link_membership(
            membership=alpha.members[Role.PARTICIPANT]
        )
    events = recorded(alpha)
    assert [(t, d["id"]) for t, d in events] == [
        ("participant.updated", applicant.pk),
        ("participant.removed", leaver.pk),
        ("participant.updated", applicant.pk),
        ("participant.updated", waiting.pk),
    ]
    assert (events[0][1]["status"], events[0][1]["training_done"]) == ("approved", False)
    assert events[1][1]["status"] == "withdrawn"
    assert events[2][1]["training_done"] is True
    assert events[3][1]["member_id"] == alpha.members[Role.PARTICIPANT].pk


def test_the_directory_records_an_update_only_when_it_changes_something(
    alpha: Tenant, program: Program
) -> None:
    member = alpha.members[Role.PARTICIPANT]
    row = ParticipantFactory(program=program, membership=member, department="Sales")
    listen(alpha)
    with alpha.scope():
        participant_services.participants_apply_directory(
            membership=member, attributes={"department": "Sales"}
        )
        assert recorded(alpha) == []
        participant_services.participants_apply_directory(
            membership=member, attributes={"department": "Legal", "title": "Counsel"}
        )
    [(event_type, data)] = recorded(alpha)
    assert (event_type, data["id"], data["department"]) == ("participant.updated", row.pk, "Legal")


def test_merging_topics_records_an_update_of_each_person_whose_topics_change(
    alpha: Tenant, program: Program
) -> None:
    ai, ml = (TopicFactory(organization=alpha.organization, name=n) for n in ("AI", "ML"))
    with alpha.scope():
        both = ParticipantFactory(program=program, offers=[ai], wants=[ai])
        ParticipantFactory(program=program, offers=[ml])
    listen(alpha)
    with alpha.scope():
        topic_services.topic_merge(source=ai, target=ml, actor=alpha.hr)
    [(event_type, data)] = recorded(alpha)
    assert (event_type, data["id"]) == ("participant.updated", both.pk)
    assert (data["offers"], data["wants"]) == (["ML"], ["ML"])


def test_a_program_status_change_carries_the_old_and_new_status(
    alpha: Tenant, program: Program
) -> None:
    listen(alpha, EventType.PROGRAM_STATUS_CHANGED)
    with alpha.scope():
        program_services.program_transition(program=program, target="draft", actor=alpha.hr)
    [(event_type, data)] = recorded(alpha)
    assert event_type == "program.status_changed"
    assert (data["previous_status"], data["status"]) == ("enrolling", "draft")
    shown_program = api_client(alpha.organization).get(f"/api/v1/programs/{program.pk}/").json()
    assert {k: v for k, v in data.items() if k != "previous_status"} == shown_program


def test_a_change_that_rolls_back_records_no_event(alpha: Tenant, program: Program) -> None:
    listen(alpha, *PARTICIPANT_EVENTS, EventType.PROGRAM_STATUS_CHANGED)
    with pytest.raises(RuntimeError), alpha.scope(), transaction.atomic():
        participant_services.participant_add(
            program=program,
            email="gone@example.com",
            invited_by=alpha.hr,
            first_name="Gone",
            last_name="Soon",
            side="junior",
        )
        program_services.program_transition(program=program, target="draft", actor=alpha.hr)
        assert len(recorded(alpha)) == 2
        raise RuntimeError("the request failed after the change")
    assert recorded(alpha) == []
    with alpha.scope():
        assert not Participant.objects.exists()


def test_only_the_event_types_an_endpoint_listens_to_are_recorded(
    alpha: Tenant, beta: Tenant, program: Program
) -> None:
    listen(alpha, EventType.PARTICIPANT_REMOVED)
    listen(beta)  # another organisation's endpoint hears nothing of alpha's
    with alpha.scope():
        person = participant_services.participant_add(
            program=program,
            email="a@example.com",
            invited_by=alpha.hr,
            first_name="A",
            last_name="B",
            side="junior",
        )
        assert recorded(alpha) == []
        participant_services.participant_remove(participant=person, actor=alpha.hr)
    assert [(t, d["id"]) for t, d in recorded(alpha)] == [("participant.removed", person.pk)]
    assert recorded(beta) == []
