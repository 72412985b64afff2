"""Writes of the programs app. Every function runs inside the organisation's scope."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.dispatch import Signal
from django.utils import timezone
from django.utils.text import slugify

from mentorship import services as kernel
from mentorship.models import AuditEvent, Membership, Organization, Role, User
from programs.library import EXPORT_FORMAT, EXPORT_VERSION, TEMPLATES
from programs.models import (
    LearningObjective,
    Participant,
    Program,
    ProgramSponsor,
    Side,
    Topic,
    TrainingCompletion,
    TrainingModule,
)
from programs.references import many_to_many_move, objective_references, topic_references

# Sent after a program closes, with ``program``: later apps (pairings, feedback) hang their
# end-of-program steps here instead of this app importing them.
program_closed = Signal()

# --- Topics ---------------------------------------------------------------------------------------


def topics_get_or_create(*, organization: Organization, names: Iterable[str]) -> list[Topic]:
    """The topics with these names (ignoring case), creating the missing ones."""
    wanted: dict[str, str] = {}
    for name in names:
        clean = " ".join(name.split())[:80]
        if clean:
            wanted.setdefault(clean.lower(), clean)
    if not wanted:
        return []
    existing = {
        t.name.lower(): t
        for t in Topic.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=wanted)
    }
    missing = [
        Topic(organization=organization, name=name)
        for key, name in wanted.items()
        if key not in existing
    ]
    Topic.objects.bulk_create(missing)
    existing.update({t.name.lower(): t for t in missing})
    return [existing[key] for key in wanted]


def topic_create(*, organization: Organization, name: str) -> Topic:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Give the topic a name.")
    if Topic.objects.filter(name__iexact=name).exists():
        raise ValidationError(f"There is already a topic called “{name}”.")
    return Topic.objects.create(organization=organization, name=name)


def topic_rename(*, topic: Topic, name: str) -> Topic:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Give the topic a name.")
    if Topic.objects.filter(name__iexact=name).exclude(pk=topic.pk).exists():
        raise ValidationError(f"There is already a topic called “{name}”. Merge the two instead.")
    topic.name = name
    topic.save(update_fields=["name"])
    return topic


def topic_merge(*, source: Topic, target: Topic, actor: User) -> Topic:
    """Move every reference of ``source`` to ``target``, then delete ``source``.

    Every relation to a topic, in any app, has its handler (:mod:`programs.references`): while one
    has none the merge refuses, before writing anything, rather than let the deletion cascade."""
    if source.pk == target.pk:
        raise ValidationError("Choose a different topic to merge into.")
    topic_references.require_handlers()
    objective_references.require_handlers()  # two objectives of one person may be folded
    with transaction.atomic():
        topic_references.move(source=source, target=target)
        kernel.audit_record(
            organization=target.organization,
            action=AuditEvent.Action.TOPICS_MERGED,
            summary=f"Topic “{source.name}” merged into “{target.name}”",
            actor=actor,
        )
        source.delete()
    return target


def program_topics_move(source: Topic, target: Topic) -> None:
    many_to_many_move(Program.topics, source=source, target=target)


def offers_move(source: Topic, target: Topic) -> None:
    many_to_many_move(Participant.offers, source=source, target=target)


def wants_move(source: Topic, target: Topic) -> None:
    many_to_many_move(Participant.wants, source=source, target=target)


def objectives_topic_move(source: Topic, target: Topic) -> None:
    """Objectives on ``source`` move to ``target``. Someone with an objective on both topics
    keeps one: the target's, with the other's success criteria appended, the higher progress
    and everything that referred to either (see :func:`objective_absorb`)."""
    for duplicate in LearningObjective.objects.filter(
        topic=source, participant__objectives__topic=target
    ).distinct():
        kept = LearningObjective.objects.get(participant=duplicate.participant, topic=target)
        objective_absorb(kept=kept, other=duplicate)
    LearningObjective.objects.filter(topic=source).update(topic=target)


# --- Programs -------------------------------------------------------------------------------------

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
]
# Bounds of an imported configuration, so that a hostile file cannot create thousands of rows.
MAX_REMINDER_HOURS = 24 * 14
MAX_REMINDERS = 10
MAX_CONFIG_TOPICS = 200
MAX_CONFIG_MODULES = 50


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
            f"Each reminder is a whole number of hours between 1 and {MAX_REMINDER_HOURS} "
            "(two weeks) before the meeting."
        )
    distinct = sorted(set(hours), reverse=True)
    if len(distinct) > MAX_REMINDERS:
        raise ValidationError(f"At most {MAX_REMINDERS} reminders per meeting.")
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


def program_update(*, program: Program, data: dict[str, Any]) -> Program:
    for field, value in data.items():
        setattr(program, field, value)
    _validate_dates(program)
    program.full_clean(exclude=["organization"])
    program.save()
    return program


def _validate_dates(program: Program) -> None:
    if program.start_date and program.end_date and program.end_date <= program.start_date:
        raise ValidationError({"end_date": "The end date must be after the start date."})


def program_duplicate(*, program: Program) -> Program:
    """A draft copy with the same settings, topics and training modules; no people."""
    with transaction.atomic():
        copy = Program(organization=program.organization)
        for field in [*PROGRAM_SETTINGS, "start_date", "end_date"]:
            setattr(copy, field, getattr(program, field))
        copy.name = f"{program.name} (copy)"[:120]
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
    return copy


def program_archive(*, program: Program) -> Program:
    if program.status not in (Program.Status.DRAFT, Program.Status.CLOSED):
        raise ValidationError(
            "Only draft or closed programs can be archived. Close this program first."
        )
    program.archived_at = timezone.now()
    program.save(update_fields=["archived_at"])
    return program


def program_restore(*, program: Program) -> Program:
    program.archived_at = None
    program.save(update_fields=["archived_at"])
    return program


def ensure_open_for_participants(program: Program) -> None:
    """People cannot join a closed or archived program (by hand, import or application)."""
    if program.archived_at:
        raise ValidationError("This program is archived. Restore it first.")
    if program.status == Program.Status.CLOSED:
        raise ValidationError("This program is closed: nobody can join it any more.")


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
        return [
            f"A {program.get_status_display().lower()} program cannot move to "
            f"“{Program.Status(target).label if target in Program.Status.values else target}”."
        ]
    problems: list[str] = []
    if program.archived_at:
        problems.append("The program is archived.")
    if target == Program.Status.ENROLLING:
        if not program.start_date or not program.end_date:
            problems.append("Set the start and end dates before opening enrolment.")
        if not program.agreement_text.strip():
            problems.append("Write the agreement participants will accept.")
    if target == Program.Status.MATCHING:
        approved = program.participants.filter(status=Participant.Status.APPROVED)
        if not approved.filter(side=Side.JUNIOR).exists():
            problems.append("Approve at least one junior participant first.")
        if not approved.filter(side=Side.SENIOR).exists():
            problems.append("Approve at least one senior participant first.")
    if (
        target == Program.Status.ACTIVE
        and not program.participants.filter(
            matched=True, status=Participant.Status.APPROVED
        ).exists()
    ):
        problems.append("Publish pairings before the program goes active.")
    return problems


def program_transition(*, program: Program, target: str, actor: User) -> Program:
    problems = program_transition_problems(program=program, target=target)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        previous = program.get_status_display()
        program.status = target
        fields = ["status"]
        if target == Program.Status.CLOSED:
            program.closed_at = timezone.now()
            fields.append("closed_at")
        program.save(update_fields=fields)
        kernel.audit_record(
            organization=program.organization,
            action=AuditEvent.Action.PROGRAM_STATUS,
            summary=f"{program.name}: {previous} → {program.get_status_display()}",
            actor=actor,
        )
        if target == Program.Status.CLOSED:
            transaction.on_commit(lambda: program_closed.send(sender=Program, program=program))
    return program


def program_sponsor_add(*, program: Program, membership: Membership) -> ProgramSponsor:
    if not membership.is_sponsor or membership.removed_at is not None:
        raise ValidationError("Only members with the executive sponsor role can sponsor.")
    sponsor, _ = ProgramSponsor.objects.get_or_create(
        organization=program.organization, program=program, membership=membership
    )
    return sponsor


def program_sponsor_remove(*, program: Program, membership_id: int) -> None:
    ProgramSponsor.objects.filter(program=program, membership_id=membership_id).delete()


# --- Export and import of configurations ----------------------------------------------------------


def program_export(*, program: Program) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "program": {field: getattr(program, field) for field in PROGRAM_SETTINGS},
        "topics": sorted(t.name for t in program.topics.all()),
        "training_modules": [
            {
                "title": m.title,
                "body": m.body,
                "required_for_juniors": m.required_for_juniors,
                "required_for_seniors": m.required_for_seniors,
            }
            for m in program.modules.all()
        ],
    }


@dataclass(frozen=True)
class ConfigProblem(Exception):
    problems: list[str]


def _config_from_json(raw: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"The file is not valid JSON ({exc}).") from exc
    except RecursionError as exc:
        # A few kilobytes of "[[[[…" exhaust the parser's stack: refuse it like any bad file.
        raise ValidationError("The file is not valid JSON (nested too deeply).") from exc
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ValidationError("This is not a program configuration exported by this application.")
    if data.get("version") != EXPORT_VERSION:
        raise ValidationError(f"Unsupported configuration version {data.get('version')!r}.")
    return data


def _holds_nul(value: Any) -> bool:
    """Whether a NUL character hides in any text of a parsed JSON value (PostgreSQL refuses to
    store one, with an error rather than a message)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _setting_type_problem(name: str, value: Any) -> str:
    """Text settings must be JSON strings (a list would be stored as its Python spelling) and
    numbers whole numbers: ``Infinity`` is valid JSON, and Django's check of an integer field
    crashes on it (OverflowError) instead of refusing it."""
    kind = Program._meta.get_field(name).get_internal_type()
    if kind in ("CharField", "TextField") and not isinstance(value, str):
        return f"“{name}” must be text."
    if kind.endswith("IntegerField") and (
        isinstance(value, bool) or not isinstance(value, int | str)
    ):
        return f"“{name}” must be a whole number."
    return ""


