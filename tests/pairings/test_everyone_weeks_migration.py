"""The migration that adds the weekly totals' rows for everyone fills them from the department
rows already there (one per key, their sums), and going back removes them and nothing else."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("pairings", "0007_dashboard_totals")
AFTER = ("pairings", "0008_everyone_weeks")


def _migrate(target: tuple[str, str]) -> object:
    """Migrate pairings to ``target`` (every other app to its latest); the models as then."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = [n for n in executor.loader.graph.leaf_nodes() if n[0] != "pairings"] + [target]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _rows(apps: object, name: str, *fields: str) -> set[tuple]:
    return set(apps.get_model("pairings", name).objects.values_list(*fields))


@pytest.mark.django_db(transaction=True)
def test_the_everyone_rows_are_the_sums_of_the_department_rows_and_go_back_out() -> None:
    apps = _migrate(BEFORE)
    Organization = apps.get_model("mentorship", "Organization")
    Program = apps.get_model("programs", "Program")
    Topic = apps.get_model("programs", "Topic")
    SessionWeek = apps.get_model("pairings", "SessionWeek")
    TopicWeek = apps.get_model("pairings", "TopicWeek")
    org = Organization.objects.create(slug="old", name="Old")
    program = Program.objects.create(organization=org, name="P", slug="p")
    topic = Topic.objects.create(organization=org, name="AI")
    week = date(2026, 11, 2)
    common = {"organization": org, "program": program, "week": week}
    for side, department, sessions, minutes, cancellations in (
        ("junior", "Sales", 2, 60, 1),
        ("junior", "", 1, 30, 0),  # no department given: its row is not the everyone row
        ("senior", "Tech", 1, 45, 2),
        ("", "", 0, 0, 1),  # cancelled by an HR admin
    ):
        SessionWeek.objects.create(
            **common,
            side=side,
            department=department,
            sessions=sessions,
            minutes=minutes,
            cancellations=cancellations,
        )
    for side, department, sessions in (
        ("junior", "Sales", 2),
        ("junior", "", 1),
        ("senior", "Tech", 1),
    ):
        TopicWeek.objects.create(
            **common, topic=topic, side=side, department=department, sessions=sessions
        )
    weeks_before = _rows(
        apps, "SessionWeek", "side", "department", "sessions", "minutes", "cancellations"
    )
    topics_before = _rows(apps, "TopicWeek", "side", "department", "sessions")

    apps = _migrate(AFTER)
    weeks = ("side", "everyone", "department", "sessions", "minutes", "cancellations")
    assert _rows(apps, "SessionWeek", *weeks) == {
        (side, False, department, *totals) for side, department, *totals in weeks_before
    } | {("junior", True, "", 3, 90, 1), ("senior", True, "", 1, 45, 2), ("", True, "", 0, 0, 1)}
    assert _rows(apps, "TopicWeek", "side", "everyone", "department", "sessions") == {
        (side, False, department, n) for side, department, n in topics_before
    } | {("junior", True, "", 3), ("senior", True, "", 1)}
    assert set(
        apps.get_model("pairings", "TopicWeek").objects.values_list("topic_id", flat=True)
    ) == {topic.pk}

    apps = _migrate(BEFORE)
    assert (
        _rows(apps, "SessionWeek", "side", "department", "sessions", "minutes", "cancellations")
        == weeks_before
    )
    assert _rows(apps, "TopicWeek", "side", "department", "sessions") == topics_before

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
