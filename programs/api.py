"""This app's API resources (serializers and viewsets), on its selectors and services; the
frame's router (``mentorship.frame.api``) mounts ``ROUTES`` under ``/api/v1/``.

Participants are written by email, as the CSV import writes them, with its rules and messages:

- ``POST /participants/`` creates the participant with this email in the program, or updates
  the one there (201 or 200): the item is a whole CSV line, so what it leaves out is reset to
  the importer's default, and the person is approved (again, if they had left);
- ``POST /participants/bulk/`` does the same for up to 1,000 items, all or nothing: any bad
  item and nothing is written, every bad one reported with its index;
- ``PATCH /participants/{id}/`` changes only the details it sends, as the page's Edit does
  (the status stays as it is);
- ``DELETE /participants/{id}/`` removes them from the program, as the page's Remove does
  (the row and its history stay, with status ``removed``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from mentorship.api.base import OrganizationAPIMixin, error_responses, path_id
from mentorship.api.errors import BulkInvalid, Conflict
from mentorship.web import error_text
from programs import selectors
from programs.models import Participant, Program, Topic
from programs.serializers import (
    ParticipantBulkResultSerializer,
    ParticipantBulkSerializer,
    ParticipantFilterSerializer,
    ParticipantItemSerializer,
    ParticipantPatchSerializer,
    ParticipantSerializer,
    ParticipantUpsertSerializer,
    ProgramSerializer,
    TopicSerializer,
)
from programs.services import participants as participant_services
from programs.services import upserts
from programs.services.upserts import UpsertOutcome

# Ids are digits, and at most 18 of them: a longer number is no id (SQLite raises on it), and
# the path is then no route at all (the API's JSON 404).
ID_PATTERN = "[0-9]{1,18}"

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Send a unique value (a UUID) to make the write safe to retry: the same "
    "request again within 24 hours gets the first answer, and changes nothing.",
)


# Lists: 400 for a bad filter, 404 for a cursor that is not one of ours.
LIST_ERRORS = error_responses(400, 404)
# Writes: 400 for bad input (a bad Idempotency-Key header included), 403 for a read-only key,
# 409 for a refusal of the program's state (or a retry while the first is still running), 422
# for an Idempotency-Key reused with another request.
WRITE_ERRORS = (400, 403, 409, 422)


class ProgramNotOpen(Conflict):
    default_code = "program_not_open"


class NotAllowedNow(Conflict):
    default_code = "not_allowed_now"


@extend_schema_view(
    list=extend_schema(
        summary="List programs",
        description="Every program of the organisation, archived ones included "
        "(``archived_at`` is set), in the order they were created.",
        responses={200: ProgramSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="A program",
        parameters=[path_id("program")],
        responses={200: ProgramSerializer, **error_responses(404)},
    ),
)
class ProgramViewSet(OrganizationAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ProgramSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[Program]:
        return selectors.programs_for_api()


@extend_schema_view(
    list=extend_schema(
        summary="List topics",
        description="The organisation's skill taxonomy.",
        responses={200: TopicSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="A topic",
        parameters=[path_id("topic")],
        responses={200: TopicSerializer, **error_responses(404)},
    ),
)
class TopicViewSet(OrganizationAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = TopicSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[Topic]:
        return selectors.topics_for_api()


PARTICIPANT_WRITE = (
    "Checked with the rules of the participant CSV import, with its messages (each under its "
    "field). Missing topics are created. People who are not members of the organisation yet "
    "are invited (the email goes out as from the import). Refused with 409 "
    "(``program_not_open``) while the program is closed or archived."
)


@extend_schema_view(
    list=extend_schema(
        summary="List participants",
        description="Participants of every program (or of one), each person once per program, "
        "whatever their status (``removed`` and ``withdrawn`` people included).",
        parameters=[ParticipantFilterSerializer],
        responses={200: ParticipantSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="A participant",
        parameters=[path_id("participant")],
        responses={200: ParticipantSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Create or update a participant by email",
        description="Creates the participant with this email in the program (201), or "
        "updates the one there (200). The item is a whole line of the CSV import: a detail "
        "left out is reset to the importer's default (department empty, level 1, time zone "
        "UTC, no topics). The person is approved, again if they had withdrawn or been "
        "removed. " + PARTICIPANT_WRITE,
        request=ParticipantUpsertSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: OpenApiResponse(ParticipantSerializer, description="Updated (or unchanged)."),
            201: OpenApiResponse(ParticipantSerializer, description="Created."),
            **error_responses(*WRITE_ERRORS),
        },
    ),
    partial_update=extend_schema(
        summary="Change some of a participant's details",
        description="Only the details sent change, as with the Edit page; the status stays. "
        "The email (their key) and the program cannot change. The details as they would be "
        "are checked with the rules of the participant CSV import, with its messages.",
        request=ParticipantPatchSerializer,
        parameters=[path_id("participant"), IDEMPOTENCY_KEY],
        responses={200: ParticipantSerializer, **error_responses(*WRITE_ERRORS, 404)},
    ),
    destroy=extend_schema(
        summary="Remove a participant from their program",
        description="As the Remove button does: they leave the program and its matching at "
        "once; the row and its history stay, with status ``removed``. 409 when already "
        "removed.",
        parameters=[path_id("participant"), IDEMPOTENCY_KEY],
        responses={204: None, **error_responses(*WRITE_ERRORS, 404)},
    ),
    bulk=extend_schema(
        summary="Create or update many participants by email, all or nothing",
        description="Each item as in POST /participants/, for one program. If any item is "
        "bad, nothing is written and every bad item is reported in ``items`` with its index "
        "(from 0) and its problems by field. The request is audited like a CSV import. "
        + PARTICIPANT_WRITE,
        request=ParticipantBulkSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: ParticipantBulkResultSerializer, **error_responses(*WRITE_ERRORS)},
    ),
)
class ParticipantViewSet(
    OrganizationAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ParticipantSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[Participant]:
        if self.action != "list":
            return selectors.participants_for_api()
        filters = ParticipantFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = {key: value for key, value in filters.validated_data.items() if value}
        program = None
        if "program" in wanted:
            program = selectors.program_by_reference(reference=wanted.pop("program"))
            if program is None:
                return Participant.objects.none()
        return selectors.participants_for_api(program=program, **wanted)

    def paginate_queryset(self, queryset: QuerySet[Participant]) -> list[Participant] | None:
        page = super().paginate_queryset(queryset)
        return None if page is None else list(selectors.participants_topic_names(page))

    def get_object(self) -> Participant:
        participant = super().get_object()
        selectors.participants_topic_names([participant])
        return participant

    def _shown(self, participant: Participant) -> dict[str, Any]:
        fresh = selectors.participants_for_api().get(pk=participant.pk)
        return ParticipantSerializer(selectors.participants_topic_names([fresh])[0]).data

    def _upsert(self, program: Program, rows: list[Any], source: str = "") -> UpsertOutcome:
        try:
            return upserts.participants_upsert(program=program, rows=rows, source=source)
        except DjangoValidationError as exc:  # the program's state: closed or archived
            raise ProgramNotOpen(error_text(exc)) from exc

    def create(self, request: Request) -> Response:
        body = ParticipantUpsertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = dict(body.validated_data)
        program = item.pop("program")
        row, problems = upserts.item_check(item)
        if row is None:
            raise exceptions.ValidationError(problems)
        outcome = self._upsert(program, [row])
        return Response(
            ParticipantSerializer(outcome.participants[0]).data,
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )

    def partial_update(self, request: Request, pk: str) -> Response:
        participant = self.get_object()
        fixed = {"email", "program"} & set(request.data if isinstance(request.data, dict) else ())
        if fixed:
            raise exceptions.ValidationError(
                {
                    name: ["This cannot change. POST the person to /participants/ instead."]
                    for name in sorted(fixed)
                }
            )
        body = ParticipantPatchSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        try:
            upserts.participant_change(participant=participant, changes=body.validated_data)
        except upserts.RowInvalid as exc:
            raise exceptions.ValidationError(exc.fields) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"non_field_errors": exc.messages}) from exc
        return Response(self._shown(participant))

    def destroy(self, request: Request, pk: str) -> Response:
        participant = self.get_object()
        try:
            participant_services.participant_remove(participant=participant, actor=None)
        except DjangoValidationError as exc:
            raise NotAllowedNow(error_text(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request: Request) -> Response:
        body = ParticipantBulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        program = body.validated_data["program"]
        # Each item is checked on its own, so that every bad one is reported.
        items: list[dict[str, Any] | None] = []
        known: dict[int, dict[str, Any]] = {}
        for index, raw in enumerate(body.validated_data["participants"]):
            item = ParticipantItemSerializer(data=raw)
            if item.is_valid():
                items.append(dict(item.validated_data))
            else:
                items.append(None)
                known[index] = dict(item.errors)
        try:
            rows = upserts.items_check(items, known=known)
        except upserts.ItemsInvalid as exc:
            raise BulkInvalid(exc.items) from exc
        outcome = self._upsert(program, rows, source=f"API key “{self.api_key.name}”")
        result = {**outcome.summary.to_dict(), "participants": outcome.participants}
        return Response(ParticipantBulkResultSerializer(result).data)


ROUTES: list[tuple[str, Any, str]] = [
    ("programs", ProgramViewSet, "api-program"),
    ("topics", TopicViewSet, "api-topic"),
    ("participants", ParticipantViewSet, "api-participant"),
]
