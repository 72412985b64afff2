"""The dashboards' live totals of active pairs (``PairHour``), kept by ``programs.tallies``.

A pair counts while it is active, in the hour (UTC) of its last meeting, or of its start when it
never met; once in the row for everyone, and once in the row of each department of its two
partners (a pair belongs to a department when either partner does). Every write of a pair, of
its last meeting or of a partner's department runs in ``programs.tallies.tally_track`` naming
both partners, so this table changes in the same transaction as the pairs it counts.

"Met in the last 30 days" and "quiet for 21 days" cut through one hour each: the dashboards add
up the whole hours on either side from here, and count the pairs of that one hour themselves
(:func:`hour_bounds`, behind partial indexes). Sessions are logged by day (a pair's last meeting
is noon of its day), so there are about as many rows as days with a meeting, per program.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce, TruncHour

from pairings.models import PairHour, Pairing
from programs.tallies import Contribution, Counter

FIELDS = ("pairs",)
KEY = ("organization_id", "program_id", "everyone", "department", "met", "hour")


def hour_of(moment: datetime) -> datetime:
    """The start (UTC) of the hour of ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The start and end (UTC) of the hour of ``moment``."""
    start = hour_of(moment)
    return start, start + timedelta(hours=1)


def _read(ids: list[int]) -> Iterator[Contribution]:
    for row in (
        Pairing.objects.filter(status=Pairing.Status.ACTIVE)
        .filter(Q(mentor_id__in=ids) | Q(mentee_id__in=ids))
        .values(
            "pk",
            "organization_id",
            "program_id",
            "last_met_at",
            "created_at",
            "mentor__department",
            "mentee__department",
        )
    ):
        met = row["last_met_at"] is not None
        hour = hour_of(row["last_met_at"] if met else row["created_at"])
        rows = {(True, "")} | {
            (False, department)
            for department in (row["mentor__department"], row["mentee__department"])
        }
        for everyone, department in rows:
            key = (row["organization_id"], row["program_id"], everyone, department, met, hour)
            yield ("pair", row["pk"]), key, [1]


def _count(program_ids: list[int]) -> list[dict[str, Any]]:
    """Active pairs per hour, counted: for everyone, by the mentor's department, and by the
    mentee's where it differs from the mentor's."""
    pairs = (
        Pairing.objects.filter(program_id__in=program_ids, status=Pairing.Status.ACTIVE)
        .annotate(
            met=ExpressionWrapper(Q(last_met_at__isnull=False), output_field=BooleanField()),
            hour=TruncHour(Coalesce("last_met_at", "created_at"), tzinfo=UTC),
        )
        .order_by()
    )
    fields = ("organization_id", "program_id", "met", "hour")
    rows: list[dict[str, Any]] = []
    for everyone, department, chosen in (
        (True, None, pairs),
        (False, "mentor__department", pairs),
        (False, "mentee__department", pairs.exclude(mentee__department=F("mentor__department"))),
    ):
        grouped = (
            chosen.values(*fields, department=F(department))
            if department
            else chosen.values(*fields)
        )
        for row in grouped.annotate(pairs=Count("id")):
            rows.append({**row, "everyone": everyone, "department": row.get("department", "")})
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[name] for name in KEY)
        if key in merged:
            merged[key]["pairs"] += row["pairs"]
        else:
            merged[key] = row
    return list(merged.values())


PAIRS = Counter(model=PairHour, key=KEY, fields=FIELDS, read=_read, count=_count)
