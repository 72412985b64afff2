"""Writes of the feedback app: templates, cycles, their dispatch, and answers.

Every step of the dispatch is idempotent like the meeting reminders: a cycle opens, closes and
spawns its next round through compare-and-set updates, and each invitation's send and reminder
is claimed on its row before the notification is made (in the same transaction).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from feedback.library import BUILTIN_TEMPLATES
from feedback.models import (
    Answer,
    FeedbackCycle,
    PendingResponse,
    Question,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
    TemplateVersion,
    TopicRating,
)
from feedback.summaries import summarize_cycles
from mentorship import services as kernel
from mentorship.models import Organization, User
from mentorship.tenancy import tenant_scope
from programs.models import Participant, Program, Side

# --- Templates -----------------------------------------------------------------------------------


def templates_ensure_builtin(*, organization: Organization) -> list[SurveyTemplate]:
    """The built-in templates of the organisation, created once (idempotent)."""
    existing = {t.builtin_key: t for t in SurveyTemplate.objects.exclude(builtin_key="")}
    for key, spec in BUILTIN_TEMPLATES.items():
        if key in existing:
            continue
        with transaction.atomic():
            template = SurveyTemplate.objects.create(
                organization=organization,
                name=spec["name"],
                description=spec["description"],
                builtin_key=key,
                attributed_by_default=spec["attributed"],
            )
            version = TemplateVersion.objects.create(
                organization=organization, template=template, number=1
            )
            Question.objects.bulk_create(
                Question(
                    organization=organization,
                    version=version,
                    position=n,
                    text=text,
                    kind=kind,
                    required=required,
                    choices=choices,
                )
                for n, (text, kind, required, choices) in enumerate(spec["questions"])
            )
        existing[key] = template
    return list(existing.values())


def template_version_for_edit(*, template: SurveyTemplate) -> TemplateVersion:
    """The version to edit: the latest if no cycle uses it yet, else a new copy, so past
    answers always keep the questions they answered."""
    latest = template.versions.order_by("-number").first()
    if latest is not None and not latest.cycles.exists():
        return latest
    with transaction.atomic():
        version = TemplateVersion.objects.create(
            organization=template.organization,
            template=template,
            number=(latest.number + 1) if latest else 1,
        )
        if latest is not None:
            Question.objects.bulk_create(
                Question(
                    organization=template.organization,
                    version=version,
                    position=q.position,
                    text=q.text,
                    kind=q.kind,
                    required=q.required,
                    choices=q.choices,
                )
                for q in latest.questions.all()
            )
    return version


# --- Cycles --------------------------------------------------------------------------------------


def cycle_create_for_closed_program(
    *, program: Program, template: SurveyTemplate, opens_at: datetime
) -> FeedbackCycle:
    """The one survey a closed program still runs: its end-of-program survey (idempotent)."""
    existing = program.feedback_cycles.filter(version__template=template).first()
    if existing is not None:
        FeedbackCycle.objects.filter(
            pk=existing.pk, status=FeedbackCycle.Status.SCHEDULED, opens_at__gt=opens_at
        ).update(opens_at=opens_at)
        existing.refresh_from_db()
        return existing
    return FeedbackCycle.objects.create(
        organization=program.organization,
        program=program,
        version=template.versions.order_by("-number").first(),
        title=template.name,
        anonymous=not template.attributed_by_default,
        opens_at=opens_at,
        open_days=14,
        remind_after_days=7,
    )


def cycle_create(
    *,
    program: Program,
    template: SurveyTemplate,
    opens_at: datetime,
    title: str = "",
    audience: str = FeedbackCycle.Audience.BOTH,
    repeat_weeks: int = 0,
    open_days: int = 7,
    remind_after_days: int = 4,
    anonymous: bool | None = None,
) -> FeedbackCycle:
    if program.status == Program.Status.CLOSED or program.archived_at:
        raise ValidationError("This program has ended: it cannot run new surveys.")
    if remind_after_days >= open_days:
        raise ValidationError("The reminder must go out before the survey closes.")
    version = template.versions.order_by("-number").first()
    if version is None or not version.questions.exists():
        raise ValidationError("This template has no questions yet.")
    cycle = FeedbackCycle(
        organization=program.organization,
        program=program,
        version=version,
        title=title or template.name,
        audience=audience,
        repeat_weeks=repeat_weeks,
        open_days=open_days,
        remind_after_days=remind_after_days,
        anonymous=not template.attributed_by_default if anonymous is None else anonymous,
        opens_at=opens_at,
    )
    cycle.full_clean(exclude=["organization", "program", "version", "series"])
    cycle.save()
    return cycle


def _audience(cycle: FeedbackCycle) -> list[Participant]:
    people = cycle.program.participants.filter(status=Participant.Status.APPROVED)
    if cycle.audience == FeedbackCycle.Audience.JUNIORS:
        people = people.filter(side=Side.JUNIOR)
    elif cycle.audience == FeedbackCycle.Audience.SENIORS:
        people = people.filter(side=Side.SENIOR)
    return list(people.select_related("membership__user"))


def closes_at(cycle: FeedbackCycle) -> datetime:
    return (cycle.opened_at or cycle.opens_at) + timedelta(days=cycle.open_days)


def answer_url(organization: Organization, invitation: SurveyInvitation) -> str:
    return reverse(
        "survey_answer", kwargs={"org_slug": organization.slug, "survey_id": invitation.pk}
    )


def _notify(invitation: SurveyInvitation, subject: str, body: str) -> None:
    membership = invitation.participant.membership
    if membership is None or not membership.is_active:
        return
    kernel.notification_send(
        organization=invitation.organization,
        recipient=membership.user,
        subject=subject,
        body=body,
        url=answer_url(invitation.organization, invitation),
    )


def cycles_dispatch(
    *, organization: Organization, now: datetime | None = None, only: FeedbackCycle | None = None
) -> dict[str, int]:
    """Open due cycles (with one invitation per person), send invitations, remind
    non-responders once, close cycles and schedule recurring rounds. Safe to repeat."""
    now = now or timezone.now()
    counts = {"opened": 0, "sent": 0, "reminded": 0, "closed": 0}
    live_programs = Program.objects.exclude(status=Program.Status.CLOSED).filter(
        archived_at__isnull=True
    )
    due = FeedbackCycle.objects.filter(status=FeedbackCycle.Status.SCHEDULED, opens_at__lte=now)
    # Closed programs run no new surveys, except the end-of-program one opened at closing.
    due = due.filter(pk=only.pk) if only is not None else due.filter(program__in=live_programs)
    for cycle in due.select_related("program"):
        with transaction.atomic():
            if FeedbackCycle.objects.filter(
                pk=cycle.pk, status=FeedbackCycle.Status.SCHEDULED
            ).update(status=FeedbackCycle.Status.OPEN, opened_at=now):
                SurveyInvitation.objects.bulk_create(
                    (
                        SurveyInvitation(organization=organization, cycle=cycle, participant=p)
                        for p in _audience(cycle)
                    ),
                    ignore_conflicts=True,
                )
                counts["opened"] += 1

    # People approved after a survey opened are invited too.
    for cycle in FeedbackCycle.objects.filter(status=FeedbackCycle.Status.OPEN, on_demand=False):
        SurveyInvitation.objects.bulk_create(
            (
                SurveyInvitation(organization=organization, cycle=cycle, participant=p)
                for p in _audience(cycle)
            ),
            ignore_conflicts=True,
        )

    for invitation in SurveyInvitation.objects.filter(
        sent_at__isnull=True, cycle__status=FeedbackCycle.Status.OPEN
    ).select_related("cycle", "participant__membership__user"):
        with transaction.atomic():
            if SurveyInvitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
                sent_at=now
            ):
                cycle = invitation.cycle
                _notify(
                    invitation,
                    f"Check-in: {cycle.title}",
                    f"{'Your answers are anonymous. ' if cycle.anonymous else ''}"
                    f"The survey is open until {closes_at(cycle):%d %B}.",
                )
                counts["sent"] += 1

    for cycle in FeedbackCycle.objects.filter(status=FeedbackCycle.Status.OPEN):
        if now >= closes_at(cycle):
            with transaction.atomic():
                if FeedbackCycle.objects.filter(
                    pk=cycle.pk, status=FeedbackCycle.Status.OPEN
                ).update(status=FeedbackCycle.Status.CLOSED, closed_at=now):
                    materialize_pending(cycle=cycle)
                    summarize_cycles(cycle_ids=[cycle.pk])  # the cycle keeps the counts
                    # Then what tells people apart goes: send and reminder times (set beside
                    # answer days) and, if anonymous, who answered. All read "not answered":
                    # a late click on the link then says "This survey has closed." to anyone.
                    forget = {"answered": False} if cycle.anonymous else {}
                    cycle.invitations.update(sent_at=None, reminded_at=None, **forget)
                    counts["closed"] += 1
                    _schedule_next_round(cycle)
            continue
        if now < cycle.opened_at + timedelta(days=cycle.remind_after_days):
            continue
        for invitation in cycle.invitations.filter(
            answered=False, reminded_at__isnull=True, sent_at__isnull=False
        ).select_related("participant__membership__user"):
            with transaction.atomic():
                if SurveyInvitation.objects.filter(
                    pk=invitation.pk, reminded_at__isnull=True, answered=False
                ).update(reminded_at=now):
                    invitation.cycle = cycle
                    _notify(
                        invitation,
                        f"Check-in reminder: {cycle.title}",
                        f"A minute of your time helps the program. It closes on "
                        f"{closes_at(cycle):%d %B}.",
                    )
                    counts["reminded"] += 1
    return counts


def _schedule_next_round(cycle: FeedbackCycle) -> None:
    """A recurring cycle's next round, once, while the program is active."""
    if not cycle.repeat_weeks or cycle.program.status == Program.Status.CLOSED:
        return
    series = cycle.series or cycle
    opens_at = cycle.opens_at + timedelta(weeks=cycle.repeat_weeks)
    if FeedbackCycle.objects.filter(series=series, opens_at=opens_at).exists():
        return
    FeedbackCycle.objects.create(
        organization=cycle.organization,
        program=cycle.program,
        version=cycle.version.template.versions.order_by("-number").first(),
        series=series,
        title=cycle.title,
        audience=cycle.audience,
        repeat_weeks=cycle.repeat_weeks,
        open_days=cycle.open_days,
        remind_after_days=cycle.remind_after_days,
        anonymous=cycle.anonymous,
        opens_at=opens_at,
    )


