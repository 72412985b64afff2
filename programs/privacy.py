"""Personal data of one participant: the export of everything held about them, and erasure.

Erasure removes or anonymises what says who the person is and keeps what the figures count:
the participant row stays (side and department, which the dashboards and weekly totals group
by), as do the dates and minutes of their sessions, their ratings and progress, their
invitations (response rates) and their answers to surveys by name, unlinked. Anonymous answers
have no link to anyone (see ``feedback.models``): they can be neither exported nor erased
person by person, and the export says so.

Unlike the rest of ``programs``, this module reads and writes the rows of ``pairings`` and
``feedback`` that belong to a participant: a person's data spans every app, and one module
that sees all of it is what lets one transaction erase it and one test prove nothing is left.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from feedback.models import Answer, Concern, PendingResponse, Question, SurveyResponse
from mentorship import services as kernel
from mentorship.models import AuditEvent, Invitation, Membership, Notification, User
from pairings.models import MatchRun, Meeting, Pairing, PairingEvent, SessionLog
from pairings.selectors import LIVE_STATUSES
from programs.models import ImportJob, LearningObjective, Participant

EXPORT_FORMAT = "reverse-mentoring/personal-data"
EXPORT_VERSION = 1

# RFC 2606 reserves .invalid: such an address can never reach anyone. A subdomain, because
# Django's email validation (run again when a row is edited) wants a dot in the domain.
ERASED_DOMAIN = "erased.invalid"
ERASED_FIRST_NAME = "Erased"
ERASED_LAST_NAME = "participant"
ERASED_NAME = f"{ERASED_FIRST_NAME} {ERASED_LAST_NAME}"

ANONYMOUS_ANSWERS_NOTE = (
    "Answers to anonymous surveys are stored without any link to the person who gave them: no "
    "user, membership, participant or invitation is recorded with them. They therefore cannot "
    "be found, exported or erased for one person. The survey invitations listed here only say "
    "whether this person answered."
)

# Audit events about a person's account rather than one participation. While the organisation
# still knows the address (an account, or a place in another program), they keep it, as the
# account does; the erasure of someone known only through this participation rewrites them too.
ACCOUNT_ACTIONS = (
    AuditEvent.Action.INVITATION_SENT,
    AuditEvent.Action.INVITATION_REVOKED,
    AuditEvent.Action.INVITATION_ACCEPTED,
    AuditEvent.Action.ROLES_CHANGED,
    AuditEvent.Action.MEMBER_REMOVED,
    AuditEvent.Action.LOGIN_SUCCEEDED,
    AuditEvent.Action.LOGIN_FAILED,
)

SESSION_TEXTS = ["taught", "learned", "shared_notes", "private_notes"]


def erased_email(participant: Participant) -> str:
    """The address an erased row carries: unique (the row's id), and never deliverable."""
    return f"erased-{participant.pk}@{ERASED_DOMAIN}"


def participant_is_erased(participant: Participant) -> bool:
    return participant.email == erased_email(participant)


def participant_live_pairings(*, participant: Participant) -> list[Pairing]:
    """Running pairs (proposed, confirmed or active) of the participant: they end first, on
    the pair's page, so the partner is told and upcoming meetings are cancelled as usual."""
    return list(
        Pairing.objects.filter(Q(mentor=participant) | Q(mentee=participant))
        .filter(status__in=LIVE_STATUSES)
        .select_related("mentor", "mentee")
        .order_by("created_at", "id")
    )


# --- Export ---------------------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _participant_row(p: Participant) -> dict[str, Any]:
    return {
        "id": p.pk,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "email": p.email,
        "side": p.side,
        "department": p.department,
        "title": p.title,
        "level": p.level,
        "manager_email": p.manager_email,
        "timezone": p.timezone,
        "availability": p.availability,
        "bio": p.bio,
        "status": p.status,
        "training_done": p.training_done,
        "matched": p.matched,
        "created_at": _iso(p.created_at),
        "status_changed_at": _iso(p.status_changed_at),
        "topics_offered": sorted(t.name for t in p.offers.all()),
        "topics_wanted": sorted(t.name for t in p.wants.all()),
    }


def _objectives(p: Participant) -> list[dict[str, Any]]:
    return [
        {
            "topic": o.topic.name,
            "success_criteria": o.success_criteria,
            "target_date": _iso(o.target_date),
            "baseline_rating": o.baseline_rating,
            "progress": o.progress,
            "final_rating": o.final_rating,
            "created_at": _iso(o.created_at),
            "updated_at": _iso(o.updated_at),
        }
        for o in LearningObjective.objects.filter(participant=p)
        .select_related("topic")
        .order_by("created_at", "id")
    ]


def _pairings(p: Participant, user: User | None) -> list[dict[str, Any]]:
    """Their pairs: the partner's name only; events, meetings, and the sessions this person
    logged. The partner's logs and notes are the partner's, and a confidential exit request
    is shown only to its author (and HR admins)."""
    own_logs = SessionLog.objects.filter(author=p).prefetch_related("topics", "objectives__topic")
    pairings = (
        Pairing.objects.filter(Q(mentor=p) | Q(mentee=p))
        .select_related("mentor", "mentee")
        .prefetch_related(
            "events",
            "meetings",
            Prefetch("session_logs", queryset=own_logs.order_by("date", "id"), to_attr="own"),
        )
        .order_by("created_at", "id")
    )
    rows = []
    for pairing in pairings:
        mine = pairing.mentor_id == p.pk
        by_me = user is not None and pairing.exit_requested_by_id == user.pk
        rows.append(
            {
                "role": "reverse mentor (junior)" if mine else "reverse mentee (senior)",
                "partner": (pairing.mentee if mine else pairing.mentor).full_name,
                "status": pairing.status,
                "created_at": _iso(pairing.created_at),
                "agreement_accepted_at": _iso(
                    pairing.mentor_accepted_at if mine else pairing.mentee_accepted_at
                ),
                "last_met_at": _iso(pairing.last_met_at),
                "exit_requested_at": _iso(pairing.exit_requested_at) if by_me else None,
                "events": _events(pairing, user),
                "meetings": [
                    {
                        "starts_at": _iso(m.starts_at),
                        "duration_minutes": m.duration_minutes,
                        "location": m.location,
                        "cancelled_at": _iso(m.cancelled_at),
                        "cancelled_by_side": m.cancelled_by_side,
                    }
                    for m in pairing.meetings.all()
                ],
                "session_logs": [
                    {
                        "date": _iso(log.date),
                        "minutes": log.minutes,
                        "topics": sorted(t.name for t in log.topics.all()),
                        "objectives": sorted(o.topic.name for o in log.objectives.all()),
                        "taught": log.taught,
                        "learned": log.learned,
                        "shared_notes": log.shared_notes,
                        "private_notes": log.private_notes,
                        "created_at": _iso(log.created_at),
                    }
                    for log in pairing.own
                ],
            }
        )
    return rows


def _events(pairing: Pairing, user: User | None) -> list[dict[str, Any]]:
    """The pair's history. Notes are shown for the person's own events only; a confidential
    event (an exit request) only when it is theirs."""
    rows = []
    for event in pairing.events.all():
        own = user is not None and event.actor_id == user.pk
        if event.confidential and not own:
            continue
        rows.append(
            {
                "status": event.status,
                "at": _iso(event.created_at),
                "by_this_person": own,
                "note": event.note if own else "",
            }
        )
    return rows


def _surveys(p: Participant) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    invitations = [
        {"survey": i.cycle.title, "anonymous": i.cycle.anonymous, "answered": i.answered}
        for i in p.survey_invitations.select_related("cycle").order_by("cycle__opens_at", "id")
    ]
    attributed = []
    responses = (
        SurveyResponse.objects.filter(attributed_to=p)
        .select_related("cycle")
        .prefetch_related("answers__question")
        .order_by("submitted_on", "cycle__opens_at", "cycle_id")
    )
    for response in responses:
        answers = sorted(response.answers.all(), key=lambda a: (a.question.position, a.pk))
        attributed.append(
            {
                "survey": response.cycle.title,
                "submitted_on": _iso(response.submitted_on),
                "answers": [
                    {
                        "question": a.question.text,
                        "answer": a.number if a.number is not None else (a.choices or a.text),
                    }
                    for a in answers
                ],
            }
        )
    return invitations, attributed


def _account(membership: Membership | None) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The member's basics and their inbox in this organisation (the only one in scope)."""
    if membership is None:
        return None, []
    user = membership.user
    account = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "roles": [role.label for role in membership.roles],
        "member_since": _iso(membership.created_at),
        "removed_at": _iso(membership.removed_at),
    }
    notifications = [
        {
            "subject": n.subject,
            "body": n.body,
            "url": n.url,
            "created_at": _iso(n.created_at),
            "read_at": _iso(n.read_at),
        }
        for n in Notification.objects.filter(recipient=user).order_by("created_at", "id")
    ]
    return account, notifications


