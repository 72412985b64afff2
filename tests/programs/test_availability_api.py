"""The API shows a participant's weekly availability and changes it with PATCH, with one message
per bad range in the API's field format; the personal-data export carries it and an erasure
clears it."""

from __future__ import annotations

import json

import pytest

from programs import privacy
from programs.models import Participant, Program
from tests.api.support import api_client
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory

URL = "/api/v1/participants/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(alpha: Tenant) -> Participant:
    program = ProgramFactory(organization=alpha.organization, status=Program.Status.ENROLLING)
    return ParticipantFactory(program=program, weekly_availability=[[0, "09:00", "12:00"]])


def test_the_ranges_are_shown_and_patched_merged(alpha: Tenant, person: Participant) -> None:
    client = api_client(alpha.organization, write=True)
    assert client.get(f"{URL}{person.pk}/").json()["weekly_availability"] == [[0, "09:00", "12:00"]]
    response = client.patch(
        f"{URL}{person.pk}/",
        {"weekly_availability": [[2, "10:00", "11:00"], [2, "10:30", "12:00"]]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["weekly_availability"] == [[2, "10:00", "12:00"]]
    with alpha.scope():
        person.refresh_from_db()
    assert person.weekly_availability == [[2, "10:00", "12:00"]]


def test_bad_ranges_are_refused_by_field(alpha: Tenant, person: Participant) -> None:
    client = api_client(alpha.organization, write=True)
    bad = client.patch(
        f"{URL}{person.pk}/",
        {"weekly_availability": [[0, "12:00", "09:00"], [8, "09:00", "10:00"]]},
        format="json",
    )
    assert bad.status_code == 400
    messages = bad.json()["fields"]["weekly_availability"]
    assert len(messages) == 2 and "the end must be after the start" in messages[0]
    assert client.patch(
        f"{URL}{person.pk}/", {"weekly_availability": "Mon mornings"}, format="json"
    ).json()["fields"] == {"weekly_availability": ["Give a list of [weekday, start, end] ranges."]}
    with alpha.scope():
        person.refresh_from_db()
    assert person.weekly_availability == [[0, "09:00", "12:00"]]


def test_a_patch_without_it_keeps_it(alpha: Tenant, person: Participant) -> None:
    client = api_client(alpha.organization, write=True)
    assert client.patch(f"{URL}{person.pk}/", {"title": "Boss"}, format="json").status_code == 200
    with alpha.scope():
        person.refresh_from_db()
    assert person.weekly_availability == [[0, "09:00", "12:00"]]


def test_the_export_carries_it_and_an_erasure_clears_it(alpha: Tenant, person: Participant) -> None:
    with alpha.scope():
        person.availability = "not in August"
        person.save()
        data = privacy.participant_data(participant=person)
        assert '"weekly_availability": [[0, "09:00", "12:00"]]' in _json(data)
        assert "not in August" in _json(data)
        privacy.participant_erase(participant=person, actor=alpha.hr)
        person.refresh_from_db()
    assert (person.weekly_availability, person.availability) == ([], "")


def _json(data: object) -> str:
    return json.dumps(data, default=str)
