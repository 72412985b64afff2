"""Writes of participants: added by HR admins, applying themselves, decisions, withdrawal and
removal, and the details they or HR admins keep up to date."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from mentorship import services as kernel
from mentorship.events.models import EventType
from mentorship.i18n import recipient_language
from mentorship.models import AuditEvent, Membership, Role, User
from mentorship.web import tenant_url
from programs import signals
from programs.models import (
    Participant,
    Program,
    Side,
    Topic,
)
from programs.services.programs import ensure_open_for_participants
from programs.services.training import refresh_training_done
from programs.services.webhooks import participants_emit
from programs.tallies import tally_track


def _application_subject_text(program_name: str) -> str:
    return _("New application to %(program)s") % {"program": program_name}


def _application_body_text(name: str, side: str) -> str:
    return _("%(name)s applied as %(side)s.") % {"name": name, "side": Side(side).label}


# Written when read: ``notification_send`` reads them in each recipient's language.
_application_subject = lazy(_application_subject_text, str)
_application_body = lazy(_application_body_text, str)

# The fields a save must name besides those it changes, so the API's ?updated_since= sees it.
TOUCHED = ["status_changed_at", "updated_at"]


def _emit(participant: Participant, event_type: EventType) -> None:
    participants_emit(
        organization=participant.organization,
        event_type=event_type,
        participant_ids=[participant.pk],
    )


def _returning_or_new(existing: Participant | None) -> EventType:
    """Someone coming back on their old row is an update of that row (same id in the API)."""
    return EventType.PARTICIPANT_CREATED if existing is None else EventType.PARTICIPANT_UPDATED


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
        raise ValidationError(_("%(email)s is already in this program.") % {"email": email})
    event_type = _returning_or_new(participant)
    with tally_track([participant.pk] if participant is not None else []) as tally:
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
        tally.created([participant.pk])
        participant.offers.set(offers)
        participant.wants.set(wants)
        signals.participants_approved.send(sender=Program, program=program)
        if membership is None:
            kernel.invitations_create_bulk(
                organization=program.organization,
                emails=[email],
                role=Role.PARTICIPANT,
                invited_by=invited_by,
            )
        refresh_training_done(program=program, participants=[participant])
        _emit(participant, event_type)
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
    with tally_track([participant.pk]):
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
        # A change of side can move them into a one-side survey's audience: its next pass
        # invites them.
        signals.participants_approved.send(sender=Program, program=participant.program)
        department_changes_audit(
            program=participant.program,
            changes=[(participant.full_name, before or "", participant.department)],
            actor=actor,
        )
        _emit(participant, EventType.PARTICIPANT_UPDATED)
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
        raise ValidationError(_("This program is not taking applications right now."))
    ensure_open_for_participants(program)
    email = membership.user.email.lower()
    existing = Participant.objects.filter(program=program, email=email).first()
    if existing and existing.status == Participant.Status.REMOVED:
        raise ValidationError(
            _("An HR admin removed you from this program; ask them to add you back.")
        )
    if existing and existing.status not in (
        Participant.Status.WITHDRAWN,
        Participant.Status.DECLINED,
    ):
        raise ValidationError(_("You have already applied to this program."))
    event_type = _returning_or_new(existing)
    with tally_track([existing.pk] if existing is not None else []) as tally:
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
        tally.created([participant.pk])
        participant.offers.set(offers)
        participant.wants.set(wants)
        refresh_training_done(program=program, participants=[participant])
        kernel.notify_hr_admins(
            organization=program.organization,
            # Lazy: each HR admin reads them in their own language.
            subject=_application_subject(program.name),
            body=_application_body(participant.full_name, participant.side),
            url=tenant_url(
                program.organization,
                "participant_detail",
                program_slug=program.slug,
                participant_id=participant.pk,
            ),
        )
        _emit(participant, event_type)
    return participant


def participant_decide(*, participant: Participant, approve: bool, actor: User) -> Participant:
    if participant.status != Participant.Status.APPLIED:
        raise ValidationError(
            _("Only applications waiting for a decision can be approved or declined.")
        )
    with tally_track([participant.pk]):
        participant.status = Participant.Status.APPROVED if approve else Participant.Status.DECLINED
        participant.status_changed_at = timezone.now()
        participant.save(update_fields=["status", *TOUCHED])
        if approve:
            signals.participants_approved.send(sender=Program, program=participant.program)
        if participant.membership_id and approve:
            kernel.membership_grant(
                organization=participant.organization,
                user=participant.membership.user,
                role=Role.PARTICIPANT,
            )
        if participant.membership_id:
            program = participant.program
            recipient = participant.membership.user
            with recipient_language(recipient, participant.organization):
                if approve:
                    subject = _("You are in: %(program)s") % {"program": program.name}
                    body = _(
                        "Your application was approved. Set your learning objectives to get ready."
                    )
                else:
                    subject = _("Your application to %(program)s") % {"program": program.name}
                    body = _(
                        "Your application was not accepted this time. Your HR team can tell "
                        "you more."
                    )
            kernel.notification_send(
                organization=participant.organization,
                recipient=recipient,
                subject=subject,
                body=body,
                url=tenant_url(
                    participant.organization, "my_participation", program_slug=program.slug
                ),
            )
        _emit(participant, EventType.PARTICIPANT_UPDATED)
    return participant


def participant_withdraw(*, participant: Participant) -> Participant:
    if participant.status in (Participant.Status.WITHDRAWN, Participant.Status.REMOVED):
        raise ValidationError(_("You are no longer in this program."))
    with tally_track([participant.pk]):
        participant.status = Participant.Status.WITHDRAWN
        participant.status_changed_at = timezone.now()
        participant.save(update_fields=["status", *TOUCHED])
        # They left the program: for a receiver, as gone as someone an HR admin removed (the
        # payload's status says which).
        _emit(participant, EventType.PARTICIPANT_REMOVED)
    return participant


def participant_remove(*, participant: Participant, actor: User | None) -> Participant:
    if participant.status == Participant.Status.REMOVED:
        raise ValidationError(_("This participant was already removed."))
    with tally_track([participant.pk]):
        participant.status = Participant.Status.REMOVED
        participant.status_changed_at = timezone.now()
        participant.save(update_fields=["status", *TOUCHED])
        kernel.audit_record(
            organization=participant.organization,
            action=AuditEvent.Action.PARTICIPANT_REMOVED,
            summary=f"{participant.email} removed from {participant.program.name}",
            actor=actor,
        )
        _emit(participant, EventType.PARTICIPANT_REMOVED)
    return participant


def participants_link_membership(*, membership: Membership) -> int:
    """Attach the rows that waited for this person by email (imports, invitations)."""
    waiting = Participant.objects.filter(
        email__iexact=membership.user.email, membership__isnull=True
    )
    with transaction.atomic():
        ids = list(waiting.values_list("pk", flat=True))
        if not ids:
            return 0
        linked = Participant.objects.filter(pk__in=ids).update(
            membership=membership, updated_at=timezone.now()
        )
        # The API shows the link (member_id).
        participants_emit(
            organization=membership.organization,
            event_type=EventType.PARTICIPANT_UPDATED,
            participant_ids=ids,
        )
    return linked


def participants_apply_directory(
    *, membership: Membership, attributes: dict[str, Any]
) -> list[Participant]:
    """The organisation's directory (SSO, SCIM) says something new of a member: their records
    in programs that are not closed take it, so matching reads today's department, title,
    manager and level. A department change is audited like any other. Records that already
    say it are left alone (no write, no event)."""
    allowed = {"department", "title", "manager_email", "level"}
    values = {k: v for k, v in attributes.items() if k in allowed and v is not None}
    if not values:
        return []
    participants = [
        participant
        for participant in Participant.objects.select_related("program")
        .filter(membership=membership)
        .exclude(program__status=Program.Status.CLOSED)
        if any(getattr(participant, field) != value for field, value in values.items())
    ]
    if not participants:
        return []
    with tally_track([p.pk for p in participants]):
        for participant in participants:
            before = participant.department
            for field, value in values.items():
                setattr(participant, field, value)
            participant.full_clean(exclude=["organization", "program", "membership"])
            participant.save(update_fields=[*values, "updated_at"])
            department_changes_audit(
                program=participant.program,
                changes=[(participant.full_name, before, participant.department)],
                actor=None,
            )
        participants_emit(
            organization=membership.organization,
            event_type=EventType.PARTICIPANT_UPDATED,
            participant_ids=[p.pk for p in participants],
        )
    return participants
