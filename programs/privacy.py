"""Personal data of one participant: the export of everything held about them, and erasure.

The export serves two audiences (:class:`Audience`). An HR admin downloads one participant's,
without session content: the design keeps what a pair said in its sessions to the pair, so HR's
export says only when sessions happened and whether each text is held. A member downloads their
own, across their participations in the organisation: their session texts and private notes, and
the texts their partner shared with them, never the partner's private notes.

Erasure removes or anonymises what says who the person is and keeps what the figures count:
the participant row stays (side and department, which the dashboards and weekly totals group
by), as do the dates and minutes of their sessions, their ratings and progress, their
invitations (response rates) and their answers to surveys by name, unlinked. Anonymous answers
have no link to anyone (see ``feedback.models``): they can be neither exported nor erased
person by person, and the export says so.

A person's data spans every app, but ``programs`` imports neither ``pairings`` nor
``feedback``: this module holds the orchestration and the rows of ``programs`` and the kernel,
and each higher app registers a :class:`PersonalDataContributor` (from its ``AppConfig.ready``)
for its own rows. One function still drives it all, so one transaction erases everything and one
test proves nothing is left.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Q, QuerySet
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mentorship import services as kernel
from mentorship.events.models import EventType
from mentorship.models import (
    AuditEvent,
    Invitation,
    Membership,
    Notification,
    Organization,
    User,
)
from programs.fields import PARTICIPANT_FIELDS
from programs.models import ImportJob, LearningObjective, Participant
from programs.services.webhooks import participants_emit
from programs.tallies import tally_track

EXPORT_FORMAT = "reverse-mentoring/personal-data"
# 2: session logs say whether a private note is held (``private_notes_held``), not its text.
# 3: an ``audience``; HR's session logs hold no text at all (``taught_held``, ``learned_held``,
#    ``shared_notes_held``, ``private_notes_held``); the member's own export, "participations".
# 4: the member's own export has the membership's rows at the top (``busy_calendar``); pairs
#    list ``proposed_times``; HR's session logs no longer carry the answer about the plan.
EXPORT_VERSION = 4


class Audience(StrEnum):
    """Who downloads an export: the contributors leave out what that reader may not read."""

    HR = "hr"  # an HR admin, about one participant: no session content
    SELF = "self"  # the person themselves: their own texts, and what their partner shared


# RFC 2606 reserves .invalid: such an address can never reach anyone. A subdomain, because
# Django's email validation (run again when a row is edited) wants a dot in the domain.
ERASED_DOMAIN = "erased.invalid"
ERASED_FIRST_NAME = "Erased"
ERASED_LAST_NAME = "participant"
ERASED_NAME = f"{ERASED_FIRST_NAME} {ERASED_LAST_NAME}"

ANONYMOUS_ANSWERS_NOTE = gettext_lazy(  # lazy: in the language of whoever downloads the export
    "Answers to anonymous surveys are stored without any link to the person who gave them: no "
    "user, membership, participant or invitation is recorded with them. They therefore cannot "
    "be found, exported or erased for one person. The survey invitations listed here say "
    "whether this person answered only for surveys by name, and notifications about surveys "
    "are left out: for an anonymous survey, who answered or was reminded is theirs to know."
)

SELF_NOTE = gettext_lazy(
    "Your own private notes on your sessions are in this file. Your partners' private notes are "
    "theirs alone and are not; what they taught, learned and shared with you is. Your answers to "
    "anonymous surveys are stored without any link to you: no user, membership, participant or "
    "invitation is recorded with them, so they cannot be found or exported for you. The survey "
    "invitations listed here say which surveys you were asked to answer, never what you "
    "answered anonymously."
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
    AuditEvent.Action.ORGANIZATION_ENTERED,
)


def erased_email(participant: Participant) -> str:
    """The address an erased row carries: unique (the row's id), and never deliverable."""
    return f"erased-{participant.pk}@{ERASED_DOMAIN}"


def participant_is_erased(participant: Participant) -> bool:
    return participant.email == erased_email(participant)


# --- Other apps' rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureBlocker:
    """Why erasure is refused now (``reason``, a sentence), and the page where it is put right
    (``url``, optional)."""

    reason: str
    url: str = ""


@dataclass(frozen=True)
class PersonalDataContributor:
    """What a higher app (``pairings``, ``feedback``) holds about a participant, and how it is
    exported and erased. ``user`` is the participant's account in this organisation, or None.

    - ``blockers(participant)``: reasons erasure is refused now (empty: it may go ahead).
    - ``export(participant, user, audience)``: the top-level keys this app adds to the export,
      leaving out what that :class:`Audience` may not read.
    - ``erase(participant, user)``: blank what the person wrote in this app's rows, keeping the
      rows the figures count.
    - ``rewrite_mentions(participant, user, mentions)``: replace their address and full name in
      others' rows of this app.
    - ``member_export(membership)`` (optional): the top-level keys this app adds to the
      member's own export (:func:`member_data`), for rows of the membership rather than of one
      participation (a member in no program has them too).

    ``erase`` and ``rewrite_mentions`` run inside the transaction of :func:`participant_erase`,
    with the participant's row locked; they must not open one of their own that commits.
    ``name`` is the contributing app's label: :func:`apps_without_a_contributor` checks that
    every app holding rows about participants has one."""

    name: str
    blockers: Callable[[Participant], list[ErasureBlocker]]
    export: Callable[[Participant, User | None, Audience], dict[str, Any]]
    erase: Callable[[Participant, User | None], None]
    rewrite_mentions: Callable[[Participant, User | None, Mentions], None]
    member_export: Callable[[Membership], dict[str, Any]] | None = None


_contributors: dict[str, PersonalDataContributor] = {}


def register_personal_data(contributor: PersonalDataContributor) -> None:
    """Add (or replace) the contributor of that name: calling it again from a second
    ``ready()`` changes nothing."""
    _contributors[contributor.name] = contributor


def apps_without_a_contributor() -> list[str]:
    """Installed apps (other than ``programs``) with a model that points at a participant but no
    registered contributor (contributors are named by their app's label). Export and erasure
    refuse to run while there is one: they would silently leave that app's rows out."""
    holders = {
        model._meta.app_label
        for model in django_apps.get_models()
        if model._meta.app_label != Participant._meta.app_label
        for f in model._meta.get_fields()
        if (f.many_to_one or f.one_to_one or f.many_to_many)
        and not f.auto_created
        and f.related_model is Participant
    }
    return sorted(holders - set(_contributors))


def _require_every_contributor() -> None:
    missing = apps_without_a_contributor()
    if missing:
        raise ImproperlyConfigured(
            f"No personal-data contributor registered for {', '.join(missing)}: their rows would "
            "be left out of exports and erasures (register one from the app's ready())."
        )


def personal_data_contributors() -> list[PersonalDataContributor]:
    """The registered contributors, in registration order (the order of INSTALLED_APPS)."""
    return list(_contributors.values())


def participant_erase_blockers(participant: Participant) -> list[ErasureBlocker]:
    """Every reason the participant cannot be erased now; empty when they can."""
    return [b for c in personal_data_contributors() for b in c.blockers(participant)]


# --- Export ---------------------------------------------------------------------------------------


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _participant_row(p: Participant) -> dict[str, Any]:
    return {
        "id": p.pk,
        "email": p.email,
        **{name: getattr(p, name) for name in PARTICIPANT_FIELDS},
        "status": p.status,
        "training_done": p.training_done,
        "matched": p.matched,
        "created_at": iso(p.created_at),
        "status_changed_at": iso(p.status_changed_at),
        "topics_offered": sorted(t.name for t in p.offers.all()),
        "topics_wanted": sorted(t.name for t in p.wants.all()),
    }


def _objectives(p: Participant) -> list[dict[str, Any]]:
    return [
        {
            "topic": o.topic.name,
            "success_criteria": o.success_criteria,
            "target_date": iso(o.target_date),
            "baseline_rating": o.baseline_rating,
            "progress": o.progress,
            "final_rating": o.final_rating,
            "created_at": iso(o.created_at),
            "updated_at": iso(o.updated_at),
        }
        for o in LearningObjective.objects.filter(participant=p)
        .select_related("topic")
        .order_by("created_at", "id")
    ]


def _about_a_survey(url: str) -> bool:
    """Whether a notification links to a survey to answer. By URL name, not by prefix: the
    link keeps the organisation's slug of the day it was sent, and a slug can be renamed
    (programs may not import feedback, so the name is how it knows the page)."""
    try:
        return resolve(urlsplit(url).path).url_name == "survey_answer"
    except Resolver404:
        return False


def _account(
    membership: Membership | None, audience: Audience
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The member's basics and their inbox in this organisation (the only one in scope). For
    HR admins, without the notifications about surveys: a reminder says who had not answered
    an anonymous survey, and that is the person's alone to know."""
    if membership is None:
        return None, []
    user = membership.user
    account = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "roles": [str(role.label) for role in membership.roles],
        "member_since": iso(membership.created_at),
        "removed_at": iso(membership.removed_at),
    }
    notifications = [
        {
            "subject": n.subject,
            "body": n.body,
            "url": n.url,
            "created_at": iso(n.created_at),
            "read_at": iso(n.read_at),
        }
        for n in Notification.objects.filter(recipient=user).order_by("created_at", "id")
        if audience == Audience.SELF or not _about_a_survey(n.url)
    ]
    return account, notifications


# Keys of the export's frame: a contributor's part may not take them.
_FRAME_KEYS = frozenset(
    {"format", "version", "audience", "exported_at", "organization", "note", "program"}
    | {"account", "notifications", "participations"}
)


def _frame(organization: Organization, audience: Audience, note: Any) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "audience": audience.value,
        "exported_at": iso(timezone.now()),
        "organization": organization.name,
        "note": str(note),
    }


