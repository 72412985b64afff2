"""Writes of feedback cycles: scheduling them, and their dispatch.

Every step of the dispatch is idempotent like the meeting reminders: a cycle opens, closes and
spawns its next round through compare-and-set updates, and each invitation's send and reminder
is claimed on its row before the notification is made (in the same transaction).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from feedback import selectors
from feedback.models import FeedbackCycle, SurveyInvitation, SurveyTemplate
from feedback.services.responses import materialize_pending
from feedback.services.webhooks import survey_emit
from feedback.summaries import summarize_cycles
from mentorship import services as kernel
from mentorship.events.models import EventType
from mentorship.i18n import recipient_language
from mentorship.models import Organization
from mentorship.web import tenant_url
from programs.models import Program


def cycle_create_for_closed_program(
    *, program: Program, template: SurveyTemplate, opens_at: datetime
) -> FeedbackCycle:
    """The one survey a closed program still runs: its end-of-program survey (idempotent)."""
    existing = selectors.cycle_of_template(program=program, template=template)
    if existing is not None:
        FeedbackCycle.objects.filter(
            pk=existing.pk, status=FeedbackCycle.Status.SCHEDULED, opens_at__gt=opens_at
        ).update(opens_at=opens_at, updated_at=timezone.now())
        existing.refresh_from_db()
        return existing
    return FeedbackCycle.objects.create(
        organization=program.organization,
        program=program,
        version=selectors.template_latest_version(template=template),
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
        raise ValidationError(_("This program has ended: it cannot run new surveys."))
    if remind_after_days >= open_days:
        raise ValidationError(_("The reminder must go out before the survey closes."))
    version = selectors.template_latest_version(template=template)
    if version is None or not version.questions.exists():
        raise ValidationError(_("This template has no questions yet."))
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


def _notify(invitation: SurveyInvitation, *, reminder: bool = False) -> None:
    """The invitation to a check-in (or its reminder), written in the recipient's language."""
    membership = invitation.participant.membership
    if membership is None or not membership.is_active:
        return
    cycle = invitation.cycle
    with recipient_language(membership.user, invitation.organization):
        closes = date_format(selectors.closes_at(cycle), "MONTH_DAY_FORMAT")
        if reminder:
            subject = _("Check-in reminder: %(title)s") % {"title": cycle.title}
            body = _("A minute of your time helps the program. It closes on %(date)s.") % {
                "date": closes
            }
        else:
            subject = _("Check-in: %(title)s") % {"title": cycle.title}
            body = (
                _("Your answers are anonymous. The survey is open until %(date)s.")
                if cycle.anonymous
                else _("The survey is open until %(date)s.")
            ) % {"date": closes}
        kernel.notification_send(
            organization=invitation.organization,
            recipient=membership.user,
            subject=subject,
            body=body,
            url=tenant_url(invitation.organization, "survey_answer", survey_id=invitation.pk),
        )


# At most this many cycles per pass of one organisation; the rest go on the next pass.
PASS_LIMIT = 200


def cycles_dispatch(
    *, organization: Organization, now: datetime | None = None, only: FeedbackCycle | None = None
) -> dict[str, int]:
    """Open due cycles (with one invitation per person), send invitations, remind
    non-responders once, close cycles and schedule recurring rounds. Safe to repeat.

    Reads only the cycles whose moment has come (``FeedbackCycle.next_due_at``), or ``only``.
    """
    now = now or timezone.now()
    counts = {"opened": 0, "sent": 0, "reminded": 0, "closed": 0}
    if only is not None:
        due = FeedbackCycle.objects.filter(pk=only.pk)
    else:
        due = selectors.cycles_due(now=now).order_by("next_due_at")[:PASS_LIMIT]
    for cycle in due.select_related("program"):
        seen = cycle.next_due_at
        _cycle_pass(cycle=cycle, organization=organization, now=now, counts=counts)
        # Compare-and-set: a cycle edited (or woken) meanwhile keeps the moment it was given.
        FeedbackCycle.objects.filter(pk=cycle.pk, next_due_at=seen).update(
            next_due_at=cycle.due_after_pass(now)
        )
    return counts


def cycles_wake(*, program: Program) -> int:
    """Someone joined the audience of the program's open surveys: look at them on the next
    pass (which invites the newcomers), instead of every open survey every minute."""
    now = timezone.now()
    # Always written, even over a moment already due: a pass that read the cycle before this
    # approval then fails its compare-and-set and leaves "now", so the newcomer is not missed.
    return FeedbackCycle.objects.filter(
        program=program, status=FeedbackCycle.Status.OPEN, on_demand=False
    ).update(next_due_at=now)


