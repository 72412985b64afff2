"""Participant CSV import, the writing half (:mod:`programs.csv_parser` reads the file): one
service behind the command line and the browser.

:func:`participants_import` and :func:`import_preview` upsert validated rows into one program
inside the organisation's scope, all or nothing, in a number of queries that does not depend on
the number of rows (apart from the database's own batch limits). :func:`import_job_run` runs a
confirmed browser import (the task ``run_participant_import``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django_scopes import get_scope

from mentorship import services as kernel
from mentorship.events.models import EventType
from mentorship.models import AuditEvent, Membership, Role, User
from mentorship.web import error_text
from programs import signals
from programs.csv_parser import ParseResult, ParticipantRow, parse_participants_csv
from programs.fields import IMPORTED_FIELDS
from programs.models import ImportJob, Participant, Program, Topic, TrainingCompletion
from programs.services.participants import department_changes_audit
from programs.services.programs import ensure_open_for_participants
from programs.services.training import modules_required, training_is_done
from programs.services.webhooks import participants_emit
from programs.tallies import tally_track

# Rows written between two progress reports (and the unit of work of each write round).
CHUNK_SIZE = 500
# Objects per INSERT/UPDATE; Django lowers it further where the database needs (SQLite).
BATCH_SIZE = 1000


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
            # Topics are compared as sets.
            any(getattr(participant, name) != getattr(row, name) for name in IMPORTED_FIELDS)
            or bool(
                row.availability_changes(participant.weekly_availability, participant.availability)
            )
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
    now = timezone.now()
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
                participant.status_changed_at = now
            participant.updated_at = now  # bulk_update does not apply auto_now
            updated.append((participant, row))
        for name in IMPORTED_FIELDS:
            setattr(participant, name, getattr(row, name))
        # The availability cell: weekly hours where it parses, else the note (csv_parser).
        for name, value in row.availability_changes(
            participant.weekly_availability, participant.availability
        ).items():
            setattr(participant, name, value)
        if member is not None:
            participant.membership_id = member.membership_id
        participant.training_done = training_is_done(
            required=required, side=row.side, completed=completions.get(participant.pk, set())
        )

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
            [
                *IMPORTED_FIELDS,
                "weekly_availability",
                "availability",
                "membership",
                "training_done",
                "status",
                "status_changed_at",
                "updated_at",
            ],
            batch_size=BATCH_SIZE,
        )
    if created or updated:
        signals.participants_approved.send(sender=Program, program=program)

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

    The caller records the audit event: it knows the file name (see :func:`import_job_run`).
    """
    ensure_open_for_participants(program)
    _require_scope(program)
    organization = program.organization
    with tally_track() as tally:  # the dashboards' totals follow (programs.tallies)
        plan = _plan(program=program, rows=rows)
        actions = list(zip(rows, plan.actions, strict=True))
        tally.track(plan.existing[row.email].pk for row, action in actions if action == UPDATE)
        topic_ids = _create_topics(program=program, plan=plan)
        _grant_participant_role(program=program, plan=plan, rows=rows)
        invited = kernel.invitations_create_bulk(
            organization=organization,
            emails=[row.email for row in rows if row.email not in plan.members],
            role=Role.PARTICIPANT,
            invited_by=invited_by,
        )
        writes = CREATE in plan.actions or UPDATE in plan.actions
        required = modules_required(program=program) if writes else {}
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
        created = [row.email for row, action in actions if action == CREATE]
        created_ids: list[int] = []
        for start in range(0, len(created), CHUNK_SIZE):
            emails = created[start : start + CHUNK_SIZE]
            people = Participant.objects.filter(program=program, email__in=emails)
            ids = list(people.values_list("pk", flat=True))
            tally.created(ids)
            created_ids.extend(ids)
        # Webhook receivers hear of each person written, once, in this transaction.
        participants_emit(
            organization=organization,
            event_type=EventType.PARTICIPANT_CREATED,
            participant_ids=created_ids,
        )
        participants_emit(
            organization=organization,
            event_type=EventType.PARTICIPANT_UPDATED,
            participant_ids=[
                plan.existing[row.email].pk for row, action in actions if action == UPDATE
            ],
        )

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


# --- Imports in the browser: a job per uploaded file, run by a task once confirmed ---------------


def import_job_create(*, program: Program, created_by: User, filename: str, text: str) -> ImportJob:
    """Check an uploaded file and keep what the preview page shows: the rows and what importing
    them would do, or every invalid line. Nothing is imported yet. The errors are stored in the
    active language (the uploader's, on the page): the page shows them as written."""
    parsed = parse_participants_csv(text, gettext=gettext, ngettext=ngettext)
    return ImportJob.objects.create(
        organization_id=program.organization_id,
        program=program,
        created_by=created_by,
        filename=filename[:200],
        status=ImportJob.Status.PREVIEW if parsed.is_clean else ImportJob.Status.INVALID,
        rows=[row.to_dict() for row in parsed.rows] if parsed.is_clean else [],
        errors=[list(e) for e in parsed.errors],
        total=len(parsed.rows),
        summary=(
            import_preview(program=program, rows=parsed.rows).to_dict() if parsed.is_clean else {}
        ),
    )


def import_job_start(*, job: ImportJob) -> bool:
    """Mark a previewed (or failed) import as running; whether this call did. Compare-and-set:
    a double click or a second tab cannot start the same import twice."""
    return bool(
        ImportJob.objects.filter(
            pk=job.pk, status__in=[ImportJob.Status.PREVIEW, ImportJob.Status.FAILED]
        ).update(status=ImportJob.Status.RUNNING, summary={**job.summary, "error": ""})
    )


def import_job_run(*, job: ImportJob, progress: Callable[[int], None]) -> str:
    """Write a confirmed import. The rows and the job's "done" state commit together, so a
    redelivered or retried task finds the job done and stops; a crash writes nothing."""
    rows = [ParticipantRow.from_dict(r) for r in job.rows]
    with transaction.atomic():
        summary = participants_import(
            program=job.program, rows=rows, invited_by=job.created_by, progress=progress
        )
        job.status = ImportJob.Status.DONE
        job.summary = summary.to_dict()
        job.processed = len(rows)
        job.rows = []  # the people are in the program now; no second copy of their data
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "summary", "processed", "rows", "finished_at"])
        kernel.audit_record(
            organization=job.organization,
            action=AuditEvent.Action.PARTICIPANTS_IMPORTED,
            summary=f"{job.filename}: {summary.created} created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged into {job.program.name}",
            actor=job.created_by,
        )
    return job.status


def import_job_fail(*, job: ImportJob, exc: Exception) -> None:
    """A failure that will not be retried: the job says why, so the page stops waiting."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        summary={
            **job.summary,
            "error": error_text(exc) if isinstance(exc, ValidationError) else str(exc),
        },
        finished_at=timezone.now(),
    )
