"""Writes of learning objectives: a participant's own, and two folded into one by a topic merge."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from programs.models import (
    LearningObjective,
    Participant,
    Program,
    Topic,
)
from programs.references import objective_references
from programs.tallies import tally_track


def objectives_topic_move(source: Topic, target: Topic) -> None:
    """Objectives on ``source`` move to ``target``. Someone with an objective on both topics
    keeps one: the target's, with the other's success criteria appended, the higher progress
    and everything that referred to either (see :func:`objective_absorb`)."""
    moved = LearningObjective.objects.filter(topic=source)
    with tally_track(moved.values_list("participant_id", flat=True)):
        for duplicate in LearningObjective.objects.filter(
            topic=source, participant__objectives__topic=target
        ).distinct():
            kept = LearningObjective.objects.get(participant=duplicate.participant, topic=target)
            objective_absorb(kept=kept, other=duplicate)
        moved.update(topic=target)


def objective_absorb(*, kept: LearningObjective, other: LearningObjective) -> None:
    """Fold ``other`` into ``kept`` (same person, same topic after a merge), then delete it.
    What refers to ``other`` (a session log that touched it, say) moves to ``kept`` through the
    handlers of :data:`programs.references.objective_references`."""
    kept.success_criteria = f"{kept.success_criteria}\n\n{other.success_criteria}"[:1000]
    kept.progress = max(kept.progress, other.progress)
    # What only the other one says is kept (the kept one's own answer wins where both gave one).
    if kept.final_rating is None:
        kept.final_rating = other.final_rating
    if kept.target_date is None:
        kept.target_date = other.target_date
    kept.save(
        update_fields=["success_criteria", "progress", "final_rating", "target_date", "updated_at"]
    )
    objective_references.move(source=other, target=kept)
    other.delete()


def _objective_topic_free(objective: LearningObjective) -> None:
    taken = LearningObjective.objects.filter(
        participant=objective.participant, topic=objective.topic
    ).exclude(pk=objective.pk)
    if taken.exists():
        raise ValidationError(
            {"topic": _("You already have an objective on this topic: update that one instead.")}
        )


def objective_create(*, participant: Participant, topic: Topic, **fields: Any) -> LearningObjective:
    objective = LearningObjective(
        organization=participant.organization, participant=participant, topic=topic, **fields
    )
    objective.full_clean(exclude=["organization", "participant"])
    _objective_topic_free(objective)
    with tally_track([participant.pk]):
        objective.save()
    return objective


def objective_update(*, objective: LearningObjective, **fields: Any) -> LearningObjective:
    closing = fields.get("final_rating") is not None
    if closing and objective.participant.program.status != Program.Status.CLOSED:
        raise ValidationError(
            {"final_rating": _("The final self-rating is given when the program closes.")}
        )
    for field, value in fields.items():
        setattr(objective, field, value)
    objective.full_clean(exclude=["organization", "participant"])
    _objective_topic_free(objective)
    with tally_track([objective.participant_id]):
        objective.save()
    return objective
