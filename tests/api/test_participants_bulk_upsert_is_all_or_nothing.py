"""A bulk upsert of participants writes every item or none: one bad item and nothing changes,
and every bad item is reported with its index and its problems by field, as the CSV importer
reports every bad line."""

from __future__ import annotations

from typing import Any

import pytest

from mentorship.models import AuditEvent, Invitation
from programs.models import Participant, Program, Topic
from tests.api.support import api_client
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory

URL = "/api/v1/participants/bulk/"


@pytest.fixture
def program(alpha: Tenant) -> Program:
    return ProgramFactory(
        organization=alpha.organization, slug="fluency", status=Program.Status.ENROLLING
    )


def person(email: str, **fields: Any) -> dict[str, Any]:
    return {"email": email, "first_name": "First", "last_name": "Last", "side": "senior", **fields}


def rows(tenant: Tenant) -> list[tuple]:
    with tenant.scope():
        return list(Participant.objects.order_by("pk").values_list())


def test_every_bad_item_is_reported_with_its_index_and_nothing_is_written(
    alpha: Tenant, program: Program
) -> None:
    ParticipantFactory(program=program, email="kept@example.com", title="Kept")
    before = rows(alpha)
    items = [
        person("new@example.com", offers=["Brand new topic"]),
        person("kept@example.com", title="Changed"),
        person("bad", level=0),  # two problems of the importer's
        "not an object",
        person("NEW@example.com"),  # the same email as item 0
        person("typed@example.com", level="3"),  # a JSON type problem
    ]
    response = api_client(alpha.organization, write=True).post(
        URL, {"program": "fluency", "participants": items}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"] == "4 items have problems; nothing was changed."
    reported = {item["index"]: item["fields"] for item in body["items"]}
    assert sorted(reported) == [2, 3, 4, 5]
    assert reported[2] == {
        "email": ["email “bad” is not a valid email address"],
        "level": ["level must be a whole number from 1 to 30, not “0”"],
    }
    assert list(reported[3]) == ["non_field_errors"]
    assert reported[4] == {"email": ["email also in item 0"]}
    assert list(reported[5]) == ["level"]

    assert rows(alpha) == before
    with alpha.scope():
        assert not Topic.objects.exists()
        assert not Invitation.objects.exists()


def test_a_good_request_writes_every_item_and_is_audited_like_an_import(
    alpha: Tenant, program: Program
) -> None:
    ParticipantFactory(program=program, email="kept@example.com", first_name="First")
    ParticipantFactory(
        program=program, email="same@example.com", first_name="First", last_name="Last"
    )
    items = [
        person("new@example.com", offers=["AI"], department="Sales"),
        person("kept@example.com", title="Director"),
        person("same@example.com", side="junior"),
    ]
    with alpha.scope():
        Participant.objects.filter(email="same@example.com").update(side="junior")
    response = api_client(alpha.organization, write=True).post(
        URL, {"program": program.pk, "participants": items}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 1, 1)
    assert [p["email"] for p in body["participants"]] == [i["email"] for i in items]
    assert body["participants"][0]["offers"] == ["AI"]
    assert body["participants"][1]["title"] == "Director"
    with alpha.scope():
        audit = AuditEvent.objects.get(action=AuditEvent.Action.PARTICIPANTS_IMPORTED)
    assert audit.summary.startswith("API key “Tests”: 1 created, 1 updated, 1 unchanged")


def test_an_empty_or_oversized_request_is_refused(alpha: Tenant, program: Program) -> None:
    client = api_client(alpha.organization, write=True)
    empty = client.post(URL, {"program": "fluency", "participants": []}, format="json")
    assert empty.status_code == 400
    assert "participants" in empty.json()["fields"]
    many = [person(f"p{i}@example.com") for i in range(1001)]
    oversized = client.post(URL, {"program": "fluency", "participants": many}, format="json")
    assert oversized.status_code == 400
    assert "participants" in oversized.json()["fields"]
    assert rows(alpha) == []


def test_a_closed_program_takes_nobody_in_bulk(alpha: Tenant, program: Program) -> None:
    with alpha.scope():
        Program.objects.filter(pk=program.pk).update(status=Program.Status.CLOSED)
    response = api_client(alpha.organization, write=True).post(
        URL, {"program": "fluency", "participants": [person("a@example.com")]}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "program_not_open")
    assert rows(alpha) == []
