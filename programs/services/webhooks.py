"""The programs app's webhook events: ``participant.created``, ``participant.updated``,
``participant.removed`` and ``program.status_changed``.

Each service that changes what the API shows of a participant or a program's status calls one
of these inside its transaction (the kernel's outbox, :mod:`mentorship.events.services`). The
payload is the API's representation (:mod:`programs.serializers`), read back after the change.
When no endpoint listens to the event type, the cost is the one query that finds that out:
nothing is serialised."""

from __future__ import annotations

from collections.abc import Iterable

from mentorship.events.models import EventType
from mentorship.events.services import event_emit, event_emit_many, subscribed_endpoints
from mentorship.models import Organization
from programs import selectors
from programs.models import Program
from programs.serializers import ParticipantSerializer, ProgramStatusChangedSerializer

# Participants serialised per query round (their topics are prefetched per round).
CHUNK_SIZE = 500


def participants_emit(
    *, organization: Organization, event_type: EventType, participant_ids: Iterable[int]
) -> None:
    """One ``event_type`` event per participant, each with what the API shows of them now."""
    ids = sorted(set(participant_ids))
    if not ids or not subscribed_endpoints(organization=organization, event_type=event_type):
        return
    items = []
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = list(
            selectors.participants_for_api().filter(pk__in=ids[start : start + CHUNK_SIZE])
        )
        selectors.participants_topic_names(chunk)
        items.extend(dict(data) for data in ParticipantSerializer(chunk, many=True).data)
    event_emit_many(organization=organization, event_type=event_type, items=items)


def program_status_changed_emit(*, program: Program, previous_status: str) -> None:
    event_type = EventType.PROGRAM_STATUS_CHANGED
    if not subscribed_endpoints(organization=program.organization, event_type=event_type):
        return
    fresh = selectors.programs_for_api().get(pk=program.pk)
    fresh.previous_status = previous_status
    event_emit(
        organization=program.organization,
        event_type=event_type,
        data=dict(ProgramStatusChangedSerializer(fresh).data),
    )