# --- Answers -------------------------------------------------------------------------------------


def survey_problem(*, invitation: SurveyInvitation) -> str:
    """Why this invitation cannot be answered now, in plain words, or ""."""
    if invitation.answered:
        return "You have already answered this survey. Thank you!"
    if invitation.cycle.status == FeedbackCycle.Status.CLOSED:
        return "This survey has closed."
    if invitation.cycle.status != FeedbackCycle.Status.OPEN:
        return "This survey is not open yet."
    return ""


def response_submit(
    *, invitation: SurveyInvitation, answers: Mapping[int, Any], actor: User
) -> SurveyResponse | PendingResponse:
    """Store one person's answers. For anonymous cycles the response keeps no link to them;
    the invitation only becomes "answered", in the same transaction."""
    if (
        invitation.participant.membership is None
        or invitation.participant.membership.user_id != actor.pk
    ):
        raise ValidationError("Only the invited person can answer this survey.")
    problem = survey_problem(invitation=invitation)
    if problem:
        raise ValidationError(problem)
    cycle = invitation.cycle
    questions = list(cycle.version.questions.all())
    # Per-topic self-ratings are required field by field by the form; someone without
    # objective topics simply has none to give.
    missing = [
        q.text
        for q in questions
        if q.required
        and q.kind != Question.Kind.OBJECTIVE_RATINGS
        and answers.get(q.pk) in (None, "", [], {})
    ]
    if missing:
        raise ValidationError([f"Please answer: {text}" for text in missing])
    participant = invitation.participant
    with transaction.atomic():
        # Only while the survey is open. The cycle's row lock orders this against the closing
        # transaction (which updates that row first): a submission racing it either lands
        # before closing, and is written with the rest, or finds the survey closed; it never
        # marks someone "answered" after closing forgot who did, nor leaves a pending answer.
        if (
            not FeedbackCycle.objects.select_for_update()
            .filter(pk=cycle.pk, status=FeedbackCycle.Status.OPEN)
            .exists()
        ):
            raise ValidationError("This survey has closed.")
        if not SurveyInvitation.objects.filter(
            pk=invitation.pk, answered=False, cycle__status=FeedbackCycle.Status.OPEN
        ).update(answered=True):
            invitation.refresh_from_db()
            invitation.cycle.refresh_from_db()
            raise ValidationError(
                survey_problem(invitation=invitation)
                or "You have already answered this survey. Thank you!"
            )
        if cycle.anonymous:
            # Held until the survey closes (see materialize_pending), and blended with the
            # others once this transaction has committed (see _blend_pending).
            transaction.on_commit(partial(_blend_pending, cycle=cycle))
            return PendingResponse.objects.create(
                organization=cycle.organization,
                cycle=cycle,
                side=participant.side,
                department=participant.department,
                payload={str(k): v for k, v in answers.items() if v not in (None, "", [], {})},
            )
        return _write_response(
            cycle=cycle,
            questions=questions,
            side=participant.side,
            department=participant.department,
            attributed_to=participant,
            answers=answers,
            submitted_on=timezone.localdate(),
        )