def _invite_audience(*, cycle: FeedbackCycle, organization: Organization) -> None:
    SurveyInvitation.objects.bulk_create(
        (
            SurveyInvitation(organization=organization, cycle=cycle, participant=p)
            for p in selectors.cycle_audience(cycle=cycle)
        ),
        ignore_conflicts=True,
    )


def _invite_and_send(
    *, cycle: FeedbackCycle, organization: Organization, now: datetime, counts: dict[str, int]
) -> None:
    if not cycle.on_demand:
        _invite_audience(cycle=cycle, organization=organization)
    for invitation in cycle.invitations.filter(sent_at__isnull=True).select_related(
        "participant__membership__user"
    ):
        with transaction.atomic():
            if SurveyInvitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
                sent_at=now
            ):
                invitation.cycle = cycle
                _notify(invitation)
                counts["sent"] += 1


def _cycle_pass(
    *, cycle: FeedbackCycle, organization: Organization, now: datetime, counts: dict[str, int]
) -> None:
    if cycle.status == FeedbackCycle.Status.SCHEDULED:
        if cycle.opens_at > now:
            return
        with transaction.atomic():
            if not FeedbackCycle.objects.filter(
                pk=cycle.pk, status=FeedbackCycle.Status.SCHEDULED
            ).update(status=FeedbackCycle.Status.OPEN, opened_at=now, updated_at=timezone.now()):
                return  # another pass opened it
            cycle.status, cycle.opened_at = FeedbackCycle.Status.OPEN, now
            _invite_audience(cycle=cycle, organization=organization)
            survey_emit(
                organization=organization, event_type=EventType.SURVEY_OPENED, cycle_id=cycle.pk
            )
            counts["opened"] += 1
    if cycle.status != FeedbackCycle.Status.OPEN:
        return
    closing = now >= selectors.closes_at(cycle)
    # People approved after a survey opened are invited too (``cycles_wake`` brings it here),
    # but nothing goes out in the pass that closes it: an invitation to a survey closing that
    # very minute would only be a disappointment.
    if not closing:
        _invite_and_send(cycle=cycle, organization=organization, now=now, counts=counts)

    if closing:
        with transaction.atomic():
            if FeedbackCycle.objects.filter(pk=cycle.pk, status=FeedbackCycle.Status.OPEN).update(
                status=FeedbackCycle.Status.CLOSED, closed_at=now, updated_at=timezone.now()
            ):
                cycle.status, cycle.closed_at = FeedbackCycle.Status.CLOSED, now
                materialize_pending(cycle=cycle)
                summarize_cycles(cycle_ids=[cycle.pk])  # the cycle keeps the counts
                # Then what tells people apart goes: send and reminder times (set beside
                # answer days) and, if anonymous, who answered. All read "not answered":
                # a late click on the link then says "This survey has closed." to anyone.
                forget = {"answered": False} if cycle.anonymous else {}
                cycle.invitations.update(sent_at=None, reminded_at=None, **forget)
                # Once the counts and the release plan are fixed: the event says what the
                # API says of the closed survey.
                survey_emit(
                    organization=organization,
                    event_type=EventType.SURVEY_CLOSED,
                    cycle_id=cycle.pk,
                )
                counts["closed"] += 1
                _schedule_next_round(cycle)
        return
    if now < cycle.opened_at + timedelta(days=cycle.remind_after_days):
        return
    for invitation in cycle.invitations.filter(
        answered=False, reminded_at__isnull=True, sent_at__isnull=False
    ).select_related("participant__membership__user"):
        with transaction.atomic():
            if SurveyInvitation.objects.filter(
                pk=invitation.pk, reminded_at__isnull=True, answered=False
            ).update(reminded_at=now):
                invitation.cycle = cycle
                _notify(invitation, reminder=True)
                counts["reminded"] += 1


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
        version=selectors.template_latest_version(template=cycle.version.template),
        series=series,
        title=cycle.title,
        audience=cycle.audience,
        repeat_weeks=cycle.repeat_weeks,
        open_days=cycle.open_days,
        remind_after_days=cycle.remind_after_days,
        anonymous=cycle.anonymous,
        opens_at=opens_at,
    )
