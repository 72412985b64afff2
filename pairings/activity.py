"""Weekly activity totals (``SessionWeek``, ``TopicWeek``), kept live.

Every session log adds itself to its week's totals in the transaction that writes it
(:func:`record_session`), so the totals never lag behind the logs; :func:`rebuild` recomputes
them from the logs (after a bulk load such as ``seed_scale``, and in tests that check the
running totals against a recount).

Each total is kept twice: in the row of the author's (or canceller's) department, with
``everyone`` False, and in the row for everyone, with ``everyone`` True and department "" (as
``PairHour``). The everyone row of a key is always the sum of its department rows, so a
dashboard without a department filter reads a dozen times fewer rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from mentorship.tenancy import across_all_organizations
from pairings.models import Meeting, SessionLog, SessionWeek, TopicWeek
from programs.models import Topic

# A row of either table of weekly totals (both are kept for everyone and per department).
Row = TypeVar("Row", SessionWeek, TopicWeek)


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def _add(model: type[models.Model], keys: dict[str, Any], increments: dict[str, int]) -> None:
    """Add ``increments`` to the row with ``keys``, creating it the first time. Concurrent
    first writers are safe: the loser of the unique constraint adds to the winner's row."""
    bump = {name: models.F(name) + value for name, value in increments.items()}
    if model.objects.filter(**keys).update(**bump):
        return
    try:
        with transaction.atomic():
            model.objects.create(**keys, **increments)
    except IntegrityError:
        model.objects.filter(**keys).update(**bump)


def _add_twice(model: type[models.Model], keys: dict[str, Any], increments: dict[str, int]) -> None:
    """Add ``increments`` to the row for everyone and to the row of ``keys``'s department.

    The everyone row first: every writer takes it before its department's row, so whoever holds
    a department row holds the everyone row of its key too, and a second writer of that key
    waits for the everyone row before it holds any row of the key. Two writers of one key, of
    the same department or not, cannot each hold a row the other waits for."""
    _add(model, {**keys, "everyone": True, "department": ""}, increments)
    _add(model, {**keys, "everyone": False}, increments)


def record_session(*, log: SessionLog, topics: Iterable[Topic]) -> None:
    """Count a new session log in its week. Call in the transaction that creates the log."""
    author = log.author
    keys = {
        "organization_id": log.organization_id,
        "program_id": log.pairing.program_id,
        "week": week_of(log.date),
        "side": author.side,
        "department": author.department,
    }
    _add_twice(SessionWeek, keys, {"sessions": 1, "minutes": log.minutes})
    # A topic given twice is still one topic of the session (as ``log.topics.set`` stores it).
    # In the order of the topics, so that two logs of one week lock their rows in one order.
    for topic_id in sorted({topic.pk for topic in topics}):
        _add_twice(TopicWeek, {**keys, "topic_id": topic_id}, {"sessions": 1})


def record_cancellation(*, meeting: Meeting) -> None:
    """Count a cancellation in the week it happened, for the side and department of who
    cancelled ("" for someone else, e.g. an HR admin). Call in the cancelling transaction."""
    pairing = meeting.pairing
    partner = {"junior": pairing.mentor, "senior": pairing.mentee}.get(meeting.cancelled_by_side)
    keys = {
        "organization_id": meeting.organization_id,
        "program_id": pairing.program_id,
        "week": week_of(timezone.localdate(meeting.cancelled_at)),
        "side": meeting.cancelled_by_side,
        "department": partner.department if partner is not None else "",
    }
    _add_twice(SessionWeek, keys, {"cancellations": 1})


def rebuild(*, organization_id: int) -> None:
    """Recompute an organisation's weekly totals from its logs and cancellations: the
    department rows from two grouped reads (and the cancelled meetings), the everyone rows
    added up from those."""
    with across_all_organizations(), transaction.atomic():
        SessionWeek.objects.filter(organization_id=organization_id).delete()
        TopicWeek.objects.filter(organization_id=organization_id).delete()
        logs = SessionLog.objects.filter(organization_id=organization_id)
        weeks: dict[tuple, SessionWeek] = {}
        for row in _weekly(logs, "").annotate(
            sessions=models.Count("id"), minutes=Coalesce(models.Sum("minutes"), 0)
        ):
            key = (row["program_id"], row["week"], row["side"], row["department"])
            weeks[key] = SessionWeek(organization_id=organization_id, **row)
        cancelled = (
            Meeting.objects.filter(organization_id=organization_id, cancelled_at__isnull=False)
            .select_related("pairing__mentor", "pairing__mentee")
            .only(
                "cancelled_at",
                "cancelled_by_side",
                "pairing__program_id",
                "pairing__mentor__department",
                "pairing__mentee__department",
            )
        )
        for meeting in cancelled.iterator(chunk_size=5000):
            pairing = meeting.pairing
            side = meeting.cancelled_by_side
            partner = {"junior": pairing.mentor, "senior": pairing.mentee}.get(side)
            key = (
                pairing.program_id,
                week_of(timezone.localdate(meeting.cancelled_at)),
                side,
                partner.department if partner is not None else "",
            )
            if key not in weeks:
                weeks[key] = SessionWeek(
                    organization_id=organization_id,
                    program_id=key[0],
                    week=key[1],
                    side=key[2],
                    department=key[3],
                )
            weeks[key].cancellations += 1
        SessionWeek.objects.bulk_create(
            _with_everyone(
                weeks.values(),
                key=("program_id", "week", "side"),
                totals=("sessions", "minutes", "cancellations"),
            ),
            batch_size=5000,
        )
        through = SessionLog.topics.through.objects.filter(sessionlog__in=logs.values("pk"))
        TopicWeek.objects.bulk_create(
            _with_everyone(
                (
                    TopicWeek(organization_id=organization_id, **row)
                    for row in _weekly(through, "sessionlog__")
                    .values("program_id", "week", "side", "department", "topic_id")
                    .annotate(sessions=models.Count("id"))
                ),
                key=("program_id", "week", "topic_id", "side"),
                totals=("sessions",),
            ),
            batch_size=5000,
        )


def _with_everyone(
    rows: Iterable[Row], *, key: tuple[str, ...], totals: tuple[str, ...]
) -> Iterator[Row]:
    """The department rows ``rows`` (``everyone`` False), then for each ``key`` a row for
    everyone (department "") holding the sums of its department rows' ``totals``: the same
    rows as :func:`record_session` and :func:`record_cancellation` keep, one by one."""
    everyone: dict[tuple, Row] = {}
    for row in rows:
        row.everyone = False
        yield row
        values = tuple(getattr(row, name) for name in key)
        if values not in everyone:
            everyone[values] = type(row)(
                organization_id=row.organization_id,
                everyone=True,
                department="",
                **dict(zip(key, values, strict=True)),
                **dict.fromkeys(totals, 0),
            )
        for name in totals:
            setattr(everyone[values], name, getattr(everyone[values], name) + getattr(row, name))
    yield from everyone.values()


def _weekly(queryset: models.QuerySet, prefix: str) -> models.QuerySet:
    """Rows grouped by program, week (Monday), author side and department."""
    return (
        queryset.annotate(
            program_id=models.F(f"{prefix}pairing__program_id"),
            week=TruncWeek(f"{prefix}date"),
            side=models.F(f"{prefix}author__side"),
            department=models.F(f"{prefix}author__department"),
        )
        .values("program_id", "week", "side", "department")
        .order_by()
    )