def participant_data(*, participant: Participant) -> dict[str, Any]:
    """Everything held about the participant in this organisation, JSON-ready: dates in ISO
    8601, lists in a fixed order (serialise with ``sort_keys`` for a fixed key order). After
    erasure, only the anonymised row is left to show."""
    program = participant.program
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _iso(timezone.now()),
        "organization": participant.organization.name,
        "program": program.name,
        "note": ANONYMOUS_ANSWERS_NOTE,
        "participant": _participant_row(participant),
        "erased": participant_is_erased(participant),
    }
    if data["erased"]:
        return data
    membership = participant.membership
    invitations, attributed = _surveys(participant)
    account, notifications = _account(membership)
    data.update(
        {
            "learning_objectives": _objectives(participant),
            "training_completions": [
                {"module": c.module.title, "completed_at": _iso(c.completed_at)}
                for c in participant.completions.select_related("module").order_by(
                    "completed_at", "id"
                )
            ],
            "pairings": _pairings(participant, membership.user if membership else None),
            "concerns_raised": [
                {
                    "kind": c.get_kind_display(),
                    "text": c.text,
                    "created_at": _iso(c.created_at),
                    "resolved_at": _iso(c.resolved_at),
                }
                for c in Concern.objects.filter(participant=participant).order_by(
                    "created_at", "id"
                )
            ],
            "survey_invitations": invitations,
            "survey_answers_by_name": attributed,
            "account": account,
            "notifications": notifications,
        }
    )
    return data


