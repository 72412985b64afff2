"""Merging two topics loses nothing: every relation to a topic, in any app, is found in the model
registry and has a handler (or the merge refuses, writing nothing); session-log tags, weekly
totals, objectives and every dashboard figure come out as before, the source read as the
target."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from mentorship.frame.dashboards import Filters, dashboard
from mentorship.tenancy import across_all_organizations
from pairings import activity
from pairings.models import Pairing, SessionLog, TopicWeek
from pairings.services.session_logs import session_log_create
from programs.models import LearningObjective, Participant, Program, Topic
from programs.references import objective_references, topic_references
from programs.services import objectives as objective_services
from programs.services import participants as participant_services
from programs.services import programs as program_services
from programs.services import topics as topic_services
from tests.conftest import Tenant
from tests.factories import PairingFactory

TODAY = timezone.localdate()


def pointing_at(model: type[models.Model]) -> list[str]:
    """Every relation of any installed model to ``model``, read from Django's registry here (not
    from the code under test): a model added later that points at a topic shows up."""
    return sorted(
        f"{field.related_model._meta.label}.{field.field.name}"
        for field in model._meta.get_fields(include_hidden=True)
        if field.is_relation
        and field.auto_created
        and not field.concrete
        # An automatic many-to-many table: its many-to-many field is the relation.
        and not field.related_model._meta.auto_created
    )


def test_every_relation_to_a_topic_or_an_objective_has_a_handler() -> None:
    topics = pointing_at(Topic)
    # Hidden relations are seen too (the weekly totals' foreign key has related_name="+").
    assert {"pairings.TopicWeek.topic", "pairings.SessionLog.topics"} <= set(topics)
    assert [label for label in topics if label not in topic_references.handlers] == []
    objectives = pointing_at(LearningObjective)
    assert "pairings.SessionLog.objectives" in objectives
    assert [label for label in objectives if label not in objective_references.handlers] == []


# --- A program whose people, logs and totals use both topics ----------------------------------


def build(alpha: Tenant) -> tuple[Program, Topic, Topic]:
    """An active program with the topics "Python" (merged away) and "Programming" (kept), and
    "SQL": people offering and wanting them (one person both), objectives on "Python" (three
    people, so the dashboard shows their baseline), and session logs on either topic in the same
    weeks, sides and departments (their weekly totals add up) and apart (they move)."""
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="Merge")
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        program.refresh_from_db()
        python, programming, sql = topic_services.topics_get_or_create(
            organization=alpha.organization, names=["Python", "Programming", "SQL"]
        )
        program.topics.set([python, programming, sql])
        people = {}
        for n, (offers, wants) in enumerate(
            [([python], []), ([programming], [sql]), ([python, programming], [])]
        ):
            people[f"j{n}"] = participant_services.participant_add(
                program=program,
                email=f"j{n}@example.com",
                invited_by=None,
                first_name="J",
                last_name=str(n),
                side="junior",
                level=1,
                department="Ops",
                offers=offers,
                wants=wants,
            )
            people[f"s{n}"] = participant_services.participant_add(
                program=program,
                email=f"s{n}@example.com",
                invited_by=None,
                first_name="S",
                last_name=str(n),
                side="senior",
                level=9,
                department="Tech" if n else "Ops",
                wants=[*offers, sql],
            )
        Participant.objects.update(matched=True)
        pairs = [
            PairingFactory(
                program=program,
                mentor=people[f"j{n}"],
                mentee=people[f"s{n}"],
                status=Pairing.Status.ACTIVE,
            )
            for n in range(3)
        ]
        goals = [
            objective_services.objective_create(
                participant=people[f"s{n}"],
                topic=python,
                success_criteria=f"Goal {n}",
                baseline_rating=n + 2,
            )
            for n in range(3)
        ]
        yesterday, earlier = TODAY - timedelta(days=1), TODAY - timedelta(days=8)
        for pairing, author, day, topics, progress in (
            # Juniors of Ops, the same week: one total per topic on the same key, added up.
            (pairs[0], people["j0"], yesterday, [python], None),
            (pairs[1], people["j1"], yesterday, [programming], None),
            (pairs[2], people["j2"], yesterday, [python, sql], None),
            # Alone on their key: the total moves to "Programming".
            (pairs[2], people["s2"], earlier, [python], {goals[2].pk: 50}),
            (pairs[1], people["s1"], earlier, [programming, sql], None),
        ):
            session_log_create(
                pairing=pairing,
                author=author,
                date=day,
                minutes=60,
                topics=topics,
                progress=progress,
            )
    return program, python, programming


def table_counts() -> dict[str, int]:
    with across_all_organizations():
        return {
            model._meta.label: model._default_manager.count()
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }


def topic_rows(rename: dict[str, str]) -> dict[str, Any]:
    """Every row that names a topic, by table, with topics by name (``rename`` applied): the
    links of each many-to-many relation, objectives, and weekly totals summed per key."""
    with across_all_organizations():
        rows: dict[str, Any] = {}
        for label in topic_references.relations():
            model_label, name = label.rsplit(".", 1)
            field = apps.get_model(model_label)._meta.get_field(name)
            if field.many_to_many:
                through = field.remote_field.through
                owner = f"{field.m2m_field_name()}_id"
                topic = field.m2m_reverse_field_name()
                rows[through._meta.label] = {
                    (owner_id, rename.get(topic_name, topic_name))
                    for owner_id, topic_name in through.objects.values_list(owner, f"{topic}__name")
                }
        objectives = LearningObjective.objects.values_list(
            "pk", "participant_id", "topic__name", "success_criteria", "progress"
        )
        rows["programs.LearningObjective"] = {
            (pk, participant_id, rename.get(topic, topic), criteria, progress)
            for pk, participant_id, topic, criteria, progress in objectives
        }
        totals: Counter[tuple] = Counter()
        for (
            program_id,
            week,
            topic,
            side,
            everyone,
            department,
            sessions,
        ) in TopicWeek.objects.values_list(
            "program_id", "week", "topic__name", "side", "everyone", "department", "sessions"
        ):
            key = (program_id, week, rename.get(topic, topic), side, everyone, department)
            totals[key] += sessions
        rows["pairings.TopicWeek"] = dict(totals)
        rows["tags"] = {
            log.pk: {rename.get(t.name, t.name) for t in log.topics.all()}
            for log in SessionLog.objects.prefetch_related("topics")
        }
        rows["objectives touched"] = {
            log.pk: {o.pk for o in log.objectives.all()}
            for log in SessionLog.objects.prefetch_related("objectives")
        }
    return rows


def figures(alpha: Tenant, program: Program, now: datetime, rename: dict[str, str]) -> dict:
    """Every figure of the HR dashboard of the program, topics by name (``rename`` applied)."""
    with alpha.scope():
        board = dashboard(
            program_ids=[program.pk], filters=Filters.default(), k=3, named=True, now=now
        )
    shown = {f.name: getattr(board, f.name) for f in fields(board)}
    taught: Counter[str] = Counter()
    seniors: Counter[str] = Counter()
    for topic, juniors_n, seniors_n in board.taught:
        taught[rename.get(topic, topic)] += juniors_n
        seniors[rename.get(topic, topic)] += seniors_n
    shown["taught"] = sorted(
        ((t, taught[t], seniors[t]) for t in taught), key=lambda t: (-(t[1] + t[2]), t[0])
    )
    shown["skills"] = sorted((rename.get(topic, topic), *rest) for topic, *rest in board.skills)
    return shown


def test_a_merge_keeps_every_row_and_figure_with_the_source_read_as_the_target(
    alpha: Tenant,
) -> None:
    program, python, programming = build(alpha)
    now = timezone.now()
    rename = {python.name: programming.name}
    counts = table_counts()
    rows = topic_rows(rename)
    board = figures(alpha, program, now, rename)
    # The data exercises what the merge must get right.
    assert (
        rows["pairings.TopicWeek"][
            (
                program.pk,
                activity.week_of(TODAY - timedelta(days=1)),
                "Programming",
                "junior",
                False,
                "Ops",
            )
        ]
        == 3
    )
    assert ("Python", 3.0, None, None) in figures(alpha, program, now, {})["skills"]
    with alpha.scope():
        weeks_before = TopicWeek.objects.count()

    with alpha.scope():
        topic_services.topic_merge(source=python, target=programming, actor=alpha.hr)

    assert topic_rows({}) == rows
    assert figures(alpha, program, now, {}) == board
    expected = {**counts, "programs.Topic": counts["programs.Topic"] - 1}
    expected["mentorship.AuditEvent"] += 1  # "Topic “Python” merged into “Programming”"
    for label, linked in rows.items():
        if label in expected:
            expected[label] = len(linked)  # links to both topics are one link now
    assert table_counts() == expected
    with alpha.scope():
        assert TopicWeek.objects.count() < weeks_before  # added on their key, not duplicated
        assert not Topic.objects.filter(name="Python").exists()


def test_a_log_tagged_with_both_topics_is_one_session_of_the_target(alpha: Tenant) -> None:
    """Its week counted it once under each topic; merged, it is counted once: the totals are
    what a recount of the logs gives."""
    program, python, programming = build(alpha)
    with alpha.scope():
        pairing = Pairing.objects.filter(program=program).first()
        session_log_create(
            pairing=pairing,
            author=pairing.mentor,
            date=TODAY - timedelta(days=2),
            minutes=30,
            topics=[python, programming],
        )
        topic_services.topic_merge(source=python, target=programming, actor=alpha.hr)
    merged = topic_rows({})["pairings.TopicWeek"]
    activity.rebuild(organization_id=alpha.organization.pk)
    assert topic_rows({})["pairings.TopicWeek"] == merged


def test_objectives_folded_by_a_merge_keep_the_sessions_that_touched_them(alpha: Tenant) -> None:
    _, python, programming = build(alpha)
    with alpha.scope():
        log = SessionLog.objects.filter(objectives__isnull=False).get()
        touched = log.objectives.get()  # on "Python"
        kept = objective_services.objective_create(
            participant=touched.participant,
            topic=programming,
            success_criteria="Kept",
            baseline_rating=1,
        )
        topic_services.topic_merge(source=python, target=programming, actor=alpha.hr)
        assert list(log.objectives.all()) == [kept]
        assert not LearningObjective.objects.filter(pk=touched.pk).exists()


def test_a_relation_without_a_handler_stops_the_merge_before_anything_is_written(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, python, programming = build(alpha)
    counts, rows = table_counts(), topic_rows({})
    for registry in (topic_references, objective_references):
        for label in registry.relations():
            with monkeypatch.context() as patch:
                patch.delitem(registry.handlers, label)
                with alpha.scope(), pytest.raises(ValidationError, match=label):
                    topic_services.topic_merge(source=python, target=programming, actor=alpha.hr)
            assert (table_counts(), topic_rows({})) == (counts, rows), label