def _blend_pending(*, cycle: FeedbackCycle) -> None:
    """Rewrite every pending submission and every "answered" flag of the survey in one
    transaction.

    A submission and its person's "answered" flag are written in one transaction, so on
    PostgreSQL both rows carry that transaction's id (``xmin``) until something rewrites them.
    Rewriting them all together gives them one shared transaction id: someone reading the
    tables directly can no longer pair a submission with a person. (The superseded row
    versions stay on disk until autovacuum reclaims them; at closing the pending rows are
    deleted anyway.) Costs one UPDATE per table, over at most the survey's respondents."""
    with tenant_scope(cycle.organization), transaction.atomic():
        PendingResponse.objects.filter(cycle=cycle).update(side=models.F("side"))
        SurveyInvitation.objects.filter(cycle=cycle, answered=True).update(answered=True)


def _write_response(
    *,
    cycle: FeedbackCycle,
    questions: list[Question],
    side: str,
    department: str,
    attributed_to: Participant | None,
    answers: Mapping[int, Any],
    submitted_on: Any,
    pool: list[TopicRating] | None = None,
) -> SurveyResponse:
    response = SurveyResponse.objects.create(
        organization=cycle.organization,
        cycle=cycle,
        side=side,
        department=department,
        attributed_to=attributed_to,
        submitted_on=submitted_on,
    )
    rows = []
    ratings: list[TopicRating] = []
    for q in questions:
        value = answers.get(q.pk)
        if value in (None, "", [], {}):
            continue
        base = {"organization": cycle.organization, "response": response, "question": q}
        if q.kind == Question.Kind.OBJECTIVE_RATINGS:
            # Each rating stands alone (see TopicRating): never tied to this response.
            ratings += [
                TopicRating(
                    organization=cycle.organization,
                    cycle=cycle,
                    question=q,
                    topic_name=str(topic)[:80],
                    rating=min(5, max(1, int(rating))),
                    side=side,
                    department=department,
                )
                for topic, rating in dict(value).items()
            ]
        elif q.kind in (Question.Kind.LIKERT, Question.Kind.NPS):
            rows.append(Answer(**base, number=int(value)))
        elif q.kind == Question.Kind.MULTIPLE:
            rows.append(Answer(**base, choices=list(value)))
        else:
            rows.append(Answer(**base, text=str(value)[:4000]))
    Answer.objects.bulk_create(rows)
    if pool is not None:
        pool += ratings
    else:
        TopicRating.objects.bulk_create(ratings)
    return response


