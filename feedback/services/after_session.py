"""The short survey offered right after a session log (see the ``after_session`` view, which
``pairings`` reaches by URL name, never by import)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from feedback import selectors
from feedback.models import FeedbackCycle, SurveyInvitation
from feedback.services.templates import templates_ensure_builtin
from feedback.services.webhooks import survey_emit
from mentorship.events.models import EventType
from pairings.models import Pairing
from programs.models import Participant


def after_session_invitation(
    *, participant: Participant, pairing: Pairing
) -> SurveyInvitation | None:
    """The survey to offer right after a session log, or None when there is nothing new.

    After a person's first session in a pair: "Pairing fit" (by name, so HR can re-pair).
    Otherwise: the anonymous "Post-session quick check", at most once per person and week.
    These surveys are offered on the spot, not chased: no email, no reminder.
    """
    templates_ensure_builtin(organization=participant.organization)
    first = selectors.session_logs_written(pairing=pairing, author=participant) <= 1
    template = selectors.template_builtin(key="pairing-fit" if first else "post-session")
    now = timezone.now()
    cycle = selectors.on_demand_cycle_open(
        program=participant.program, template=template, since=now - timedelta(days=7)
    )
    opened = cycle is None
    with transaction.atomic():
        if cycle is None:
            cycle = FeedbackCycle.objects.create(
                organization=participant.organization,
                program=participant.program,
                version=selectors.template_latest_version(template=template),
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
        if opened:
            # Opened on the spot rather than by the dispatcher: the same event all the same.
            survey_emit(
                organization=participant.organization,
                event_type=EventType.SURVEY_OPENED,
                cycle_id=cycle.pk,
            )
    return None if invitation.answered else invitation
