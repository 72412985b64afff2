"""Participant CSV import: one service behind the command line and the browser.

Two halves, kept apart on purpose:

1. **Parsing** (:func:`parse_participants_csv`) takes text and gives validated rows plus every
   problem, by the line number the user sees in the file. It touches no database, so an upload
   can be checked before anything is written, and the rules can be tested on their own.
2. **Writing** (:func:`participants_import`, :func:`import_preview`) upserts the rows into one
   program inside the organisation's scope, all or nothing, in a number of queries that does not
   depend on the number of rows (apart from the database's own batch limits).
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_scopes import get_scope

from mentorship import services as kernel
from mentorship.models import Membership, Role, User
from programs.models import Participant, Program, Topic, TrainingCompletion

# --- Parsing (text only, no database) -------------------------------------------------------------

REQUIRED_COLUMNS = ("email", "first_name", "last_name", "side")
OPTIONAL_COLUMNS = (
    "department",
    "title",
    "level",
    "manager_email",
    "timezone",
    "offers",
    "wants",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# The limits of programs.models.Participant and Topic, repeated here so parsing needs no ORM.
EMAIL_MAX = 254
NAME_MAX = 80
DEPARTMENT_MAX = 80
TITLE_MAX = 120
TOPIC_MAX = 80
LEVEL_MIN, LEVEL_MAX = 1, 30
SIDES = ("junior", "senior")  # programs.models.Side
DEFAULT_TIMEZONE = "UTC"

# C0 controls (line breaks and tabs included), DEL and lone surrogates: none belongs in a name or
# an address, some break emails or PostgreSQL (NUL), and surrogates cannot be stored as UTF-8.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_LEVEL = re.compile(r"[0-9]{1,4}")
_SHOWN_MAX = 40


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    """One valid line of the file, normalised (emails lowercased, defaults filled in)."""

    line: int
    email: str
    first_name: str
    last_name: str
    side: str
    department: str = ""
    title: str = ""
    level: int = 1
    manager_email: str = ""
    timezone: str = DEFAULT_TIMEZONE
    offers: tuple[str, ...] = ()
    wants: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``ImportJob.rows`` stores)."""
        return {
            "line": self.line,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "side": self.side,
            "department": self.department,
            "title": self.title,
            "level": self.level,
            "manager_email": self.manager_email,
            "timezone": self.timezone,
            "offers": list(self.offers),
            "wants": list(self.wants),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParticipantRow:
        return cls(
            line=int(data["line"]),
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            side=data["side"],
            department=data.get("department", ""),
            title=data.get("title", ""),
            level=int(data.get("level", 1)),
            manager_email=data.get("manager_email", ""),
            timezone=data.get("timezone", DEFAULT_TIMEZONE),
            offers=tuple(data.get("offers", ())),
            wants=tuple(data.get("wants", ())),
        )


@dataclass
class ParseResult:
    """The valid rows, and ``(line, reason)`` for every line that is not."""

    rows: list[ParticipantRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not self.errors


@functools.cache
def _timezones() -> dict[str, str]:
    """IANA zone names by their lowercase spelling (scanning the zone database is slow)."""
    zones = {name.lower(): name for name in available_timezones()}
    zones.setdefault(DEFAULT_TIMEZONE.lower(), DEFAULT_TIMEZONE)
    return zones


def _shown(value: str) -> str:
    """The value quoted for a message, cut short so a hostile cell cannot flood the report."""
    if len(value) > _SHOWN_MAX:
        value = value[:_SHOWN_MAX] + "…"
    return f"“{value}”"


def _email_problem(column: str, value: str) -> str:
    if len(value) > EMAIL_MAX:
        return f"{column} is longer than {EMAIL_MAX} characters"
    try:
        validate_email(value)
    except ValidationError:
        return f"{column} {_shown(value)} is not a valid email address"
    return ""


def _topics(column: str, value: str, problems: list[str]) -> tuple[str, ...]:
    """``;``-separated topic names: spaces tidied, empties dropped, first spelling kept."""
    names: dict[str, str] = {}
    for part in value.split(";"):
        name = " ".join(part.split())
        if not name:
            continue
        if len(name) > TOPIC_MAX:
            problems.append(f"{column} topic {_shown(name)} is longer than {TOPIC_MAX} characters")
            continue
        names.setdefault(name.lower(), name)
    return tuple(names.values())


def _check_row(
    line: int, values: dict[str, str], seen: dict[str, int]
) -> tuple[ParticipantRow | None, list[str]]:
    """Validate one line; ``seen`` maps each email met so far to its first line."""
    problems: list[str] = []
    # A cell with control characters is reported once and skips its other checks.
    broken = {column for column, value in values.items() if _CONTROL.search(value)}
    problems.extend(
        f"{column} contains control characters (such as line breaks)"
        for column in COLUMNS
        if column in broken
    )

    def usable(column: str) -> str:
        return "" if column in broken else values[column]

    email = usable("email").lower()
    if not values["email"]:
        problems.append("email is required")
    elif email:
        problem = _email_problem("email", email)
        if problem:
            problems.append(problem)
        elif email in seen:
            problems.append(f"email also on line {seen[email]}")
        else:
            seen[email] = line

    for column in ("first_name", "last_name"):
        if not values[column]:
            problems.append(f"{column} is required")
        elif len(values[column]) > NAME_MAX:
            problems.append(f"{column} is longer than {NAME_MAX} characters")

    side = usable("side").lower()
    if not values["side"]:
        problems.append("side is required (junior or senior)")
    elif side and side not in SIDES:
        problems.append(f"side must be junior or senior, not {_shown(values['side'])}")

    level = LEVEL_MIN
    raw_level = usable("level")
    if raw_level:
        if _LEVEL.fullmatch(raw_level) and LEVEL_MIN <= int(raw_level) <= LEVEL_MAX:
            level = int(raw_level)
        else:
            problems.append(
                f"level must be a whole number from {LEVEL_MIN} to {LEVEL_MAX}, "
                f"not {_shown(raw_level)}"
            )

    manager_email = usable("manager_email").lower()
    if manager_email:
        problem = _email_problem("manager_email", manager_email)
        if problem:
            problems.append(problem)
        elif manager_email == email:
            problems.append("manager_email is the participant's own email")

    timezone = DEFAULT_TIMEZONE
    if usable("timezone"):
        timezone = _timezones().get(values["timezone"].lower(), "")
        if not timezone:
            problems.append(
                f"timezone {_shown(values['timezone'])} is not a known time zone "
                "(such as Europe/Paris)"
            )

    for column, limit in (("department", DEPARTMENT_MAX), ("title", TITLE_MAX)):
        if len(values[column]) > limit:
            problems.append(f"{column} is longer than {limit} characters")

    offers = _topics("offers", usable("offers"), problems)
    wants = _topics("wants", usable("wants"), problems)

    if problems:
        return None, problems
    return (
        ParticipantRow(
            line=line,
            email=email,
            first_name=values["first_name"],
            last_name=values["last_name"],
            side=side,
            department=values["department"],
            title=values["title"],
            level=level,
            manager_email=manager_email,
            timezone=timezone,
            offers=offers,
            wants=wants,
        ),
        problems,
    )


def _records(text: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """``(first line, cells, "")`` per CSV record, or ``(line, None, reason)`` when the csv
    module cannot read it (a cell over its size limit, say); reading goes on after it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    last = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield last + 1, None, f"this line could not be read ({exc})"
            if reader.line_num == last:  # no progress: stop rather than loop
                return
            last = reader.line_num
            continue
        # A quoted cell may span lines: the record starts on the line after the previous one.
        yield last + 1, cells, ""
        last = reader.line_num


def parse_participants_csv(text: str) -> ParseResult:
    """Read a participants CSV (header row first) and validate every line.

    Never raises on bad content: every problem becomes an error, and every bad line is reported
    (all of its problems joined with "; "), so the file can be fixed in one go.
    """
    result = ParseResult()
    text = text.removeprefix("\ufeff")
    records = _records(text)

    header_line, header = 1, None
    for line, cells, problem in records:
        if cells is None:
            result.errors.append((line, f"the header {problem}"))
            return result
        if any(cell.strip() for cell in cells):
            header_line, header = line, cells
            break
    if header is None:
        result.errors.append((1, "the file is empty"))
        return result

    positions: dict[str, int] = {}
    for position, cell in enumerate(header):
        name = cell.strip().lower()
        if name in COLUMNS:
            if name in positions:
                result.errors.append((header_line, f"column {name} appears more than once"))
                return result
            positions[name] = position
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        label = "column" if len(missing) == 1 else "columns"
        result.errors.append((header_line, f"missing required {label}: {', '.join(missing)}"))
        return result

    wanted = [(column, positions.get(column)) for column in COLUMNS]
    seen: dict[str, int] = {}
    for line, cells, problem in records:
        if cells is None:
            result.errors.append((line, problem))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        width = len(cells)
        values = {
            column: cells[position].strip() if position is not None and position < width else ""
            for column, position in wanted
        }
        row, problems = _check_row(line, values, seen)
        if row is None:
            result.errors.append((line, "; ".join(problems)))
        else:
            result.rows.append(row)
    return result


# --- Writing (inside the organisation's scope) ----------------------------------------------------

# Rows written between two progress reports (and the unit of work of each write round).
CHUNK_SIZE = 500
# Objects per INSERT/UPDATE; Django lowers it further where the database needs (SQLite).
BATCH_SIZE = 1000
# Compared to decide between "updated" and "unchanged" (topics are compared as sets).
COMPARED_FIELDS = (
    "first_name",
    "last_name",
    "side",
    "department",
    "title",
    "level",
    "manager_email",
    "timezone",
)


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    invited: int

    def to_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invited": self.invited,
        }


@dataclass(frozen=True)
class ImportPreview:
    """What an import of the rows would do, computed without writing."""

    to_create: int
    to_update: int
    unchanged: int
    new_topics: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "to_create": self.to_create,
            "to_update": self.to_update,
            "unchanged": self.unchanged,
            "new_topics": list(self.new_topics),
        }


@dataclass(frozen=True)
class ImportOutcome:
    """The result of :func:`participants_import_from_text`: ``summary`` after an import,
    ``preview`` after a dry run, neither when the file has errors."""

    parse: ParseResult
    summary: ImportSummary | None = None
    preview: ImportPreview | None = None


CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class _Member:
    membership_id: int
    is_participant: bool


@dataclass
class _Plan:
    """Everything the import reads, in a fixed number of queries, and what it decided per row."""

    topic_ids: dict[str, int]  # lowercase name -> id of the existing topic
    new_topics: list[str]  # first spelling of each name that has no topic yet
    members: dict[str, _Member]  # lowercase email -> active membership
    existing: dict[str, Participant]  # lowercase email -> participant of the program
    offers: dict[int, dict[int, int]]  # participant id -> {topic id: through row id}
    wants: dict[int, dict[int, int]]
    actions: list[str]  # CREATE, UPDATE or UNCHANGED, one per row

    def count(self, action: str) -> int:
        return self.actions.count(action)


def _require_scope(program: Program) -> None:
    """Fail closed: inside another organisation's scope, topic and membership look-ups would
    silently read the wrong tenant."""
    current = get_scope()
    if not current.get("_enabled") or current.get("organization") != program.organization_id:
        raise RuntimeError("Run the participant import inside the program's organisation scope.")


def _through_rows(through: type[Any], program: Program) -> dict[int, dict[int, int]]:
    links: dict[int, dict[int, int]] = {}
    for pk, participant_id, topic_id in through.objects.filter(
        participant__program=program
    ).values_list("pk", "participant_id", "topic_id"):
        links.setdefault(participant_id, {})[topic_id] = pk
    return links


def _plan(*, program: Program, rows: Sequence[ParticipantRow]) -> _Plan:
    emails = [row.email for row in rows]
    if len(set(emails)) != len(emails):
        raise ValueError("Each email may appear only once among the rows to import.")

    topic_ids: dict[str, int] = {}
    topic_names: dict[int, str] = {}
    # Oldest first, so the one that wins a (case-folding) tie is stable.
    for pk, name in Topic.objects.order_by("pk").values_list("pk", "name"):
        topic_ids.setdefault(name.lower(), pk)
        topic_names[pk] = name.lower()
    new_topics: dict[str, str] = {}
    for row in rows:
        for name in (*row.offers, *row.wants):
            key = name.lower()
            if key not in topic_ids:
                new_topics.setdefault(key, name)

    members = {
        email.lower(): _Member(membership_id=pk, is_participant=is_participant)
        for pk, email, is_participant in Membership.objects.filter(
            removed_at__isnull=True
        ).values_list("pk", "user__email", "is_participant")
    }
    existing = {
        p.email.lower(): p for p in Participant.objects.filter(program=program).order_by("pk")
    }
    offers = _through_rows(Participant.offers.through, program)
    wants = _through_rows(Participant.wants.through, program)

    def names(links: dict[int, int]) -> set[str]:
        return {topic_names[topic_id] for topic_id in links}

    actions = []
    for row in rows:
        participant = existing.get(row.email)
        if participant is None:
            actions.append(CREATE)
            continue
        member = members.get(row.email)
        changed = (
            any(getattr(participant, name) != getattr(row, name) for name in COMPARED_FIELDS)
            or names(offers.get(participant.pk, {})) != {n.lower() for n in row.offers}
            or names(wants.get(participant.pk, {})) != {n.lower() for n in row.wants}
            or (member is not None and participant.membership_id != member.membership_id)
            # Imported people are approved, including applicants and people who had left.
            or participant.status != Participant.Status.APPROVED
        )
        actions.append(UPDATE if changed else UNCHANGED)
    return _Plan(
        topic_ids=topic_ids,
        new_topics=list(new_topics.values()),
        members=members,
        existing=existing,
        offers=offers,
        wants=wants,
        actions=actions,
    )


def import_preview(*, program: Program, rows: Sequence[ParticipantRow]) -> ImportPreview:
    """What :func:`participants_import` would do with ``rows``; writes nothing."""
    _require_scope(program)
    plan = _plan(program=program, rows=rows)
    return ImportPreview(
        to_create=plan.count(CREATE),
        to_update=plan.count(UPDATE),
        unchanged=plan.count(UNCHANGED),
        new_topics=plan.new_topics,
    )


def _create_topics(*, program: Program, plan: _Plan) -> dict[str, int]:
    """Create the missing topics in bulk; returns every topic id by lowercase name."""
    topic_ids = dict(plan.topic_ids)
    if not plan.new_topics:
        return topic_ids
    created = Topic.objects.bulk_create(
        [Topic(organization_id=program.organization_id, name=name) for name in plan.new_topics],
        batch_size=BATCH_SIZE,
    )
    if any(topic.pk is None for topic in created):  # a database without RETURNING
        created = list(Topic.objects.order_by("pk"))
    for topic in created:
        topic_ids.setdefault(topic.name.lower(), topic.pk)
    return topic_ids


def _required_modules(program: Program) -> dict[str, set[int]]:
    required: dict[str, set[int]] = {"junior": set(), "senior": set()}
    for pk, juniors, seniors in program.modules.values_list(
        "pk", "required_for_juniors", "required_for_seniors"
    ):
        if juniors:
            required["junior"].add(pk)
        if seniors:
            required["senior"].add(pk)
    return required


def _sync_links(
    *,
    through: type[Any],
    participant_id: int,
    wanted: set[int],
    current: dict[int, int],
    add: list[Any],
    remove: list[int],
) -> None:
    """Collect the through rows to insert and the ids of those to delete for one participant."""
    add.extend(
        through(participant_id=participant_id, topic_id=topic_id)
        for topic_id in wanted
        if topic_id not in current
    )
    remove.extend(pk for topic_id, pk in current.items() if topic_id not in wanted)


def _write_chunk(
    *,
    program: Program,
    plan: _Plan,
    rows: Sequence[ParticipantRow],
    actions: Sequence[str],
    topic_ids: dict[str, int],
    required: dict[str, set[int]],
    completions: dict[int, set[int]],
    moved: list[tuple[str, str, str]],
) -> None:
    """Insert, update and link one chunk of rows in bulk; department changes go to ``moved``
    (name, old, new) for the audit log."""
    offers_through = Participant.offers.through
    wants_through = Participant.wants.through
    created: list[tuple[Participant, ParticipantRow]] = []
    updated: list[tuple[Participant, ParticipantRow]] = []
    for row, action in zip(rows, actions, strict=True):
        if action == UNCHANGED:
            continue
        member = plan.members.get(row.email)
        if action == CREATE:
            participant = Participant(
                organization_id=program.organization_id,
                program=program,
                email=row.email,
                status=Participant.Status.APPROVED,
            )
            created.append((participant, row))
        else:
            participant = plan.existing[row.email]
            if participant.department != row.department:
                moved.append((participant.full_name, participant.department, row.department))
            if participant.status != Participant.Status.APPROVED:
                participant.status = Participant.Status.APPROVED
                participant.status_changed_at = timezone.now()
            updated.append((participant, row))
        for name in COMPARED_FIELDS:
            setattr(participant, name, getattr(row, name))
        if member is not None:
            participant.membership_id = member.membership_id
        # The same rule as programs.services keeps: done when every required module is.
        participant.training_done = required[row.side] <= completions.get(participant.pk, set())

    if created:
        Participant.objects.bulk_create([p for p, _ in created], batch_size=BATCH_SIZE)
        if any(p.pk is None for p, _ in created):  # a database without RETURNING
            ids = dict(
                Participant.objects.filter(
                    program=program, email__in=[p.email for p, _ in created]
                ).values_list("email", "pk")
            )
            for participant, _ in created:
                participant.pk = ids[participant.email]
    if updated:
        Participant.objects.bulk_update(
            [p for p, _ in updated],
            [*COMPARED_FIELDS, "membership", "training_done", "status", "status_changed_at"],
            batch_size=BATCH_SIZE,
        )

    add: dict[type[Any], list[Any]] = {offers_through: [], wants_through: []}
    remove: dict[type[Any], list[int]] = {offers_through: [], wants_through: []}
    for participant, row in (*created, *updated):
        for through, names, links in (
            (offers_through, row.offers, plan.offers),
            (wants_through, row.wants, plan.wants),
        ):
            _sync_links(
                through=through,
                participant_id=participant.pk,
                wanted={topic_ids[name.lower()] for name in names},
                current=links.get(participant.pk, {}),
                add=add[through],
                remove=remove[through],
            )
    for through in (offers_through, wants_through):
        ids = remove[through]
        for start in range(0, len(ids), BATCH_SIZE):
            through.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).delete()
        if add[through]:
            through.objects.bulk_create(add[through], batch_size=BATCH_SIZE)


def _grant_participant_role(
    *, program: Program, plan: _Plan, rows: Sequence[ParticipantRow]
) -> None:
    """Members named in the file who lack the participant role get it (through the kernel)."""
    lacking = {
        plan.members[row.email].membership_id
        for row in rows
        if row.email in plan.members and not plan.members[row.email].is_participant
    }
    if not lacking:
        return
    for membership in Membership.objects.filter(pk__in=lacking).select_related("user"):
        kernel.membership_grant(
            organization=program.organization, user=membership.user, role=Role.PARTICIPANT
        )


def participants_import(
    *,
    program: Program,
    rows: Sequence[ParticipantRow],
    invited_by: User | None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Upsert ``rows`` (from :func:`parse_participants_csv`) into ``program``, all or nothing.

    New emails become approved participants; existing ones are updated only where something
    differs, so importing the same file again writes nothing. Missing topics are created. People
    who are active members are linked (and given the participant role); everyone else is invited
    as a participant, the emails going out after commit. ``progress(n)`` is told the number of
    rows written so far, every ``CHUNK_SIZE`` rows and at the end.

    The caller records the audit event: it knows the file name (see programs.tasks).
    """
    from programs.services import department_changes_audit, ensure_open_for_participants

    ensure_open_for_participants(program)
    _require_scope(program)
    organization = program.organization
    with transaction.atomic():
        plan = _plan(program=program, rows=rows)
        topic_ids = _create_topics(program=program, plan=plan)
        _grant_participant_role(program=program, plan=plan, rows=rows)
        invited = kernel.invitations_create_bulk(
            organization=organization,
            emails=[row.email for row in rows if row.email not in plan.members],
            role=Role.PARTICIPANT,
            invited_by=invited_by,
        )
        writes = CREATE in plan.actions or UPDATE in plan.actions
        required = _required_modules(program) if writes else {}
        completions: dict[int, set[int]] = {}
        moved: list[tuple[str, str, str]] = []
        if UPDATE in plan.actions and any(required.values()):
            for participant_id, module_id in TrainingCompletion.objects.filter(
                participant__program=program
            ).values_list("participant_id", "module_id"):
                completions.setdefault(participant_id, set()).add(module_id)

        for start in range(0, len(rows), CHUNK_SIZE):
            end = start + CHUNK_SIZE
            _write_chunk(
                program=program,
                plan=plan,
                rows=rows[start:end],
                actions=plan.actions[start:end],
                topic_ids=topic_ids,
                required=required,
                completions=completions,
                moved=moved,
            )
            if progress is not None:
                progress(min(end, len(rows)))
        if progress is not None and not rows:
            progress(0)
        department_changes_audit(program=program, changes=moved, actor=invited_by)

    return ImportSummary(
        created=plan.count(CREATE),
        updated=plan.count(UPDATE),
        unchanged=plan.count(UNCHANGED),
        invited=invited,
    )


def participants_import_from_text(
    *, program: Program, text: str, invited_by: User | None, dry_run: bool
) -> ImportOutcome:
    """Parse ``text``; if every line is valid, import it (or, for a dry run, preview it).

    A file with any invalid line writes nothing: the outcome carries its errors only.
    """
    parsed = parse_participants_csv(text)
    if not parsed.is_clean:
        return ImportOutcome(parse=parsed)
    if dry_run:
        return ImportOutcome(
            parse=parsed, preview=import_preview(program=program, rows=parsed.rows)
        )
    summary = participants_import(program=program, rows=parsed.rows, invited_by=invited_by)
    return ImportOutcome(parse=parsed, summary=summary)