def _participation(p: Participant, user: User | None, audience: Audience) -> dict[str, Any]:
    """One participation: the row and, unless it was erased, objectives, training and every
    contributor's part for that audience."""
    data: dict[str, Any] = {"participant": _participant_row(p), "erased": participant_is_erased(p)}
    if data["erased"]:
        return data
    data["learning_objectives"] = _objectives(p)
    data["training_completions"] = [
        {"module": c.module.title, "completed_at": iso(c.completed_at)}
        for c in p.completions.select_related("module").order_by("completed_at", "id")
    ]
    for contributor in personal_data_contributors():
        _add_part(data, contributor, contributor.export(p, user, audience))
    return data


def _add_part(data: dict[str, Any], contributor: PersonalDataContributor, part: dict) -> None:
    if clash := (data.keys() | _FRAME_KEYS) & part.keys():
        raise RuntimeError(f"{contributor.name} exports keys already taken: {sorted(clash)}")
    data.update(part)


def participant_data(*, participant: Participant) -> dict[str, Any]:
    """Everything held about the participant in this organisation that an HR admin may read
    (:attr:`Audience.HR`: no session content), JSON-ready: dates in ISO 8601, lists in a fixed
    order (serialise with ``sort_keys`` for a fixed key order). After erasure, only the
    anonymised row is left to show."""
    _require_every_contributor()
    membership = participant.membership
    user = membership.user if membership else None
    data = _frame(participant.organization, Audience.HR, ANONYMOUS_ANSWERS_NOTE)
    data["program"] = participant.program.name
    data.update(_participation(participant, user, Audience.HR))
    if not data["erased"]:
        data["account"], data["notifications"] = _account(membership, Audience.HR)
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


