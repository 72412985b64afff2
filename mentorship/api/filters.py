"""``?updated_since=<ISO 8601>`` on every list: what changed since a client's last sync."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import exceptions
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView


def parse_updated_since(raw: str) -> Any:
    """An aware datetime from an ISO 8601 date or date-time (UTC when no offset is given)."""
    value = parse_datetime(raw.strip().replace(" ", "+"))
    if value is None:
        day = parse_date(raw.strip())
        if day is None:
            raise exceptions.ValidationError(
                {"updated_since": ["Give an ISO 8601 date-time, e.g. 2026-01-31T09:00:00Z."]}
            )
        value = datetime.combine(day, time.min)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python parses ("+23:39").
    return value.astimezone(UTC)


class UpdatedSinceFilter(BaseFilterBackend):
    """Filters on the view's ``updated_field`` (``updated_at`` unless it says otherwise)."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        raw = request.query_params.get("updated_since")
        if raw is None or getattr(view, "action", "list") != "list":
            return queryset
        try:
            since = parse_updated_since(raw)
        except (ValueError, OverflowError) as exc:
            raise exceptions.ValidationError(
                {"updated_since": ["Give an ISO 8601 date-time, e.g. 2026-01-31T09:00:00Z."]}
            ) from exc
        field = getattr(view, "updated_field", "updated_at")
        return queryset.filter(**{f"{field}__gte": since})

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": "updated_since",
                "required": False,
                "in": "query",
                "description": "Only what was created or changed at or after this ISO 8601 "
                "date-time (UTC unless an offset is given).",
                "schema": {"type": "string", "format": "date-time"},
            }
        ]