def _check_config(data: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
    """Validate the shape; returns (settings, topic names, modules) or raises with every problem."""
    problems: list[str] = []
    if _holds_nul(data):
        raise ValidationError("The configuration contains NUL characters, which no text may hold.")
    settings = data.get("program")
    if not isinstance(settings, dict):
        raise ValidationError("The configuration has no “program” section.")
    unknown = sorted(set(settings) - set(PROGRAM_SETTINGS))
    if unknown:
        problems.append(f"Unknown settings: {', '.join(unknown)}.")
    problems.extend(
        problem
        for name, value in settings.items()
        if name in PROGRAM_SETTINGS
        and name != "reminder_offsets_hours"  # checked with its own message below
        and (problem := _setting_type_problem(name, value))
    )
    topics = data.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(t, str) and t.strip() for t in topics):
        problems.append("“topics” must be a list of names.")
        topics = []
    elif any(len(t) > 80 for t in topics):
        problems.append("Topic names are at most 80 characters.")
    elif len(topics) > MAX_CONFIG_TOPICS:
        problems.append(f"A program has at most {MAX_CONFIG_TOPICS} topics.")
    modules = data.get("training_modules", [])
    clean_modules: list[dict[str, Any]] = []
    if not isinstance(modules, list):
        problems.append("“training_modules” must be a list.")
    elif len(modules) > MAX_CONFIG_MODULES:
        problems.append(f"A program has at most {MAX_CONFIG_MODULES} training modules.")
    else:
        for n, module in enumerate(modules, start=1):
            if not isinstance(module, dict) or not str(module.get("title", "")).strip():
                problems.append(f"Training module {n} needs a title.")
                continue
            clean_modules.append(
                {
                    "title": str(module["title"])[:120],
                    "body": str(module.get("body", "")),
                    "required_for_juniors": bool(module.get("required_for_juniors", True)),
                    "required_for_seniors": bool(module.get("required_for_seniors", False)),
                }
            )
    if problems:
        raise ValidationError(problems)
    return {k: v for k, v in settings.items() if k in PROGRAM_SETTINGS}, topics, clean_modules