def materialize_pending(*, cycle: FeedbackCycle) -> int:
    """At closing: every pending anonymous submission becomes a response, in random order and
    dated the closing day, then the pending rows go. Call inside the closing transaction."""
    pending = list(PendingResponse.objects.filter(cycle=cycle))
    random.SystemRandom().shuffle(pending)
    questions = list(cycle.version.questions.all())
    day = timezone.localdate()
    # Everyone's topic ratings are pooled and shuffled together: written response by
    # response, one person's topics would sit side by side on disk.
    pool: list[TopicRating] = []
    for item in pending:
        _write_response(
            pool=pool,
            cycle=cycle,
            questions=questions,
            side=item.side,
            department=item.department,
            attributed_to=None,
            answers={int(k): v for k, v in item.payload.items()},
            submitted_on=day,
        )
    random.SystemRandom().shuffle(pool)
    TopicRating.objects.bulk_create(pool)
    PendingResponse.objects.filter(cycle=cycle).delete()
    return len(pending)


# --- Concerns -------------------------------------------------------------------------------------


def concern_raise(*, participant: Participant, kind: str, text: str) -> Any:
    """A confidential concern: HR admins are told; nobody else sees it."""
    from feedback.models import Concern
    from mentorship.models import Membership

    if participant.status not in (Participant.Status.APPROVED, Participant.Status.APPLIED):
        raise ValidationError("You are no longer in this program.")
    with transaction.atomic():
        concern = Concern.objects.create(
            organization=participant.organization, participant=participant, kind=kind, text=text
        )
        for hr in Membership.objects.filter(
            is_hr_admin=True, removed_at__isnull=True
        ).select_related("user"):
            kernel.notification_send(
                organization=participant.organization,
                recipient=hr.user,
                subject=f"A concern was raised in {participant.program.name}",
                body=f"{concern.get_kind_display()}. Open the concerns page to read it.",
                url=reverse("concerns", kwargs={"org_slug": participant.organization.slug}),
            )
    return concern


