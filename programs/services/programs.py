"""Writes of programs: creation, settings, copies, archiving and the lifecycle."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from mentorship import services as kernel
from mentorship.models import AuditEvent, Organization, User
from programs import signals
from programs.models import (
    Participant,
    Program,
    Side,
    Topic,
    TrainingModule,
)
from programs.services.guides import session_plan_copy
from programs.services.webhooks import program_status_changed_emit

PROGRAM_SETTINGS = [
    "name",
    "description",
    "goals",
    "cadence_weeks",
    "expected_sessions",
    "mentees_per_mentor",
    "mentors_per_mentee",
    "min_level_gap",
    "exclude_reporting_line",
    "exclude_same_department",
    "allow_repairing",
    "training_required",
    "agreement_text",
    "reminder_offsets_hours",
    "meeting_minutes",
    "close_quiet_after_days",
]
# Bounds of an imported configuration, so that a hostile file cannot create thousands of rows.
MAX_REMINDER_HOURS = 24 * 14
MAX_REMINDERS = 10


def reminder_offsets_clean(hours: Iterable[Any]) -> list[int]:
    """Meeting reminders as a program stores them, from the program form or an imported file:
    distinct whole hours between 1 and :data:`MAX_REMINDER_HOURS`, the earliest first, at most
    :data:`MAX_REMINDERS`. Raises with the reason otherwise."""
    hours = list(hours)
    # bool is an int in Python: JSON's true would otherwise pass as a one-hour reminder.
    if not all(isinstance(h, int) and not isinstance(h, bool) for h in hours) or any(
        h < 1 or h > MAX_REMINDER_HOURS for h in hours
    ):
        raise ValidationError(
            _(
                "Each reminder is a whole number of hours between 1 and %(max)s (two weeks) "
                "before the meeting."
            )
            % {"max": MAX_REMINDER_HOURS}
        )
    distinct = sorted(set(hours), reverse=True)
    if len(distinct) > MAX_REMINDERS:
        raise ValidationError(_("At most %(max)s reminders per meeting.") % {"max": MAX_REMINDERS})
    return distinct


# Fixed routes under /programs/ that a program's slug must not shadow.
RESERVED_SLUGS = {"new", "import"}


def unique_program_slug(*, base: str) -> str:
    base = (slugify(base) or "program")[:50]
    if base in RESERVED_SLUGS:
        base = f"{base}-program"
    taken = set(Program.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def program_create(*, organization: Organization, name: str, **settings: Any) -> Program:
    program = Program(organization=organization, name=name, **settings)
    program.slug = unique_program_slug(base=name)
    program.full_clean(exclude=["organization"])
    program.save()
    return program


def program_update(
    *, program: Program, data: dict[str, Any], topics: Iterable[Topic] | None = None
) -> Program:
    """Save the program's settings, and its topics when given."""
    # From the database: a model form has already copied its data onto ``program``.
    offsets_before, close_before = (
        Program.objects.filter(pk=program.pk)
        .values_list("reminder_offsets_hours", "close_quiet_after_days")
        .first()
    ) or (None, None)
    for field, value in data.items():
        setattr(program, field, value)
    _validate_dates(program)
    program.full_clean(exclude=["organization"])
    with transaction.atomic():
        program.save()
        if topics is not None:
            program.topics.set(topics)
        if program.reminder_offsets_hours != offsets_before:
            # Meetings already set keep their reminders in step (pairings listens).
            signals.reminder_offsets_changed.send(sender=Program, program=program)
        if program.close_quiet_after_days != close_before:
            # Quiet pairs are looked at again with the new setting (pairings listens).
            signals.quiet_close_changed.send(sender=Program, program=program)
    return program


def _validate_dates(program: Program) -> None:
    if program.start_date and program.end_date and program.end_date <= program.start_date:
        raise ValidationError({"end_date": _("The end date must be after the start date.")})


