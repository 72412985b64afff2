"""Live totals for the dashboards: participants per program and department at each stage
(``PeopleTally``), their objectives per topic (``ObjectiveTally``), and whatever a later app
registers (``pairings`` counts its active pairs by when they last met). The dashboards read a
few hundred rows of totals instead of counting every participant, objective and pair on each
request, and the totals are exactly live: they change in the transaction of each write.

Every write that can change a total runs inside :func:`tally_track`, naming the participants it
touches *before* touching them (a pair's write names both partners): the block locks their
rows and reads what each counts for, the write runs, and on the way out the block reads them
again and adds the difference to the totals. Whatever the write did (a status, a department,
training, an objective's progress, a pair that went live or met) the second reading sees it, so
a service only has to say whom it touches. A block inside another joins the outer one. People
a block creates are named with :meth:`Tally.created`.

:func:`rebuild` recounts an organisation from its rows (after a bulk load such as
``seed_scale``); each table's ``count`` counts afresh, which the tests compare with the running
totals (:func:`tallied`) after sequences of writes.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
)

from mentorship.tenancy import across_all_organizations
from programs.models import (
    LearningObjective,
    ObjectiveTally,
    Participant,
    PeopleTally,
    Program,
    Topic,
)

READ_SLICE = 5000
# (what is counted, the key of its row of totals, what it adds to each field of that row)
Contribution = tuple[Hashable, tuple[Any, ...], list[int]]


@dataclass(frozen=True)
class Counter:
    """One table of totals: its model, the fields of a row's key and of its counts, what given
    participants contribute now (``read``), and a fresh count per program (``count``, rows of
    key and count fields)."""

    model: type[models.Model]
    key: tuple[str, ...]
    fields: tuple[str, ...]
    read: Callable[[list[int]], Iterable[Contribution]]
    count: Callable[[list[int]], list[dict[str, Any]]]


_counters: list[Counter] = []


def counter_register(counter: Counter) -> None:
    """Add a table of totals (``pairings`` registers its pairs' from ``AppConfig.ready``)."""
    if all(c.model is not counter.model for c in _counters):
        _counters.append(counter)


# --- People and their objectives ----------------------------------------------------------------

PEOPLE_FIELDS = (
    "applied",
    "approved",
    "trained",
    "matched",
    "active",
    "juniors",
    "seniors",
    "juniors_matched",
    "seniors_matched",
)
OBJECTIVE_FIELDS = (
    "objectives",
    "baseline_total",
    "progress_total",
    "not_started",
    "under_way",
    "reached",
)

# What pairings registers: its active pairs, and their fields that name a participant.
_active_pairs: list[tuple[Callable[[], models.QuerySet[Any]], tuple[str, ...]]] = []


def in_active_pair_register(
    pairs: Callable[[], models.QuerySet[Any]], people: tuple[str, ...]
) -> None:
    """Someone is in an active pair when a row of ``pairs()`` names them in one of the fields
    ``people`` (registered by pairings: its active pairs, by mentor and mentee)."""
    if _active_pairs and _active_pairs[0] != (pairs, people):
        raise ValueError("The active pairs are already registered.")
    _active_pairs[:] = [(pairs, people)]


def _active(*, correlated: bool) -> Q | None:
    """The participants in an active pair: one EXISTS per row (cheap for a few people), or
    IN the list of partners (cheap for many: the list is built once)."""
    if not _active_pairs:
        return None
    pairs, fields = _active_pairs[0]
    condition = Q()
    for name in fields:
        condition |= (
            Q(Exists(pairs().filter(**{name: OuterRef("pk")})))
            if correlated
            else Q(pk__in=pairs().values(name))
        )
    return condition


def _people_read(ids: list[int]) -> Iterator[Contribution]:
    condition = _active(correlated=True)
    active = (
        ExpressionWrapper(condition, BooleanField())
        if condition is not None
        else Value(False, BooleanField())
    )
    for row in (
        Participant.objects.filter(pk__in=ids)
        .annotate(in_active_pair=active)
        .values(
            "pk",
            "organization_id",
            "program_id",
            "department",
            "status",
            "side",
            "training_done",
            "matched",
            "in_active_pair",
        )
    ):
        approved = row["status"] == Participant.Status.APPROVED
        junior, senior = row["side"] == "junior", row["side"] == "senior"
        matched = approved and row["matched"]
        key = (row["organization_id"], row["program_id"], row["department"])
        yield (
            ("participant", row["pk"]),
            key,
            [
                1,
                approved,
                approved and row["training_done"],
                matched,
                approved and bool(row["in_active_pair"]),
                approved and junior,
                approved and senior,
                matched and junior,
                matched and senior,
            ],
        )


def _people_count(program_ids: list[int]) -> list[dict[str, Any]]:
    """The funnel's counts per program and department, counted from the participants."""
    approved = Q(status=Participant.Status.APPROVED)
    matched = approved & Q(matched=True)
    active = _active(correlated=False)
    counts = {
        "applied": Count("id"),
        "approved": Count("id", filter=approved),
        "trained": Count("id", filter=approved & Q(training_done=True)),
        "matched": Count("id", filter=matched),
        "active": Count("id", filter=approved & active) if active is not None else Value(0),
        "juniors": Count("id", filter=approved & Q(side="junior")),
        "seniors": Count("id", filter=approved & Q(side="senior")),
        "juniors_matched": Count("id", filter=matched & Q(side="junior")),
        "seniors_matched": Count("id", filter=matched & Q(side="senior")),
    }
    rows = (
        Participant.objects.filter(program_id__in=program_ids)
        .values("organization_id", "program_id", "department")
        # Named apart from the fields: an aggregate called "matched" would shadow the field.
        .annotate(**{f"n_{name}": count for name, count in counts.items()})
        .order_by()
    )
    return [
        {
            "organization_id": row["organization_id"],
            "program_id": row["program_id"],
            "department": row["department"],
            **{name: row[f"n_{name}"] for name in PEOPLE_FIELDS},
        }
        for row in rows
    ]


def _objectives_read(ids: list[int]) -> Iterator[Contribution]:
    """Objectives of approved people only."""
    for row in LearningObjective.objects.filter(
        participant_id__in=ids, participant__status=Participant.Status.APPROVED
    ).values(
        "pk",
        "organization_id",
        "topic_id",
        "progress",
        "baseline_rating",
        "participant__program_id",
        "participant__department",
    ):
        progress = row["progress"]
        key = (
            row["organization_id"],
            row["participant__program_id"],
            row["participant__department"],
            row["topic_id"],
        )
        yield (
            ("objective", row["pk"]),
            key,
            [
                1,
                row["baseline_rating"],
                progress,
                progress == 0,
                0 < progress < 100,
                progress == 100,
            ],
        )


def _objectives_count(program_ids: list[int]) -> list[dict[str, Any]]:
    """Objectives of approved participants per program, department and topic, counted."""
    return list(
        LearningObjective.objects.filter(
            participant__program_id__in=program_ids,
            participant__status=Participant.Status.APPROVED,
        )
        .values(
            "organization_id",
            "topic_id",
            program_id=F("participant__program_id"),
            department=F("participant__department"),
        )
        .annotate(
            objectives=Count("id"),
            baseline_total=Sum("baseline_rating"),
            progress_total=Sum("progress"),
            not_started=Count("id", filter=Q(progress=0)),
            under_way=Count("id", filter=Q(progress__gt=0, progress__lt=100)),
            reached=Count("id", filter=Q(progress=100)),
        )
        .order_by()
    )


PEOPLE = Counter(
    model=PeopleTally,
    key=("organization_id", "program_id", "department"),
    fields=PEOPLE_FIELDS,
    read=_people_read,
    count=_people_count,
)
OBJECTIVES = Counter(
    model=ObjectiveTally,
    key=("organization_id", "program_id", "department", "topic_id"),
    fields=OBJECTIVE_FIELDS,
    read=_objectives_read,
    count=_objectives_count,
)
counter_register(PEOPLE)
counter_register(OBJECTIVES)


def objective_tallies_topic_move(source: Topic, target: Topic) -> None:
    """A topic merge: nothing to move here. :func:`objectives_topic_move
    <programs.services.objectives.objectives_topic_move>` moves the objectives inside
    :func:`tally_track`, which moves their counts with them (two objectives of one person
    folded into one count once); the merged topic's rows are left at zero and go with it."""


# --- Keeping the totals in step -----------------------------------------------------------------


def _contributions(ids: Iterable[int]) -> Iterator[tuple[Counter, Contribution]]:
    """What these participants count for now in every table, read in slices: a whole
    program's people (a training module changed) fit no single IN list."""
    ids = sorted(set(ids))
    given: set[Hashable] = set()  # a pair of two people in two slices is read twice
    for start in range(0, len(ids), READ_SLICE):
        part = ids[start : start + READ_SLICE]
        for counter in _counters:
            for identity, key, values in counter.read(part):
                if (counter.model, identity, key) not in given:
                    given.add((counter.model, identity, key))
                    yield counter, (identity, key, values)


def _plus(total: list[int], values: Iterable[int], sign: int = 1) -> None:
    for i, value in enumerate(values):
        total[i] += sign * int(value)


class Tally:
    """The participants one :func:`tally_track` block touches, and what they (and what they
    take part in) counted for before it."""

    def __init__(self) -> None:
        self.ids: set[int] = set()
        self.seen: set[Hashable] = set()
        self.before: dict[Counter, dict[tuple[Any, ...], list[int]]] = defaultdict(dict)

    def track(self, ids: Iterable[int]) -> None:
        """Participants about to be changed (or deleted): lock and read them now. A row two
        of them share (a pair) counts once."""
        fresh = sorted({pk for pk in ids if pk is not None} - self.ids)
        if not fresh:
            return
        self.ids.update(fresh)
        for start in range(0, len(fresh), READ_SLICE):
            # Locked in one order: two blocks touching the same people take turns.
            list(
                Participant.objects.select_for_update()
                .filter(pk__in=fresh[start : start + READ_SLICE])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        read: set[Hashable] = set()
        for counter, (identity, key, values) in _contributions(fresh):
            if (counter.model, identity) in self.seen:
                continue
            read.add((counter.model, identity))
            _plus(self.before[counter].setdefault(key, [0] * len(counter.fields)), values)
        self.seen |= read

    def created(self, ids: Iterable[int]) -> None:
        """Participants this block created: they counted for nothing before."""
        self.ids.update(pk for pk in ids if pk is not None)

    def apply(self) -> None:
        after: dict[Counter, dict[tuple[Any, ...], list[int]]] = defaultdict(dict)
        for counter, (_, key, values) in _contributions(self.ids):
            _plus(after[counter].setdefault(key, [0] * len(counter.fields)), values)
        for counter in _counters:
            width = len(counter.fields)
            old, new = self.before.get(counter, {}), after.get(counter, {})
            changes = {}
            for key in old.keys() | new.keys():
                change = list(new.get(key, [0] * width))
                _plus(change, old.get(key, [0] * width), sign=-1)
                if any(change):
                    changes[key] = change
            _add(counter, changes)


_current = threading.local()


@contextmanager
def tally_track(participant_ids: Iterable[int] = ()) -> Iterator[Tally]:
    """Run a write of these participants (and whatever the block adds with
    :meth:`Tally.track` / :meth:`Tally.created`), keeping the totals in step, in one
    transaction. Name people before changing them: their rows are read as they were."""
    outer: Tally | None = getattr(_current, "tally", None)
    if outer is not None:
        outer.track(participant_ids)
        yield outer
        return
    with transaction.atomic():
        tally = Tally()
        _current.tally = tally
        try:
            tally.track(participant_ids)
            yield tally
        finally:
            _current.tally = None
        tally.apply()


def _add(counter: Counter, changes: dict[tuple[Any, ...], list[int]]) -> None:
    """Add each change to the row of its key, creating the missing rows: a few queries
    whatever the number of keys. The rows are locked first, so concurrent writers add in turn;
    should two create the same row at once, the loser adds to the winner's row."""
    if not changes:
        return
    model, names, fields = counter.model, counter.key, counter.fields
    within = {
        f"{name}__in": {key[i] for key in changes}
        for i, name in enumerate(names)
        if name != "organization_id"
    }
    rows = {
        tuple(getattr(row, name) for name in names): row
        for row in model.objects.select_for_update().filter(**within).order_by("pk")
    }
    missing = []
    for key, change in changes.items():
        row = rows.get(key)
        if row is None:
            row = model(**dict(zip(names, key, strict=True)))
            missing.append(row)
        for name, value in zip(fields, change, strict=True):
            setattr(row, name, getattr(row, name) + value)
    model.objects.bulk_update(
        [rows[key] for key in changes if key in rows], list(fields), batch_size=1000
    )
    if not missing:
        return
    try:
        with transaction.atomic():
            model.objects.bulk_create(missing, batch_size=1000)
    except IntegrityError:
        for row in missing:
            key = {name: getattr(row, name) for name in names}
            bump = {name: F(name) + getattr(row, name) for name in fields}
            if not model.objects.filter(**key).update(**bump):
                row.save()


# --- Reading, recounting ------------------------------------------------------------------------


def tallied(counter: Counter, *, program_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The running totals of these programs, in the shape of ``counter.count`` (rows all
    zero left out), in a stable order."""
    rows = (
        counter.model.objects.filter(program_id__in=list(program_ids))
        .values(*counter.key, *counter.fields)
        .order_by(*counter.key)
    )
    # All-zero rows are few (a department emptied): left out here, not by eleven conditions.
    return [row for row in rows if any(row[name] for name in counter.fields)]


def counted(counter: Counter, *, program_ids: Iterable[int]) -> list[dict[str, Any]]:
    """A fresh count, in the order of :func:`tallied`."""
    return sorted(
        counter.count(list(program_ids)), key=lambda row: [row[name] for name in counter.key]
    )


def rebuild(*, organization_id: int) -> None:
    """Recount an organisation's totals from its rows."""
    with across_all_organizations(), transaction.atomic():
        program_ids = list(
            Program.objects.filter(organization_id=organization_id).values_list("pk", flat=True)
        )
        for counter in _counters:
            counter.model.objects.filter(organization_id=organization_id).delete()
            counter.model.objects.bulk_create(
                (counter.model(**row) for row in counter.count(program_ids)), batch_size=5000
            )


def people_tallied(*, program_ids: Iterable[int]) -> list[dict[str, Any]]:
    return tallied(PEOPLE, program_ids=program_ids)


def counters() -> list[Counter]:
    """Every table of totals (for the tests that recount them)."""
    return list(_counters)
