"""Surveys closed before survey totals were kept get them from the migration that adds them, so
their figures stay on the dashboards and in the program's trend."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_surveys_closed_before_the_migration_get_their_totals() -> None:
    executor = MigrationExecutor(connection)
    before = [("feedback", "0002_topic_ratings_unlinked")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Organization = apps.get_model("mentorship", "Organization")
    Program = apps.get_model("programs", "Program")
    Template = apps.get_model("feedback", "SurveyTemplate")
    Version = apps.get_model("feedback", "TemplateVersion")
    Question = apps.get_model("feedback", "Question")
    Cycle = apps.get_model("feedback", "FeedbackCycle")
    Response = apps.get_model("feedback", "SurveyResponse")
    Answer = apps.get_model("feedback", "Answer")
    from django.utils import timezone

    org = Organization.objects.create(slug="old", name="Old")
    program = Program.objects.create(organization=org, name="P", slug="p")
    template = Template.objects.create(organization=org, name="T")
    version = Version.objects.create(organization=org, template=template, number=1)
    question = Question.objects.create(
        organization=org, version=version, kind="likert", text="How is it going?", position=1
    )
    now = timezone.now()
    cycle = Cycle.objects.create(
        organization=org,
        program=program,
        version=version,
        title="Old",
        opens_at=now,
        opened_at=now,
        closed_at=now,
        status="closed",
        anonymous=True,
    )
    for rating in (4, 4, 4, 4, 4):
        response = Response.objects.create(organization=org, cycle=cycle, side="junior")
        Answer.objects.create(organization=org, response=response, question=question, number=rating)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from feedback.models import FeedbackCycle, QuestionSummary
    from mentorship.tenancy import across_all_organizations

    with across_all_organizations():
        assert QuestionSummary.objects.filter(cycle_id=cycle.pk).exists(), (
            "no totals for a survey closed before 0003: its satisfaction vanishes from the "
            "dashboard and the program's survey trend"
        )
        assert FeedbackCycle.objects.get(pk=cycle.pk).closed_invited is not None
