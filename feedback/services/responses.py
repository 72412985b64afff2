"""Writes of answers: one person's submission, and the anonymous ones written at closing.

An anonymous survey's submission keeps no link to its person: it is held as a pending payload
until the survey closes, then written with all the others, shuffled and dated the closing day.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback import selectors
from feedback.models import (
    Answer,
    FeedbackCycle,
    PendingResponse,
    Question,
    SurveyInvitation,
    SurveyResponse,
    TopicRating,
)
from mentorship.models import User
from mentorship.tenancy import tenant_scope
from programs.models import Participant


def response_submit(
    *, invitation: SurveyInvitation, answers: Mapping[int, Any], actor: User
) -> SurveyResponse | PendingResponse:
    """Store one person's answers. For anonymous cycles the response keeps no link to them;
    the invitation only becomes "answered", in the same transaction."""
    if (
        invitation.participant.membership is None
        or invitation.participant.membership.user_id != actor.pk
    ):
        raise ValidationError(_("Only the invited person can answer this survey."))
    problem = selectors.survey_problem(invitation=invitation)
    if problem:
        raise ValidationError(problem)
    cycle = invitation.cycle
    questions = selectors.version_questions(version=cycle.version)
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
        raise ValidationError(
            [_("Please answer: %(question)s") % {"question": text} for text in missing]
        )
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
            raise ValidationError(_("This survey has closed."))
        if not SurveyInvitation.objects.filter(
            pk=invitation.pk, answered=False, cycle__status=FeedbackCycle.Status.OPEN
        ).update(answered=True):
            invitation.refresh_from_db()
            invitation.cycle.refresh_from_db()
            raise ValidationError(
                selectors.survey_problem(invitation=invitation)
                or _("You have already answered this survey. Thank you!")
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
    questions = selectors.version_questions(version=cycle.version)
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
