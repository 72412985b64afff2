"""The free-text availability moves into weekly ranges where it parses, stays as the note where
it does not, and comes back as text when the migration is reversed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("programs", "0006_weekly_availability_session_plan")
AFTER = ("programs", "0007_availability_from_text")


def _migrate(targets: list[tuple[str, str]]) -> object:
    """Migrate to ``targets`` (later migrations that need them are unapplied first)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_parsing_text_becomes_ranges_and_the_rest_stays_a_note() -> None:
    apps = _migrate([BEFORE])
    Organization = apps.get_model("mentorship", "Organization")
    Program = apps.get_model("programs", "Program")
    Participant = apps.get_model("programs", "Participant")
    org = Organization.objects.create(slug="old", name="Old")
    program = Program.objects.create(organization=org, name="P", slug="p")

    def person(name: str, text: str, weekly: list | None = None) -> int:
        return Participant.objects.create(
            organization=org,
            program=program,
            email=f"{name}@old.test",
            first_name=name,
            last_name="X",
            side="junior",
            availability=text,
            weekly_availability=weekly or [],
        ).pk

    parsed = person("parsed", "Tue/Thu mornings")
    note = person("note", "not in August")
    empty = person("empty", "")
    already = person("already", "Wed afternoons", [[4, "10:00", "11:00"]])

    before = dict(Participant.objects.values_list("pk", "updated_at"))
    apps = _migrate([AFTER])
    Participant = apps.get_model("programs", "Participant")
    rows = {p.pk: (p.weekly_availability, p.availability) for p in Participant.objects.all()}
    # The rows changed are new to API clients syncing with ?updated_since=; the others are not.
    after = dict(Participant.objects.values_list("pk", "updated_at"))
    assert after[parsed] > before[parsed]
    assert after[note] == before[note] and after[already] == before[already]
    assert rows[parsed] == ([[1, "09:00", "12:00"], [3, "09:00", "12:00"]], "")
    assert rows[note] == ([], "not in August")
    assert rows[empty] == ([], "")
    assert rows[already] == ([[4, "10:00", "11:00"]], "Wed afternoons")

    apps = _migrate([BEFORE])
    Participant = apps.get_model("programs", "Participant")
    back = {p.pk: (p.weekly_availability, p.availability) for p in Participant.objects.all()}
    assert back[parsed] == ([], "Tue, Thu 09:00–12:00")
    assert back[note] == ([], "not in August")
    assert back[already] == ([[4, "10:00", "11:00"]], "Wed afternoons")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
