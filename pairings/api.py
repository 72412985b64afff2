"""This app's API resources: pairs (with their status history), meetings and session logs,
read only, through ``pairings.selectors``; the frame's router (``mentorship.frame.api``) mounts
``ROUTES`` under ``/api/v1/``.

Session logs show their date, minutes and topics only: never notes of any kind, nor what each
side taught or learned. Pairs never show a partner's confidential exit request."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from mentorship.api.base import OrganizationAPIMixin, error_responses, path_id
from pairings import selectors
from pairings.models import Meeting, Pairing, SessionLog
from pairings.serializers import MeetingSerializer, PairSerializer, SessionLogSerializer

# The largest id a database column holds: a larger one is a client's mistake (400), not a 500.
MAX_ID = 2**63 - 1


class _IdFilter(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, min_value=1, max_value=MAX_ID, **kwargs)


class PairFilters(serializers.Serializer):
    program = _IdFilter()
    status = serializers.ChoiceField(choices=Pairing.Status.choices, required=False)


class PairItemFilters(serializers.Serializer):
    pair = _IdFilter()


def _filters(
    view: viewsets.GenericViewSet, filters: type[serializers.Serializer]
) -> dict[str, Any]:
    """The list's query parameters, checked (400 with every problem); none on a detail."""
    if view.action != "list":
        return {}
    checked = filters(data=view.request.query_params)
    checked.is_valid(raise_exception=True)
    return checked.validated_data


def _id_parameter(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT64, description=f"Only those of this {what}.")


@extend_schema_view(
    list=extend_schema(
        summary="List pairs",
        description="Every pair of the organisation, oldest first, with its status history. "
        "Page with the cursor; filter by program and status.",
        parameters=[
            _id_parameter("program", "program (its id)"),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=Pairing.Status.values,
                description="Only pairs in this status.",
            ),
        ],
        responses={200: PairSerializer, **error_responses(400, 404)},
    ),
    retrieve=extend_schema(
        summary="A pair",
        description="One pair with its status history.",
        parameters=[path_id("pair")],
        responses={200: PairSerializer, **error_responses(404)},
    ),
)
class PairViewSet(OrganizationAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PairSerializer

    def get_queryset(self) -> QuerySet[Pairing]:
        filters = _filters(self, PairFilters)
        pairs = selectors.pairs_for_api()
        if "program" in filters:
            pairs = pairs.filter(program_id=filters["program"])
        if "status" in filters:
            pairs = pairs.filter(status=filters["status"])
        return pairs


@extend_schema_view(
    list=extend_schema(
        summary="List meetings",
        description="Every meeting of the organisation (cancelled ones included), oldest "
        "first. Page with the cursor; filter by pair.",
        parameters=[_id_parameter("pair", "pair (its id)")],
        responses={200: MeetingSerializer, **error_responses(400, 404)},
    ),
    retrieve=extend_schema(
        summary="A meeting",
        parameters=[path_id("meeting")],
        responses={200: MeetingSerializer, **error_responses(404)},
    ),
)
class MeetingViewSet(OrganizationAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MeetingSerializer

    def get_queryset(self) -> QuerySet[Meeting]:
        filters = _filters(self, PairItemFilters)
        meetings = selectors.meetings_for_api()
        if "pair" in filters:
            meetings = meetings.filter(pairing_id=filters["pair"])
        return meetings


@extend_schema_view(
    list=extend_schema(
        summary="List session logs",
        description="Every session log of the organisation, oldest first: its date, minutes "
        "and topics only (never notes, nor what each side taught or learned). Page with the "
        "cursor; filter by pair.",
        parameters=[_id_parameter("pair", "pair (its id)")],
        responses={200: SessionLogSerializer, **error_responses(400, 404)},
    ),
    retrieve=extend_schema(
        summary="A session log",
        parameters=[path_id("session log")],
        responses={200: SessionLogSerializer, **error_responses(404)},
    ),
)
class SessionLogViewSet(OrganizationAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SessionLogSerializer

    def get_queryset(self) -> QuerySet[SessionLog]:
        filters = _filters(self, PairItemFilters)
        logs = selectors.session_logs_for_api()
        if "pair" in filters:
            logs = logs.filter(pairing_id=filters["pair"])
        return logs


ROUTES: list[tuple[str, Any, str]] = [
    ("pairs", PairViewSet, "api-pair"),
    ("meetings", MeetingViewSet, "api-meeting"),
    ("session-logs", SessionLogViewSet, "api-session-log"),
]