def program_create_from_config(
    *, organization: Organization, data: dict[str, Any] | bytes | str, name: str = ""
) -> Program:
    """Create a draft program from an export (or a built-in template), validating everything
    before writing anything."""
    config = _config_from_json(data) if isinstance(data, bytes | str) else data
    settings, topic_names, modules = _check_config(config)
    if name:
        settings["name"] = name
    if "reminder_offsets_hours" in settings:
        offsets = settings["reminder_offsets_hours"]
        if not isinstance(offsets, list):
            raise ValidationError("“reminder_offsets_hours” must be a list of hours.")
        settings["reminder_offsets_hours"] = reminder_offsets_clean(offsets)
    program = Program(organization=organization, **settings)
    program.slug = unique_program_slug(base=program.name or "program")
    try:
        program.full_clean(exclude=["organization"])
    except ValidationError as exc:
        raise ValidationError(
            [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
        ) from exc
    with transaction.atomic():
        program.save()
        program.topics.set(topics_get_or_create(organization=organization, names=topic_names))
        TrainingModule.objects.bulk_create(
            TrainingModule(organization=organization, program=program, position=n, **module)
            for n, module in enumerate(modules)
        )
    return program


def program_create_from_template(
    *, organization: Organization, template: str, name: str = ""
) -> Program:
    if template not in TEMPLATES:
        raise ValidationError("Unknown template.")
    return program_create_from_config(
        organization=organization, data=TEMPLATES[template], name=name
    )


# --- Participants ---------------------------------------------------------------------------------

PARTICIPANT_FIELDS = [
    "first_name",
    "last_name",
    "side",
    "department",
    "title",
    "level",
    "manager_email",
    "timezone",
    "availability",
    "bio",
]


def _active_membership(email: str) -> Membership | None:
    return (
        Membership.objects.select_related("user")
        .filter(user__email__iexact=email, removed_at__isnull=True)
        .first()
    )


def participant_add(
    *,
    program: Program,
    email: str,
    invited_by: User | None,
    offers: Iterable[Topic] = (),
    wants: Iterable[Topic] = (),
    **fields: Any,
) -> Participant:
    """HR admin adds one person: approved at once; invited when they are not a member yet.
    Someone who withdrew, was declined or was removed comes back on the same row."""
    ensure_open_for_participants(program)
    email = email.strip().lower()
    participant = Participant.objects.filter(program=program, email=email).first()
    if participant is not None and participant.status in (
        Participant.Status.APPROVED,
        Participant.Status.APPLIED,
    ):
        raise ValidationError(f"{email} is already in this program.")
    with transaction.atomic():
        before = participant.department if participant is not None else None
        participant = participant or Participant(
            organization=program.organization, program=program, email=email
        )
        for field, value in fields.items():
            setattr(participant, field, value)
        if before is not None:  # someone coming back on their old row
            department_changes_audit(
                program=program,
                changes=[(participant.full_name, before, participant.department)],
                actor=invited_by,
            )
        participant.status = Participant.Status.APPROVED
        participant.status_changed_at = timezone.now()
        participant.full_clean(exclude=["organization", "program", "membership"])
        membership = _active_membership(email)
        if membership is not None:
            participant.membership = kernel.membership_grant(
                organization=program.organization, user=membership.user, role=Role.PARTICIPANT
            )
        participant.save()
        participant.offers.set(offers)
        participant.wants.set(wants)
        if membership is None:
            kernel.invitations_create_bulk(
                organization=program.organization,
                emails=[email],
                role=Role.PARTICIPANT,
                invited_by=invited_by,
            )
        refresh_training_done(program=program, participants=[participant])
    return participant


def department_changes_audit(
    *, program: Program, changes: list[tuple[str, str, str]], actor: User | None
) -> None:
    """Audit each (name, old, new) department change of the program's participants."""
    kernel.audit_record_many(
        organization=program.organization,
        action=AuditEvent.Action.DEPARTMENT_CHANGED,
        summaries=[
            f"{name} in {program.name}: department {old or 'none'} → {new or 'none'}"
            for name, old, new in changes
            if old != new
        ],
        actor=actor,
    )


def participant_update(
    *,
    participant: Participant,
    offers: Iterable[Topic],
    wants: Iterable[Topic],
    actor: User | None = None,
    **fields: Any,
) -> Participant:
    """Change a participant's details (by an HR admin, or by the participant on their profile).
    A department change is audited."""
    with transaction.atomic():
        # From the database: a model form has already copied its data onto ``participant``.
        before = (
            Participant.objects.filter(pk=participant.pk)
            .values_list("department", flat=True)
            .first()
        )
        for field, value in fields.items():
            setattr(participant, field, value)
        participant.full_clean(exclude=["organization", "program", "membership"])
        participant.save()
        participant.offers.set(offers)
        participant.wants.set(wants)
        refresh_training_done(program=participant.program, participants=[participant])
        department_changes_audit(
            program=participant.program,
            changes=[(participant.full_name, before or "", participant.department)],
            actor=actor,
        )
    return participant


def participant_apply(
    *,
    program: Program,
    membership: Membership,
    offers: Iterable[Topic] = (),
    wants: Iterable[Topic] = (),
    **fields: Any,
) -> Participant:
    """Self-enrolment by a member while the program is enrolling; an HR admin decides."""
    if program.status != Program.Status.ENROLLING or program.archived_at:
        raise ValidationError("This program is not taking applications right now.")
    ensure_open_for_participants(program)
    email = membership.user.email.lower()
    existing = Participant.objects.filter(program=program, email=email).first()
    if existing and existing.status == Participant.Status.REMOVED:
        raise ValidationError(
            "An HR admin removed you from this program; ask them to add you back."
        )
    if existing and existing.status not in (
        Participant.Status.WITHDRAWN,
        Participant.Status.DECLINED,
    ):
        raise ValidationError("You have already applied to this program.")
    with transaction.atomic():
        before = existing.department if existing is not None else None
        participant = existing or Participant(
            organization=program.organization, program=program, email=email
        )
        for field, value in fields.items():
            setattr(participant, field, value)
        if before is not None:  # applying again on their old row
            department_changes_audit(
                program=program,
                changes=[(participant.full_name, before, participant.department)],
                actor=membership.user,
            )
        participant.first_name = membership.user.first_name or email.split("@")[0]
        participant.last_name = membership.user.last_name
        participant.membership = membership
        participant.status = Participant.Status.APPLIED
        participant.status_changed_at = timezone.now()
        participant.full_clean(exclude=["organization", "program", "membership"])
        participant.save()
        participant.offers.set(offers)
        participant.wants.set(wants)
        refresh_training_done(program=program, participants=[participant])
        for hr in Membership.objects.filter(
            is_hr_admin=True, removed_at__isnull=True
        ).select_related("user"):
            kernel.notification_send(
                organization=program.organization,
                recipient=hr.user,
                subject=f"New application to {program.name}",
                body=f"{participant.full_name} applied as {participant.get_side_display()}.",
                url=f"/o/{program.organization.slug}/programs/{program.slug}/participants/"
                f"{participant.pk}/",
            )
    return participant


def participant_decide(*, participant: Participant, approve: bool, actor: User) -> Participant:
    if participant.status != Participant.Status.APPLIED:
        raise ValidationError(
            "Only applications waiting for a decision can be approved or declined."
        )
    with transaction.atomic():
        participant.status = Participant.Status.APPROVED if approve else Participant.Status.DECLINED
        participant.status_changed_at = timezone.now()
        participant.save(update_fields=["status", "status_changed_at"])
        if participant.membership_id and approve:
            kernel.membership_grant(
                organization=participant.organization,
                user=participant.membership.user,
                role=Role.PARTICIPANT,
            )
        if participant.membership_id:
            program = participant.program
            kernel.notification_send(
                organization=participant.organization,
                recipient=participant.membership.user,
                subject=(
                    f"You are in: {program.name}"
                    if approve
                    else f"Your application to {program.name}"
                ),
                body=(
                    "Your application was approved. Set your learning objectives to get ready."
                    if approve
                    else "Your application was not accepted this time. Your HR team can tell "
                    "you more."
                ),
                url=f"/o/{participant.organization.slug}/programs/{program.slug}/me/",
            )
    return participant


def participant_withdraw(*, participant: Participant) -> Participant:
    if participant.status in (Participant.Status.WITHDRAWN, Participant.Status.REMOVED):
        raise ValidationError("You are no longer in this program.")
    participant.status = Participant.Status.WITHDRAWN
    participant.status_changed_at = timezone.now()
    participant.save(update_fields=["status", "status_changed_at"])
    return participant


def participant_remove(*, participant: Participant, actor: User) -> Participant:
    if participant.status == Participant.Status.REMOVED:
        raise ValidationError("This participant was already removed.")
    with transaction.atomic():
        participant.status = Participant.Status.REMOVED
        participant.status_changed_at = timezone.now()
        participant.save(update_fields=["status", "status_changed_at"])
        kernel.audit_record(
            organization=participant.organization,
            action=AuditEvent.Action.PARTICIPANT_REMOVED,
            summary=f"{participant.email} removed from {participant.program.name}",
            actor=actor,
        )
    return participant


def participants_link_membership(*, membership: Membership) -> int:
    """Attach the rows that waited for this person by email (imports, invitations)."""
    return Participant.objects.filter(
        email__iexact=membership.user.email, membership__isnull=True
    ).update(membership=membership)


# --- Learning objectives --------------------------------------------------------------------------


def objective_absorb(*, kept: LearningObjective, other: LearningObjective) -> None:
    """Fold ``other`` into ``kept`` (same person, same topic after a merge), then delete it.
    What refers to ``other`` (a session log that touched it, say) moves to ``kept`` through the
    handlers of :data:`programs.references.objective_references`."""
    kept.success_criteria = f"{kept.success_criteria}\n\n{other.success_criteria}"[:1000]
    kept.progress = max(kept.progress, other.progress)
    kept.save(update_fields=["success_criteria", "progress", "updated_at"])
    objective_references.move(source=other, target=kept)
    other.delete()


def _objective_topic_free(objective: LearningObjective) -> None:
    taken = LearningObjective.objects.filter(
        participant=objective.participant, topic=objective.topic
    ).exclude(pk=objective.pk)
    if taken.exists():
        raise ValidationError(
            {"topic": "You already have an objective on this topic: update that one instead."}
        )


def objective_create(*, participant: Participant, topic: Topic, **fields: Any) -> LearningObjective:
    objective = LearningObjective(
        organization=participant.organization, participant=participant, topic=topic, **fields
    )
    objective.full_clean(exclude=["organization", "participant"])
    _objective_topic_free(objective)
    objective.save()
    return objective


def objective_update(*, objective: LearningObjective, **fields: Any) -> LearningObjective:
    closing = fields.get("final_rating") is not None
    if closing and objective.participant.program.status != Program.Status.CLOSED:
        raise ValidationError(
            {"final_rating": "The final self-rating is given when the program closes."}
        )
    for field, value in fields.items():
        setattr(objective, field, value)
    objective.full_clean(exclude=["organization", "participant"])
    _objective_topic_free(objective)
    objective.save()
    return objective


# --- Training -------------------------------------------------------------------------------------


def refresh_training_done(
    *, program: Program, participants: Iterable[Participant] | None = None
) -> None:
    """Recompute ``training_done`` (kept on the row so the directory filters on it cheaply)."""
    modules = list(program.modules.all())
    required = {
        Side.JUNIOR: {m.pk for m in modules if m.required_for_juniors},
        Side.SENIOR: {m.pk for m in modules if m.required_for_seniors},
    }
    rows = list(participants) if participants is not None else list(program.participants.all())
    done: dict[int, set[int]] = {}
    for participant_id, module_id in TrainingCompletion.objects.filter(
        participant__in=rows
    ).values_list("participant_id", "module_id"):
        done.setdefault(participant_id, set()).add(module_id)
    changed = []
    for p in rows:
        value = required[Side(p.side)] <= done.get(p.pk, set())
        if p.training_done != value:
            p.training_done = value
            changed.append(p)
    Participant.objects.bulk_update(changed, ["training_done"], batch_size=1000)


def module_save(
    *, program: Program, module: TrainingModule | None, **fields: Any
) -> TrainingModule:
    module = module or TrainingModule(
        organization=program.organization,
        program=program,
        position=program.modules.count(),
    )
    for field, value in fields.items():
        setattr(module, field, value)
    module.full_clean(exclude=["organization", "program"])
    with transaction.atomic():
        module.save()
        refresh_training_done(program=program)
    return module


def module_delete(*, module: TrainingModule) -> None:
    program = module.program
    with transaction.atomic():
        module.delete()
        refresh_training_done(program=program)


def module_complete(*, module: TrainingModule, participant: Participant) -> TrainingCompletion:
    with transaction.atomic():
        completion, _ = TrainingCompletion.objects.get_or_create(
            organization=participant.organization, module=module, participant=participant
        )
        refresh_training_done(program=module.program, participants=[participant])
    return completion
