"""The free-text availability becomes weekly ranges where it parses ("Tue/Thu mornings"), its
note then emptied; text that does not parse ("not in August") stays as the note. Backwards,
the ranges' summary goes back into an empty note. Every row changed gets a new ``updated_at``
(bulk_update does not apply auto_now), so API clients syncing with ``?updated_since=`` see it."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone

from programs.availability import parse_legacy, summary

BATCH = 1000
NOTE_MAX = 200


def _rows(apps: Any, **filters: Any) -> Any:
    Participant = apps.get_model("programs", "Participant")
    return Participant, Participant.objects.filter(**filters).only(
        "pk", "availability", "weekly_availability", "updated_at"
    )


def _save(Participant: Any, changed: list[Any], *, final: bool = False) -> None:
    if changed and (final or len(changed) >= BATCH):
        now = timezone.now()
        for participant in changed:
            participant.updated_at = now
        Participant.objects.bulk_update(
            changed, ["availability", "weekly_availability", "updated_at"]
        )
        changed.clear()


def text_to_ranges(apps: Any, schema_editor: Any) -> None:
    Participant, rows = _rows(apps)
    changed: list[Any] = []
    for participant in rows.exclude(availability="").iterator(chunk_size=BATCH):
        if participant.weekly_availability:
            continue  # set on the new page already: the text is a note
        ranges = parse_legacy(participant.availability)
        if ranges is None:
            continue
        participant.weekly_availability, participant.availability = ranges, ""
        changed.append(participant)
        _save(Participant, changed)
    _save(Participant, changed, final=True)


def ranges_to_text(apps: Any, schema_editor: Any) -> None:
    Participant, rows = _rows(apps, availability="")
    changed: list[Any] = []
    for participant in rows.iterator(chunk_size=BATCH):
        if not participant.weekly_availability:
            continue
        text = summary(participant.weekly_availability)
        if len(text) > NOTE_MAX:
            text = text[: NOTE_MAX - 1] + "…"
        participant.availability, participant.weekly_availability = text, []
        changed.append(participant)
        _save(Participant, changed)
    _save(Participant, changed, final=True)


class Migration(migrations.Migration):
    dependencies = [("programs", "0006_weekly_availability_session_plan")]

    operations = [migrations.RunPython(text_to_ranges, ranges_to_text, elidable=False)]
