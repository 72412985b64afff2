"""The participants list: filters by program (slug or id), status, side and email; returns what
changed with ``updated_since``; the cursor walks every row once; and a page of 100 costs the
same queries at any size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from programs.models import Participant, Program
from programs.services import participants as participant_services
from tests.api.support import api_client, results
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory, TopicFactory
from tests.queries import assert_queries_do_not_grow

URL = "/api/v1/participants/"


@pytest.fixture
def program(alpha: Tenant) -> Program:
    return ProgramFactory(organization=alpha.organization, slug="fluency", status="enrolling")


def emails(response) -> list[str]:
    return sorted(row["email"] for row in results(response))


def test_filters_name_a_program_by_slug_or_id_and_narrow_by_status_side_and_email(
    alpha: Tenant, beta: Tenant, program: Program
) -> None:
    other = ProgramFactory(organization=alpha.organization, slug="other")
    ParticipantFactory(program=program, email="a@example.com", side="junior")
    ParticipantFactory(program=program, email="b@example.com", side="senior", status="applied")
    ParticipantFactory(program=other, email="a@example.com", side="junior")
    theirs = ProgramFactory(organization=beta.organization, slug="theirs")
    ParticipantFactory(program=theirs, email="c@example.com")
    client = api_client(alpha.organization)

    assert emails(client.get(URL)) == ["a@example.com", "a@example.com", "b@example.com"]
    assert emails(client.get(URL, {"program": "fluency"})) == ["a@example.com", "b@example.com"]
    assert emails(client.get(URL, {"program": other.pk})) == ["a@example.com"]
    assert emails(client.get(URL, {"program": "theirs"})) == []
    assert emails(client.get(URL, {"program": theirs.pk})) == []
    assert emails(client.get(URL, {"status": "applied"})) == ["b@example.com"]
    assert emails(client.get(URL, {"side": "junior", "program": "fluency"})) == ["a@example.com"]
    assert emails(client.get(URL, {"email": "A@Example.com"})) == ["a@example.com"] * 2
    for bad in ({"status": "gone"}, {"side": "both"}, {"program": "x\x00"}):
        response = client.get(URL, bad)
        assert response.status_code == 400, bad
        assert set(response.json()["fields"]) == set(bad)


def test_updated_since_returns_the_participants_that_changed(
    alpha: Tenant, program: Program
) -> None:
    quiet = ParticipantFactory(program=program, email="quiet@example.com")
    leaving = ParticipantFactory(program=program, email="leaving@example.com")
    with alpha.scope():
        Participant.objects.update(updated_at=timezone.now() - timedelta(days=1))
    since = (timezone.now() - timedelta(seconds=1)).isoformat()
    with alpha.scope():
        participant_services.participant_withdraw(participant=leaving)
    rows = results(api_client(alpha.organization).get(URL, {"updated_since": since}))
    assert [(r["email"], r["status"]) for r in rows] == [("leaving@example.com", "withdrawn")]
    assert quiet.email not in {r["email"] for r in rows}


def test_the_cursor_walks_every_participant_once(alpha: Tenant, program: Program) -> None:
    made = {ParticipantFactory(program=program).pk for _ in range(11)}
    client = api_client(alpha.organization)
    seen: list[int] = []
    page = client.get(URL, {"page_size": 4}).json()
    # Someone added while the client walks: a cursor page does not shift.
    made.add(ParticipantFactory(program=program).pk)
    while True:
        seen += [row["id"] for row in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


def test_a_page_of_participants_costs_the_same_queries_at_any_size(
    alpha: Tenant, program: Program
) -> None:
    topics = [TopicFactory(organization=alpha.organization) for _ in range(3)]
    client = api_client(alpha.organization)

    def grow(n: int) -> None:
        with alpha.scope():
            for _ in range(n):
                ParticipantFactory(program=program, offers=topics[:2], wants=topics[1:])

    grow(3)
    client.get(URL)  # the key's "last used" is recorded once a minute
    # The key; the participants with their program; their offers; their wants.
    assert_queries_do_not_grow(
        lambda: client.get(f"{URL}?page_size=100"), grow=lambda: grow(60), pinned=4
    )
    # Filtered on a program by slug: one more, to find it.
    assert_queries_do_not_grow(
        lambda: client.get(f"{URL}?page_size=100&program=fluency&status=approved"),
        grow=lambda: grow(20),
        pinned=5,
    )