def member_data(*, membership: Membership) -> dict[str, Any]:
    """Everything held about the member in this organisation, for the member themselves
    (:attr:`Audience.SELF`): their account and inbox, and each of their participations. The
    person is the membership (the signed-in one, in the views): there is no id to pass, so no
    way to ask for someone else's. A member in no program gets their account, the
    contributors' rows of the membership (``member_export``) and no participation."""
    _require_every_contributor()
    participants = (
        Participant.objects.filter(membership=membership)
        .select_related("program", "organization")
        .prefetch_related("offers", "wants")
        .order_by("created_at", "id")
    )
    data = _frame(membership.organization, Audience.SELF, SELF_NOTE)
    data["account"], data["notifications"] = _account(membership, Audience.SELF)
    data["participations"] = [
        {"program": p.program.name, **_participation(p, membership.user, Audience.SELF)}
        for p in participants
    ]
    for contributor in personal_data_contributors():
        if contributor.member_export is not None:
            _add_part(data, contributor, contributor.member_export(membership))
    return data


def member_data_export(*, membership: Membership) -> dict[str, Any]:
    """The member's own export, audited like HR's (by id only, for the same reason)."""
    data = member_data(membership=membership)
    kernel.audit_record(
        organization=membership.organization,
        action=AuditEvent.Action.PERSONAL_DATA_EXPORTED,
        summary=f"Member #{membership.pk} exported their own personal data "
        f"({len(data['participations'])} participation(s))",
        actor=membership.user,
    )
    return data


