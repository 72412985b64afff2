"""Webhook events of pairs, meetings and session logs, emitted by the services of this package
inside the transaction of their change (the outbox, ``mentorship.events``).

Each event's data is exactly what the API shows of the object (``pairings.serializers``, read
through the same selectors), so a payload never carries more than the API: no notes, no
location, no exit request. The data is read only when an endpoint listens: otherwise emitting
costs the one query that finds none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mentorship.events.models import EventType
from mentorship.events.services import event_emit_many, subscribed_endpoints
from mentorship.models import Organization
from pairings import selectors
from pairings.serializers import MeetingSerializer, PairSerializer, SessionLogSerializer


def _emit(
    *,
    organization: Organization,
    event_type: EventType,
    data: Callable[[], Sequence[dict[str, Any]]],
) -> None:
    if not subscribed_endpoints(organization=organization, event_type=event_type):
        return
    event_emit_many(organization=organization, event_type=event_type, items=data())


def _in_order(rows: Any, ids: Sequence[int]) -> list[Any]:
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


# Pairs serialised per query round (a published proposal can make thousands).
CHUNK_SIZE = 500


def pairs_emit(
    *, organization: Organization, event_type: EventType, pairing_ids: Sequence[int]
) -> None:
    """One event per pair (a published proposal makes many), as the API shows each now."""
    if not pairing_ids:
        return

    def data() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for start in range(0, len(pairing_ids), CHUNK_SIZE):
            chunk = pairing_ids[start : start + CHUNK_SIZE]
            pairs = selectors.pairs_for_api().filter(pk__in=chunk)
            items.extend(PairSerializer(_in_order(pairs, chunk), many=True).data)
        return items

    _emit(organization=organization, event_type=event_type, data=data)


def meeting_emit(*, organization: Organization, event_type: EventType, meeting_id: int) -> None:
    def data() -> list[dict[str, Any]]:
        meeting = selectors.meetings_for_api().get(pk=meeting_id)
        return [MeetingSerializer(meeting).data]

    _emit(organization=organization, event_type=event_type, data=data)


def session_logged_emit(*, organization: Organization, log_id: int) -> None:
    def data() -> list[dict[str, Any]]:
        log = selectors.session_logs_for_api().get(pk=log_id)
        return [SessionLogSerializer(log).data]

    _emit(organization=organization, event_type=EventType.SESSION_LOGGED, data=data)
