"""Someone with an objective on both merged topics keeps one objective: a final self-rating or a
target date given only on the folded one is kept, not dropped with it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from programs.models import LearningObjective, Program
from programs.services import objectives as objective_services
from programs.services import topics as topic_services
from tests.conftest import Tenant
from tests.programs.test_topic_merge import build


def test_a_folded_objective_keeps_its_final_rating_and_target_date(alpha: Tenant) -> None:
    program, python, programming = build(alpha)
    with alpha.scope():
        folded = LearningObjective.objects.filter(topic=python).first()
        kept = objective_services.objective_create(
            participant=folded.participant,
            topic=programming,
            success_criteria="Kept",
            baseline_rating=2,
        )
        day = timezone.localdate() + timedelta(days=30)
        Program.objects.filter(pk=program.pk).update(status=Program.Status.CLOSED)
        LearningObjective.objects.filter(pk=folded.pk).update(final_rating=4, target_date=day)
        topic_services.topic_merge(source=python, target=programming, actor=alpha.hr)
        kept.refresh_from_db()
    assert (kept.final_rating, kept.target_date) == (4, day)
