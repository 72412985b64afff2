"""A participant is created or updated by email through the API, with the CSV importer's rules
and messages; PATCH changes only what it sends; DELETE removes as the page does. A read key
cannot write, another organisation's participants are not found, and a retried create with the
same Idempotency-Key answers the same and creates once."""

from __future__ import annotations

from typing import Any

import pytest

from mentorship.models import AuditEvent, Invitation
from programs.csv_parser import parse_participants_csv
from programs.models import Participant, Program
from tests.api.support import api_client
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory, TopicFactory

URL = "/api/v1/participants/"


@pytest.fixture
def program(alpha: Tenant) -> Program:
    return ProgramFactory(
        organization=alpha.organization, slug="fluency", status=Program.Status.ENROLLING
    )


def ann(**fields: Any) -> dict[str, Any]:
    return {
        "program": "fluency",
        "email": "Ann@Example.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "side": "junior",
        **fields,
    }


def test_posting_an_email_creates_then_updates_the_same_participant(
    alpha: Tenant, program: Program
) -> None:
    client = api_client(alpha.organization, write=True)
    created = client.post(URL, ann(department="IT", offers=["AI", "Cloud"], level=3), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["email"] == "ann@example.com"
    assert (body["program"], body["program_slug"]) == (program.pk, "fluency")
    assert (body["department"], body["level"], body["timezone"]) == ("IT", 3, "UTC")
    assert body["offers"] == ["AI", "Cloud"]
    assert body["status"] == "approved"

    # By id this time, in another case: the same person, updated; what is left out is reset,
    # as a CSV line without it would.
    updated = client.post(
        URL, ann(program=program.pk, email="ANN@example.com", title="Analyst"), format="json"
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["id"] == body["id"]
    assert (updated.json()["title"], updated.json()["department"]) == ("Analyst", "")
    assert updated.json()["offers"] == []
    with alpha.scope():
        assert Participant.objects.count() == 1
        # A stranger is invited to join, as from an import.
        assert Invitation.objects.filter(email="ann@example.com").count() == 1


def test_an_api_item_gets_the_csv_importers_messages_for_the_same_bad_values(
    alpha: Tenant, program: Program
) -> None:
    bad = {
        "email": "not-an-email",
        "level": 99,
        "timezone": "Mars/Olympus",
        "manager_email": "boss@",
        "side": "middle",
    }
    parsed = parse_participants_csv(
        "email,first_name,last_name,side,level,manager_email,timezone\n"
        f"{bad['email']},Ann,Lee,{bad['side']},{bad['level']},{bad['manager_email']},"
        f"{bad['timezone']}\n"
    )
    [(_, importer_says)] = parsed.errors

    response = api_client(alpha.organization, write=True).post(URL, ann(**bad), format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"email", "side", "level", "manager_email", "timezone"}
    in_column_order = [
        message
        for column in ("email", "side", "level", "manager_email", "timezone")
        for message in fields[column]
    ]
    assert "; ".join(in_column_order) == importer_says
    with alpha.scope():
        assert not Participant.objects.exists()


def test_missing_required_details_are_reported_as_the_importer_does(
    alpha: Tenant, program: Program
) -> None:
    response = api_client(alpha.organization, write=True).post(
        URL, {"program": "fluency", "first_name": "  "}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "email": ["email is required"],
        "first_name": ["first_name is required"],
        "last_name": ["last_name is required"],
        "side": ["side is required (junior or senior)"],
    }


def test_wrong_json_types_and_unknown_programs_are_refused(
    alpha: Tenant, beta: Tenant, program: Program
) -> None:
    client = api_client(alpha.organization, write=True)
    typed = client.post(URL, ann(level="3", first_name=5, offers=["A;B"]), format="json")
    assert typed.status_code == 400
    assert set(typed.json()["fields"]) == {"level", "first_name", "offers"}
    theirs = ProgramFactory(organization=beta.organization, slug="theirs")
    for reference in ("theirs", theirs.pk, "nowhere"):
        response = client.post(URL, ann(program=reference), format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {"program": ["No program with this slug or id."]}
    with beta.scope():
        assert not Participant.objects.exists()


@pytest.mark.parametrize("state", ["closed", "archived"])
def test_nobody_joins_a_closed_or_archived_program_through_the_api(
    alpha: Tenant, program: Program, state: str
) -> None:
    with alpha.scope():
        if state == "closed":
            Program.objects.filter(pk=program.pk).update(status=Program.Status.CLOSED)
        else:
            Program.objects.filter(pk=program.pk).update(archived_at="2026-01-01T00:00:00Z")
    response = api_client(alpha.organization, write=True).post(URL, ann(), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "program_not_open"
    assert state in response.json()["message"]
    with alpha.scope():
        assert not Participant.objects.exists()


def test_a_read_key_cannot_write(alpha: Tenant, program: Program) -> None:
    person = ParticipantFactory(program=program)
    client = api_client(alpha.organization)
    for response in (
        client.post(URL, ann(), format="json"),
        client.post(f"{URL}bulk/", {"program": "fluency", "participants": [ann()]}, format="json"),
        client.patch(f"{URL}{person.pk}/", {"title": "Boss"}, format="json"),
        client.delete(f"{URL}{person.pk}/"),
    ):
        assert (response.status_code, response.json()["code"]) == (403, "read_only_key")
    with alpha.scope():
        assert Participant.objects.get().title == ""
        assert Participant.objects.get().status == Participant.Status.APPROVED


def test_patch_changes_only_what_it_sends_and_keeps_the_status(
    alpha: Tenant, program: Program
) -> None:
    ai = TopicFactory(organization=alpha.organization, name="AI")
    with alpha.scope():
        person = ParticipantFactory(
            program=program,
            department="IT",
            level=4,
            status=Participant.Status.WITHDRAWN,
            offers=[ai],
        )
    client = api_client(alpha.organization, write=True)
    response = client.patch(
        f"{URL}{person.pk}/", {"title": "Analyst", "wants": ["Cloud"]}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["department"], body["level"]) == ("Analyst", "IT", 4)
    assert (body["offers"], body["wants"]) == (["AI"], ["Cloud"])
    assert body["status"] == "withdrawn"

    bad = client.patch(f"{URL}{person.pk}/", {"level": 0, "email": "x@y.z"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"email"}
    bad = client.patch(f"{URL}{person.pk}/", {"level": 0}, format="json")
    assert bad.json()["fields"] == {"level": ["level must be a whole number from 1 to 30, not “0”"]}
    with alpha.scope():
        assert Participant.objects.get().level == 4


def test_delete_removes_from_the_program_and_keeps_the_row(alpha: Tenant, program: Program) -> None:
    person = ParticipantFactory(program=program)
    client = api_client(alpha.organization, write=True)
    assert client.delete(f"{URL}{person.pk}/").status_code == 204
    assert client.get(f"{URL}{person.pk}/").json()["status"] == "removed"
    again = client.delete(f"{URL}{person.pk}/")
    assert (again.status_code, again.json()["code"]) == (409, "not_allowed_now")
    with alpha.scope():
        assert AuditEvent.objects.filter(action=AuditEvent.Action.PARTICIPANT_REMOVED).count() == 1


def test_another_organisations_participant_is_not_found(
    alpha: Tenant, beta: Tenant, program: Program
) -> None:
    theirs = ParticipantFactory(program=ProgramFactory(organization=beta.organization))
    client = api_client(alpha.organization, write=True)
    path = f"{URL}{theirs.pk}/"
    for response in (
        client.get(path),
        client.patch(path, {"title": "Boss"}, format="json"),
        client.delete(path),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    with beta.scope():
        theirs.refresh_from_db()
    assert (theirs.title, theirs.status) == ("", Participant.Status.APPROVED)


def test_a_retried_create_with_the_same_idempotency_key_answers_the_same_and_creates_once(
    alpha: Tenant, program: Program
) -> None:
    client = api_client(alpha.organization, write=True)
    first = client.post(URL, ann(), format="json", HTTP_IDEMPOTENCY_KEY="sync-42")
    again = client.post(URL, ann(), format="json", HTTP_IDEMPOTENCY_KEY="sync-42")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    # Without the key, the same request is a second upsert: an update, no longer a create.
    assert client.post(URL, ann(), format="json").status_code == 200
    with alpha.scope():
        assert Participant.objects.count() == 1
