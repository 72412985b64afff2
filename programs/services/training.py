"""Writes of mentor training: modules authored by HR admins, completed by participants, and the
rule that says who is done."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from mentorship.events.models import EventType
from programs.models import (
    Participant,
    Program,
    Side,
    TrainingCompletion,
    TrainingModule,
)
from programs.services.webhooks import participants_emit
from programs.tallies import tally_track


def modules_required(*, program: Program) -> dict[str, set[int]]:
    """The ids of the modules each side must complete, in one query."""
    required: dict[str, set[int]] = {Side.JUNIOR: set(), Side.SENIOR: set()}
    for pk, juniors, seniors in program.modules.values_list(
        "pk", "required_for_juniors", "required_for_seniors"
    ):
        if juniors:
            required[Side.JUNIOR].add(pk)
        if seniors:
            required[Side.SENIOR].add(pk)
    return required


def training_is_done(*, required: dict[str, set[int]], side: str, completed: set[int]) -> bool:
    """The rule: someone's training is done when they completed every module required of their
    side (``required`` from :func:`modules_required`). Kept on the participant's row as
    ``training_done``, by :func:`refresh_training_done` and the CSV import."""
    return required[side] <= completed


def refresh_training_done(
    *, program: Program, participants: Iterable[Participant] | None = None
) -> list[Participant]:
    """Recompute ``training_done`` (kept on the row so the directory filters on it cheaply).
    Returns the participants whose value changed: the API shows it, so the caller that owns
    the change tells webhook receivers (see :func:`_training_changed`)."""
    required = modules_required(program=program)
    rows = list(participants) if participants is not None else list(program.participants.all())
    done: dict[int, set[int]] = {}
    for participant_id, module_id in TrainingCompletion.objects.filter(
        participant__in=rows
    ).values_list("participant_id", "module_id"):
        done.setdefault(participant_id, set()).add(module_id)
    changed = []
    now = timezone.now()
    for p in rows:
        value = training_is_done(
            required=required, side=Side(p.side), completed=done.get(p.pk, set())
        )
        if p.training_done != value:
            p.training_done = value
            p.updated_at = now  # bulk_update does not apply auto_now
            changed.append(p)
    with tally_track(p.pk for p in changed):
        Participant.objects.bulk_update(changed, ["training_done", "updated_at"], batch_size=1000)
    return changed


def _training_changed(program: Program, changed: list[Participant]) -> None:
    if not changed:
        return
    participants_emit(
        organization=program.organization,
        event_type=EventType.PARTICIPANT_UPDATED,
        participant_ids=[p.pk for p in changed],
    )


def module_save(
    *, program: Program, module: TrainingModule | None, **fields: Any
) -> TrainingModule:
    module = module or TrainingModule(
        organization=program.organization,
        program=program,
        position=program.modules.count(),
    )
    for field, value in fields.items():
        setattr(module, field, value)
    module.full_clean(exclude=["organization", "program"])
    with transaction.atomic():
        module.save()
        _training_changed(program, refresh_training_done(program=program))
    return module


def module_delete(*, module: TrainingModule) -> None:
    program = module.program
    with transaction.atomic():
        module.delete()
        _training_changed(program, refresh_training_done(program=program))


def module_complete(*, module: TrainingModule, participant: Participant) -> TrainingCompletion:
    with transaction.atomic():
        completion, _ = TrainingCompletion.objects.get_or_create(
            organization=participant.organization, module=module, participant=participant
        )
        changed = refresh_training_done(program=module.program, participants=[participant])
        _training_changed(module.program, changed)
    return completion
