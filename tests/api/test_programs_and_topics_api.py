"""Programs and topics through the API: what they show, another organisation's are not found,
``updated_since`` returns what changed, and a page costs the same queries at any size."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from programs.models import Program, Topic
from programs.services import programs as program_services
from programs.services import topics as topic_services
from tests.api.support import api_client, results
from tests.conftest import Tenant
from tests.factories import ProgramFactory, TopicFactory
from tests.queries import assert_queries_do_not_grow


def test_a_program_shows_its_settings_status_and_topics_by_name(alpha: Tenant) -> None:
    ai = TopicFactory(organization=alpha.organization, name="AI")
    program = ProgramFactory(
        organization=alpha.organization, slug="fluency", name="Fluency", status="enrolling"
    )
    with alpha.scope():
        program.topics.set([ai])
    body = api_client(alpha.organization).get(f"/api/v1/programs/{program.pk}/").json()
    assert body["slug"] == "fluency"
    assert body["status"] == "enrolling"
    assert body["topics"] == ["AI"]
    assert body["archived_at"] is None
    assert "agreement_text" not in body


def test_programs_and_topics_of_another_organisation_are_not_found(
    alpha: Tenant, beta: Tenant
) -> None:
    theirs = ProgramFactory(organization=beta.organization)
    their_topic = TopicFactory(organization=beta.organization)
    client = api_client(alpha.organization)
    for path in (f"/api/v1/programs/{theirs.pk}/", f"/api/v1/topics/{their_topic.pk}/"):
        response = client.get(path)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert results(client.get("/api/v1/programs/")) == []
    assert results(client.get("/api/v1/topics/")) == []


def test_updated_since_returns_programs_whose_status_changed(alpha: Tenant) -> None:
    quiet = ProgramFactory(organization=alpha.organization, name="Quiet")
    moving = ProgramFactory(
        organization=alpha.organization,
        name="Moving",
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + timedelta(days=90),
        agreement_text="We meet every two weeks.",
    )
    past = timezone.now() - timedelta(days=1)
    with alpha.scope():
        Program.objects.update(updated_at=past)
    since = (timezone.now() - timedelta(seconds=1)).isoformat()
    with alpha.scope():
        program_services.program_transition(program=moving, target="enrolling", actor=alpha.hr)

    client = api_client(alpha.organization)
    names = [
        row["name"] for row in results(client.get("/api/v1/programs/", {"updated_since": since}))
    ]
    assert names == ["Moving"]
    assert quiet.name not in names
    bad = client.get("/api/v1/programs/", {"updated_since": "last tuesday"})
    assert bad.status_code == 400
    assert "updated_since" in bad.json()["fields"]


def test_renaming_a_topic_shows_in_topics_and_programs_updated_since(alpha: Tenant) -> None:
    topic = TopicFactory(organization=alpha.organization, name="Cloud")
    program = ProgramFactory(organization=alpha.organization)
    with alpha.scope():
        program.topics.set([topic])
        past = timezone.now() - timedelta(days=1)
        Topic.objects.update(updated_at=past)
        Program.objects.update(updated_at=past)
    since = (timezone.now() - timedelta(seconds=1)).isoformat()
    with alpha.scope():
        topic_services.topic_rename(topic=topic, name="Cloud computing")

    client = api_client(alpha.organization)
    topics = results(client.get("/api/v1/topics/", {"updated_since": since}))
    assert [t["name"] for t in topics] == ["Cloud computing"]
    programs = results(client.get("/api/v1/programs/", {"updated_since": since}))
    assert [p["topics"] for p in programs] == [["Cloud computing"]]


def test_bad_path_ids_are_not_found(alpha: Tenant) -> None:
    client = api_client(alpha.organization)
    for path in ("/api/v1/programs/99999999999999999999999/", "/api/v1/topics/abc/"):
        response = client.get(path)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_cursor_walks_every_program_once(alpha: Tenant) -> None:
    made = {ProgramFactory(organization=alpha.organization).pk for _ in range(7)}
    client = api_client(alpha.organization)
    seen: list[int] = []
    page = client.get("/api/v1/programs/", {"page_size": 3}).json()
    while True:
        seen += [row["id"] for row in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


def test_program_and_topic_lists_cost_the_same_queries_at_any_size(alpha: Tenant) -> None:
    client = api_client(alpha.organization)

    def grow(n: int) -> None:
        for _ in range(n):
            topic = TopicFactory(organization=alpha.organization)
            program = ProgramFactory(organization=alpha.organization)
            with alpha.scope():
                program.topics.set([topic])

    grow(2)
    client.get("/api/v1/topics/")  # the key's "last used" is recorded once a minute
    # The key; the programs; their topics.
    assert_queries_do_not_grow(
        lambda: client.get("/api/v1/programs/?page_size=100"), grow=lambda: grow(30), pinned=3
    )
    # The key; the topics.
    assert_queries_do_not_grow(
        lambda: client.get("/api/v1/topics/?page_size=100"), grow=lambda: grow(30), pinned=2
    )