def participant_data_export(*, participant: Participant, actor: User) -> dict[str, Any]:
    """The export, audited. The event names the row by id only: an export is often the step
    before an erasure, and the audit trail must not keep the name that erasure removes."""
    data = participant_data(participant=participant)
    kernel.audit_record(
        organization=participant.organization,
        action=AuditEvent.Action.PERSONAL_DATA_EXPORTED,
        summary=f"Personal data of participant #{participant.pk} in "
        f"{participant.program.name} exported",
        actor=actor,
    )
    return data


# --- Erasure --------------------------------------------------------------------------------------


class _Mentions:
    """Finds and replaces a person's addresses and full names in other rows' text.

    Whole names and addresses only: "Al Bo" must not rewrite "casual board", nor "jo@x.org"
    "bojo@x.org". The database narrows the rows (a case-insensitive substring), Python decides.
    A surname written alone, or a first name, cannot be told from other words and stays."""

    def __init__(self, *, emails: Iterable[str], names: Iterable[str], email_to: str) -> None:
        needles = [(e, email_to) for e in dict.fromkeys(emails)]
        needles += [(n, ERASED_NAME) for n in dict.fromkeys(names)]
        # Very short needles would rewrite unrelated words.
        self.needles = [(needle, new) for needle, new in needles if len(needle.strip()) >= 3]
        self.patterns = [
            (re.compile(rf"(?<![\w.+-]){re.escape(needle)}(?![\w-]|\.\w)", re.IGNORECASE), new)
            for needle, new in self.needles
        ]

    def query(self, fields: Iterable[str]) -> Q:
        return reduce(
            or_,
            (Q(**{f"{f}__icontains": needle}) for f in fields for needle, _ in self.needles),
            Q(pk__in=[]),
        )

    def text(self, value: str) -> str:
        for pattern, new in self.patterns:
            value = pattern.sub(new, value)
        return value

    def data(self, value: Any) -> Any:
        """The same replacement inside a JSON value."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): self.data(v) for k, v in value.items()}
        return value

    def rewrite(self, rows: QuerySet[Any], fields: list[str]) -> int:
        """Replace the mentions in these text fields of the rows that have one."""
        changed = []
        for row in rows.filter(self.query(fields)).only("pk", *fields):
            old = [getattr(row, f) for f in fields]
            for f, value in zip(fields, old, strict=True):
                setattr(row, f, self.text(value))
            if [getattr(row, f) for f in fields] != old:
                changed.append(row)
        rows.model.objects.bulk_update(changed, fields, batch_size=500)
        return len(changed)

    def rewrite_data(self, rows: QuerySet[Any], field: str) -> int:
        """The same for a JSON field, read in Python (databases store JSON text differently)."""
        changed = []
        for row in rows.only("pk", field):
            value = getattr(row, field)
            new = self.data(value)
            if new != value:
                setattr(row, field, new)
                changed.append(row)
        rows.model.objects.bulk_update(changed, [field], batch_size=100)
        return len(changed)


def _known_elsewhere(participant: Participant) -> bool:
    """Whether the organisation knows this address apart from this row: an account (even a
    removed member's: the account keeps it) or a place in another program."""
    if participant.membership_id is not None:
        return True
    email = participant.email
    return (
        Participant.objects.filter(email__iexact=email).exclude(pk=participant.pk).exists()
        or Membership.objects.filter(user__email__iexact=email).exists()
    )


def _erase_own_records(p: Participant, pairings: QuerySet[Pairing], user: User | None) -> None:
    """Blank what the person wrote; keep the rows the figures count."""
    SessionLog.objects.filter(author=p).update(**dict.fromkeys(SESSION_TEXTS, ""))
    LearningObjective.objects.filter(participant=p).update(success_criteria="")
    Concern.objects.filter(participant=p).update(text="")
    if user is not None:
        PairingEvent.objects.filter(pairing__in=pairings, actor=user).update(note="")
    # Answers by name become like anonymous ones: counted, linked to nobody, without free text
    # (text that names a choice, as one-choice questions store it, stays: it is counted).
    by_name = SurveyResponse.objects.filter(attributed_to=p)
    Answer.objects.filter(response__in=by_name, question__kind=Question.Kind.TEXT).update(text="")
    by_name.update(attributed_to=None)


def _rewrite_mentions(
    p: Participant, pairings: QuerySet[Pairing], user: User | None, known_elsewhere: bool
) -> None:
    """Replace their address and name where others' rows mention them: the partner's logs and
    the pair's history, the program's texts and matching proposals, inboxes, audit events."""
    emails = [p.email] + ([user.email] if user else [])
    names = [p.full_name] + ([user.get_full_name()] if user else [])
    mentions = _Mentions(emails=emails, names=names, email_to=erased_email(p))
    program = p.program
    mentions.rewrite(SessionLog.objects.filter(pairing__in=pairings), SESSION_TEXTS)
    mentions.rewrite(PairingEvent.objects.filter(pairing__in=pairings), ["note"])
    mentions.rewrite(Meeting.objects.filter(pairing__in=pairings), ["location"])
    mentions.rewrite(
        LearningObjective.objects.filter(participant__program=program), ["success_criteria"]
    )
    mentions.rewrite(Concern.objects.filter(participant__program=program), ["text"])
    mentions.rewrite(Answer.objects.filter(response__cycle__program=program), ["text"])
    mentions.rewrite_data(PendingResponse.objects.filter(cycle__program=program), "payload")
    mentions.rewrite_data(MatchRun.objects.filter(program=program), "result")
    # Someone else's inbox may name them ("Your proposed mentee is …"); their own is theirs.
    inboxes = Notification.objects.exclude(recipient=user) if user else Notification.objects
    mentions.rewrite(inboxes.all(), ["subject", "body"])
    events = AuditEvent.objects.all()
    if known_elsewhere:
        events = events.exclude(action__in=ACCOUNT_ACTIONS)
    mentions.rewrite(events, ["summary"])
    # Imports of this program not yet confirmed would add them again: their lines go.
    for job in ImportJob.objects.filter(program=program):
        rows = [r for r in job.rows if str(r.get("email", "")).lower() != p.email.lower()]
        errors, summary = mentions.data(job.errors), mentions.data(job.summary)
        if (rows, errors, summary) != (job.rows, job.errors, job.summary):
            job.total -= len(job.rows) - len(rows)
            job.rows, job.errors, job.summary = rows, errors, summary
            job.save(update_fields=["rows", "errors", "summary", "total"])


def _forget_address(p: Participant) -> None:
    """For someone the organisation knows only through this row: their invitation to join is
    withdrawn, and the address goes from invitations and others' reporting lines."""
    email, replacement = p.email, erased_email(p)
    Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    Invitation.objects.filter(email__iexact=email).update(email=replacement)
    Participant.objects.filter(manager_email__iexact=email).update(manager_email=replacement)


def _anonymise_row(p: Participant) -> None:
    """Side and department stay: the dashboards, weekly totals and survey groups count by them.
    Level and time zone go back to their defaults: nothing counts by them, and with a
    department they can single a person out."""
    blank = {
        "first_name": ERASED_FIRST_NAME,
        "last_name": ERASED_LAST_NAME,
        "email": erased_email(p),
        "title": "",
        "manager_email": "",
        "availability": "",
        "bio": "",
        "level": Participant._meta.get_field("level").get_default(),
        "timezone": Participant._meta.get_field("timezone").get_default(),
        "membership": None,
    }
    for field, value in blank.items():
        setattr(p, field, value)
    if p.status != Participant.Status.REMOVED:
        p.status, p.status_changed_at = Participant.Status.REMOVED, timezone.now()
    p.save(update_fields=[*blank, "status", "status_changed_at"])
    p.offers.clear()
    p.wants.clear()


def participant_erase(*, participant: Participant, actor: User) -> Participant:
    """Erase the participant's personal data from the organisation, in one transaction.

    Removed or anonymised: the row's name, address, title, level, manager, time zone,
    availability, bio and topics; the texts of their session logs, objectives, concerns, pair
    history notes and answers by name; mentions of their address or full name in others' rows.
    Kept: side and department, session dates and minutes, ratings and progress, meetings,
    training, invitations, and answers (unlinked). Their account, if they have one, is not
    touched: removing the member is a separate action. A second erasure is refused."""
    with transaction.atomic():
        p = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("program", "membership__user")
            .get(pk=participant.pk)
        )
        if participant_is_erased(p):
            raise ValidationError("This participant's personal data has already been erased.")
        live = participant_live_pairings(participant=p)
        if live:
            raise ValidationError(
                [
                    f"They are still in a running pair with "
                    f"{(x.mentee if x.mentor_id == p.pk else x.mentor).full_name}: "
                    "end the pair first."
                    for x in live
                ]
            )
        user = p.membership.user if p.membership_id else None
        known_elsewhere = _known_elsewhere(p)
        pairings = Pairing.objects.filter(Q(mentor=p) | Q(mentee=p))
        _erase_own_records(p, pairings, user)
        _rewrite_mentions(p, pairings, user, known_elsewhere)
        if not known_elsewhere:
            _forget_address(p)
        _anonymise_row(p)
        kernel.audit_record(
            organization=p.organization,
            action=AuditEvent.Action.PERSONAL_DATA_ERASED,
            summary=f"Participant #{p.pk} erased from {p.program.name}",
            actor=actor,
        )
    participant.refresh_from_db()
    return participant