def concern_resolve(*, concern: Any) -> None:
    if concern.resolved_at is None:
        concern.resolved_at = timezone.now()
        concern.save(update_fields=["resolved_at"])


# --- Offered after a session log -----------------------------------------------------------------


def after_session_invitation(*, participant: Participant, pairing: Any) -> SurveyInvitation | None:
    """The survey to offer right after a session log, or None when there is nothing new.

    After a person's first session in a pair: "Pairing fit" (by name, so HR can re-pair).
    Otherwise: the anonymous "Post-session quick check", at most once per person and week.
    These surveys are offered on the spot, not chased: no email, no reminder.
    """
    from pairings.models import SessionLog

    templates_ensure_builtin(organization=participant.organization)
    first = SessionLog.objects.filter(pairing=pairing, author=participant).count() <= 1
    key = "pairing-fit" if first else "post-session"
    template = SurveyTemplate.objects.get(builtin_key=key)
    now = timezone.now()
    cycle = (
        FeedbackCycle.objects.filter(
            program=participant.program,
            version__template=template,
            on_demand=True,
            status=FeedbackCycle.Status.OPEN,
            opened_at__gte=now - timedelta(days=7),
        )
        .order_by("-opened_at")
        .first()
    )
    with transaction.atomic():
        if cycle is None:
            cycle = FeedbackCycle.objects.create(
                organization=participant.organization,
                program=participant.program,
                version=template.versions.order_by("-number").first(),
                title=template.name,
                anonymous=not template.attributed_by_default,
                open_days=7,
                remind_after_days=6,
                on_demand=True,
                opens_at=now,
                opened_at=now,
                status=FeedbackCycle.Status.OPEN,
            )
        invitation, _ = SurveyInvitation.objects.get_or_create(
            organization=participant.organization,
            cycle=cycle,
            participant=participant,
            # Marked sent and reminded: offered on the page, never emailed or chased.
            defaults={"sent_at": now, "reminded_at": now},
        )
    return None if invitation.answered else invitation


# --- Template editing -----------------------------------------------------------------------------


def template_create(
    *, organization: Organization, name: str, description: str, attributed: bool
) -> SurveyTemplate:
    if SurveyTemplate.objects.filter(name__iexact=name.strip()).exists():
        raise ValidationError("There is already a survey with this name.")
    with transaction.atomic():
        template = SurveyTemplate.objects.create(
            organization=organization,
            name=name.strip(),
            description=description,
            attributed_by_default=attributed,
        )
        TemplateVersion.objects.create(organization=organization, template=template, number=1)
    return template


def question_add(
    *, template: SurveyTemplate, text: str, kind: str, required: bool, choices: list[str]
) -> Question:
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) and len(choices) < 2:
        raise ValidationError("A choice question needs at least two choices, one per line.")
    version = template_version_for_edit(template=template)
    last = version.questions.order_by("-position").values_list("position", flat=True).first()
    return Question.objects.create(
        organization=template.organization,
        version=version,
        position=0 if last is None else last + 1,
        text=text,
        kind=kind,
        required=required,
        choices=choices if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) else [],
    )


def question_remove(*, template: SurveyTemplate, position: int) -> None:
    """Remove the question at ``position`` of the editable version (a new version when the
    current one has answers, so past answers keep their questions). Positions are unique in a
    version (see ``question_add``), so exactly one question goes."""
    current = template.versions.order_by("-number").first()
    if current is None or not current.questions.filter(position=position).exists():
        # Checked before versioning: a stale form must not leave an empty new version behind.
        raise ValidationError("That question is no longer in the survey.")
    with transaction.atomic():  # a new version and its removal, or neither
        version = template_version_for_edit(template=template)
        version.questions.filter(position=position).order_by("id").first().delete()