# --- Erasure --------------------------------------------------------------------------------------


class Mentions:
    """Finds and replaces a person's addresses and full names in other rows' text (the
    contributors of other apps get one, to rewrite their own rows).

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


def _erase_own_records(p: Participant) -> None:
    """Blank what the person wrote; keep the rows the figures count."""
    LearningObjective.objects.filter(participant=p).update(success_criteria="")


def _rewrite_mentions(
    p: Participant, user: User | None, mentions: Mentions, known_elsewhere: bool
) -> None:
    """Replace their address and name where others' rows mention them: the program's texts,
    inboxes, audit events (the contributors do the pairs, matching proposals and surveys)."""
    program = p.program
    mentions.rewrite(
        LearningObjective.objects.filter(participant__program=program), ["success_criteria"]
    )
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
        "weekly_availability": [],
        "bio": "",
        "level": Participant._meta.get_field("level").get_default(),
        "timezone": Participant._meta.get_field("timezone").get_default(),
        "membership": None,
    }
    for field, value in blank.items():
        setattr(p, field, value)
    was_removed = p.status == Participant.Status.REMOVED
    if not was_removed:
        p.status, p.status_changed_at = Participant.Status.REMOVED, timezone.now()
    p.save(update_fields=[*blank, "status", "status_changed_at", "updated_at"])
    p.offers.clear()
    p.wants.clear()
    # Systems synced through the API or webhooks hold a copy: they learn of the erasure (the
    # payload is the erased row) so that they can erase theirs.
    participants_emit(
        organization=p.organization,
        event_type=EventType.PARTICIPANT_UPDATED if was_removed else EventType.PARTICIPANT_REMOVED,
        participant_ids=[p.pk],
    )


def participant_erase(*, participant: Participant, actor: User) -> Participant:
    """Erase the participant's personal data from the organisation, in one transaction.

    Removed or anonymised: the row's name, address, title, level, manager, time zone,
    weekly availability and its note, bio and topics; the texts of their session logs,
    objectives, concerns, pair history notes and answers by name; mentions of their address or
    full name in others' rows.
    Kept: side and department, session dates and minutes, ratings and progress, meetings,
    training, invitations, and answers (unlinked). Their account, if they have one, is not
    touched: removing the member is a separate action. A second erasure is refused, and so is
    one a contributor blocks (a running pair ends first).

    The registered contributors blank and rewrite their apps' rows inside this transaction:
    if any step fails, nothing is erased."""
    _require_every_contributor()
    with tally_track([participant.pk]):  # removed: the dashboards' totals follow
        p = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("program", "membership__user")
            .get(pk=participant.pk)
        )
        if participant_is_erased(p):
            raise ValidationError(_("This participant's personal data has already been erased."))
        blockers = participant_erase_blockers(p)
        if blockers:
            raise ValidationError([b.reason for b in blockers])
        user = p.membership.user if p.membership_id else None
        known_elsewhere = _known_elsewhere(p)
        contributors = personal_data_contributors()
        _erase_own_records(p)
        for contributor in contributors:
            contributor.erase(p, user)
        emails = [p.email] + ([user.email] if user else [])
        names = [p.full_name] + ([user.get_full_name()] if user else [])
        mentions = Mentions(emails=emails, names=names, email_to=erased_email(p))
        _rewrite_mentions(p, user, mentions, known_elsewhere)
        for contributor in contributors:
            contributor.rewrite_mentions(p, user, mentions)
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
