"""Writes of a participant's weekly availability (the page ``my_availability`` and the API)."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mentorship.events.models import EventType
from programs import availability
from programs.models import Participant
from programs.selectors import live_participations
from programs.services.webhooks import participants_emit


def ranges_clean(raw: Any) -> list[availability.Range]:
    """``raw`` as stored ranges, or a ValidationError with every problem."""
    try:
        return availability.normalise(raw)
    except availability.AvailabilityError as exc:
        raise ValidationError({"weekly_availability": exc.messages}) from exc


@cache
def _known_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk (~600 files) on every call.
    return frozenset(available_timezones())


def timezone_clean(name: str) -> str:
    if name != "UTC" and name not in _known_zones():
        raise ValidationError(
            {"timezone": _("“%(name)s” is not a known time zone.") % {"name": name[:40]}}
        )
    return name


def participant_availability_set(
    *,
    participant: Participant,
    ranges: Any,
    timezone: str,
    note: str,
    apply_to_all: bool = False,
) -> list[Participant]:
    """Set the weekly ranges, the time zone they are in and the note; with ``apply_to_all``
    also on the member's other live participations. Returns the rows changed, the first being
    ``participant``. Each bumps ``updated_at`` (the API's ``?updated_since=``) and emits
    ``participant.updated``, as the profile's edits do."""
    cleaned = ranges_clean(ranges)
    timezone = timezone_clean(timezone)
    note = note.strip()
    limit = Participant._meta.get_field("availability").max_length
    if len(note) > limit:
        raise ValidationError(
            {"availability": _("Keep the note under %(limit)s characters.") % {"limit": limit}}
        )
    rows = [participant, *(live_participations(participant=participant) if apply_to_all else [])]
    with transaction.atomic():
        for row in rows:
            row.weekly_availability, row.timezone, row.availability = cleaned, timezone, note
            row.save(
                update_fields=["weekly_availability", "timezone", "availability", "updated_at"]
            )
        participants_emit(
            organization=participant.organization,
            event_type=EventType.PARTICIPANT_UPDATED,
            participant_ids=[row.pk for row in rows],
        )
    return rows