def program_duplicate(*, program: Program) -> Program:
    """A draft copy with the same settings, topics, training modules and session plan; no
    people."""
    with transaction.atomic():
        copy = Program(organization=program.organization)
        for field in [*PROGRAM_SETTINGS, "start_date", "end_date"]:
            setattr(copy, field, getattr(program, field))
        copy.name = (_("%(name)s (copy)") % {"name": program.name})[:120]
        copy.slug = unique_program_slug(base=f"{program.slug}-copy")
        copy.save()
        copy.topics.set(program.topics.all())
        TrainingModule.objects.bulk_create(
            TrainingModule(
                organization=program.organization,
                program=copy,
                title=m.title,
                body=m.body,
                required_for_juniors=m.required_for_juniors,
                required_for_seniors=m.required_for_seniors,
                position=m.position,
            )
            for m in program.modules.all()
        )
        session_plan_copy(source=program, target=copy)
    return copy


def program_archive(*, program: Program) -> Program:
    if program.status not in (Program.Status.DRAFT, Program.Status.CLOSED):
        raise ValidationError(
            _("Only draft or closed programs can be archived. Close this program first.")
        )
    program.archived_at = timezone.now()
    # Not a change of status (the API shows ``archived_at`` beside it): no status event.
    program.save(update_fields=["archived_at", "updated_at"])
    return program


def program_restore(*, program: Program) -> Program:
    program.archived_at = None
    program.save(update_fields=["archived_at", "updated_at"])
    return program


def ensure_open_for_participants(program: Program) -> None:
    """People cannot join a closed or archived program (by hand, import or application)."""
    if program.archived_at:
        raise ValidationError(_("This program is archived. Restore it first."))
    if program.status == Program.Status.CLOSED:
        raise ValidationError(_("This program is closed: nobody can join it any more."))


# Allowed moves, each with the guard that explains why it may not happen yet.
TRANSITIONS: dict[str, set[str]] = {
    Program.Status.DRAFT: {Program.Status.ENROLLING},
    Program.Status.ENROLLING: {Program.Status.DRAFT, Program.Status.MATCHING},
    Program.Status.MATCHING: {Program.Status.ENROLLING, Program.Status.ACTIVE},
    Program.Status.ACTIVE: {Program.Status.CLOSED},
    Program.Status.CLOSED: set(),
}


def program_transition_problems(*, program: Program, target: str) -> list[str]:
    """Why the program cannot move to ``target`` now, in words an HR admin understands."""
    if target not in TRANSITIONS.get(program.status, set()):
        label = Program.Status(target).label if target in Program.Status.values else target
        # Translators: %(status)s is the program's status in lower case ("a draft program"),
        # %(target)s the status it cannot move to ("Active").
        return [
            _("A %(status)s program cannot move to “%(target)s”.")
            % {"status": program.get_status_display().lower(), "target": label}
        ]
    problems: list[str] = []
    if program.archived_at:
        problems.append(_("The program is archived."))
    if target == Program.Status.ENROLLING:
        if not program.start_date or not program.end_date:
            problems.append(_("Set the start and end dates before opening enrolment."))
        if not program.agreement_text.strip():
            problems.append(_("Write the agreement participants will accept."))
    if target == Program.Status.MATCHING:
        approved = program.participants.filter(status=Participant.Status.APPROVED)
        if not approved.filter(side=Side.JUNIOR).exists():
            problems.append(_("Approve at least one junior participant first."))
        if not approved.filter(side=Side.SENIOR).exists():
            problems.append(_("Approve at least one senior participant first."))
    if (
        target == Program.Status.ACTIVE
        and not program.participants.filter(
            matched=True, status=Participant.Status.APPROVED
        ).exists()
    ):
        problems.append(_("Publish pairings before the program goes active."))
    return problems


def program_transition(*, program: Program, target: str, actor: User) -> Program:
    problems = program_transition_problems(program=program, target=target)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        with translation.override(None):  # the audit log is kept in English
            previous = program.get_status_display()
        previous_status = program.status
        program.status = target
        fields = ["status", "updated_at"]
        if target == Program.Status.CLOSED:
            program.closed_at = timezone.now()
            fields.append("closed_at")
        program.save(update_fields=fields)
        program_status_changed_emit(program=program, previous_status=previous_status)
        with translation.override(None):
            summary = f"{program.name}: {previous} → {program.get_status_display()}"
        kernel.audit_record(
            organization=program.organization,
            action=AuditEvent.Action.PROGRAM_STATUS,
            summary=summary,
            actor=actor,
        )
        if target == Program.Status.CLOSED:
            transaction.on_commit(
                lambda: signals.program_closed.send(sender=Program, program=program)
            )
    return program
