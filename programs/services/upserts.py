"""Participants created and updated by email through the API: the CSV import's rules and writer
(:mod:`programs.csv_parser`, :mod:`programs.services.imports`) for JSON items.

An item is checked exactly as a CSV line would be, so both get the same messages; they are
keyed by field (each message starts with its column's name, as in the importer's report). A
request with any bad item writes nothing. A partial update goes through the pages' edit
service (:func:`programs.services.participants.participant_update`) once the changed row passes
the same check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from mentorship import services as kernel
from mentorship.models import AuditEvent
from programs import selectors
from programs.csv_parser import COLUMNS, ParticipantRow, _check_row
from programs.fields import IMPORTED_FIELDS
from programs.models import Participant, Program
from programs.services.imports import ImportSummary, participants_import
from programs.services.participants import participant_update
from programs.services.topics import topics_get_or_create

NON_FIELD = "non_field_errors"

Problems = dict[str, list[str]]


class ItemsInvalid(Exception):
    """Every bad item, as ``{"index": i, "fields": {field: [message, …]}}``; nothing written."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(items)} invalid item(s)")
        self.items = items


class RowInvalid(Exception):
    """The problems of one participant's details, by field; nothing written."""

    def __init__(self, fields: Problems) -> None:
        super().__init__("invalid participant")
        self.fields = fields


def _cells(item: Mapping[str, Any]) -> dict[str, str]:
    """An item (JSON types already checked) as the cells of a CSV line: stripped text, topic
    names joined with ";" as in the file."""
    cells = {}
    for column in COLUMNS:
        value = item.get(column, "")
        if isinstance(value, list | tuple):
            value = ";".join(value)
        cells[column] = str(value).strip()
    return cells


def _by_field(problems: list[str]) -> Problems:
    """The importer's messages, each under the column it starts with."""
    fields: Problems = {}
    for problem in problems:
        column = problem.split(" ", 1)[0]
        fields.setdefault(column if column in COLUMNS else NON_FIELD, []).append(problem)
    return fields


def item_check(item: Mapping[str, Any]) -> tuple[ParticipantRow | None, Problems]:
    """One item, checked as a CSV line: the normalised row, or its problems by field."""
    row, problems = _check_row(0, _cells(item), {})
    return row, _by_field(problems)


def items_check(
    items: Sequence[Mapping[str, Any] | None], *, known: Mapping[int, Problems]
) -> list[ParticipantRow]:
    """The rows of ``items``, or :class:`ItemsInvalid` with every bad item: those found bad
    before (``None``, their problems in ``known`` by index), those the importer's check
    refuses, and each email sent again."""
    rows: list[ParticipantRow] = []
    bad: list[dict[str, Any]] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        row, fields = item_check(item) if item is not None else (None, dict(known[index]))
        if row is not None and row.email in first_index:
            fields = {"email": [f"email also in item {first_index[row.email]}"]}
            row = None
        if row is None:
            bad.append({"index": index, "fields": fields})
            continue
        first_index[row.email] = index
        rows.append(row)
    if bad:
        raise ItemsInvalid(bad)
    return rows


@dataclass(frozen=True)
class UpsertOutcome:
    summary: ImportSummary
    # The participants of the request, in its order.
    participants: list[Participant]
    created: bool  # for one item: whether it was new


def participants_upsert(
    *, program: Program, rows: Sequence[ParticipantRow], source: str = ""
) -> UpsertOutcome:
    """Create or update each row's participant (by email) in ``program``, all or nothing, as
    the CSV import does: new people are approved (and invited when not yet members), existing
    ones updated where something differs, and approved again if they had left. With
    ``source`` (who sent a bulk request) the import is audited like a file's."""
    emails = [row.email for row in rows]
    existed = set(
        Participant.objects.filter(program=program, email__in=emails).values_list(
            "email", flat=True
        )
    )
    with transaction.atomic():
        summary = participants_import(program=program, rows=rows, invited_by=None)
        if source:
            kernel.audit_record(
                organization=program.organization,
                action=AuditEvent.Action.PARTICIPANTS_IMPORTED,
                summary=f"{source}: {summary.created} created, {summary.updated} updated, "
                f"{summary.unchanged} unchanged into {program.name}",
            )
    shown = list(selectors.participants_for_api(program=program).filter(email__in=emails))
    by_email = {p.email: p for p in selectors.participants_topic_names(shown)}
    return UpsertOutcome(
        summary=summary,
        participants=[by_email[email] for email in emails],
        created=len(emails) == 1 and emails[0] not in existed,
    )


def participant_change(*, participant: Participant, changes: Mapping[str, Any]) -> Participant:
    """Change some of a participant's details (the email and the program stay): the row as it
    would then be passes the importer's check first, then the pages' edit service writes it
    (status unchanged, a department change audited). Topics not sent are kept as they are."""
    current: dict[str, Any] = {name: getattr(participant, name) for name in IMPORTED_FIELDS}
    # Checked and merged by the API's field (programs.serializers.WeeklyAvailabilityField).
    weekly = {name: changes[name] for name in ("weekly_availability",) if name in changes}
    row, problems = item_check({**current, "email": participant.email, **changes})
    if row is None:
        raise RowInvalid(problems)
    organization = participant.organization
    with transaction.atomic():  # topics it creates go with the change, or not at all
        topics = {
            name: (
                topics_get_or_create(organization=organization, names=getattr(row, name))
                if name in changes
                else list(getattr(participant, name).all())
            )
            for name in ("offers", "wants")
        }
        return participant_update(
            participant=participant,
            offers=topics["offers"],
            wants=topics["wants"],
            **{name: getattr(row, name) for name in IMPORTED_FIELDS},
            **weekly,
        )
