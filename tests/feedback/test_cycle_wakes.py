"""A survey's stored moment and the people who join its audience while it is open: they are
invited on the next pass, even when the approval lands while a pass is running, and whether
they were approved or moved into a one-side survey's audience (review of issue 14)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from feedback.models import FeedbackCycle, SurveyInvitation
from feedback.services import cycles as cycle_services
from programs.models import Participant
from programs.services import participants as participant_services
from tests.conftest import Tenant
from tests.feedback.test_cycles import dispatch, program, template  # noqa: F401 (a fixture)


def test_a_participant_approved_during_a_pass_is_invited_on_the_next_pass(
    alpha: Tenant,
    program,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
) -> None:
    start = timezone.now()
    with alpha.scope():
        cycle = cycle_services.cycle_create(
            program=program, template=template("monthly-check-in"), opens_at=start
        )
    dispatch(alpha, django_capture_on_commit_callbacks, now=start)  # opened
    real = cycle_services._invite_audience

    def invite_then_someone_is_approved(*, cycle: FeedbackCycle, organization) -> None:
        real(cycle=cycle, organization=organization)
        # Another request approves someone between the pass's audience read and its
        # compare-and-set of the cycle's next moment.
        participant_services.participant_add(
            program=cycle.program,
            email="late@example.com",
            invited_by=None,
            first_name="L",
            last_name="Ate",
            side="junior",
        )

    with alpha.scope():
        FeedbackCycle.objects.filter(pk=cycle.pk).update(next_due_at=start)  # woken earlier
    monkeypatch.setattr(cycle_services, "_invite_audience", invite_then_someone_is_approved)
    dispatch(alpha, django_capture_on_commit_callbacks, now=start + timedelta(minutes=1))
    monkeypatch.setattr(cycle_services, "_invite_audience", real)
    dispatch(alpha, django_capture_on_commit_callbacks, now=start + timedelta(minutes=2))
    with alpha.scope():
        late = SurveyInvitation.objects.filter(participant__email="late@example.com").first()
    assert late is not None and late.sent_at is not None


def test_a_participant_moved_into_the_audience_is_invited_on_the_next_pass(
    alpha: Tenant,
    program,  # noqa: F811
    django_capture_on_commit_callbacks,
) -> None:
    start = timezone.now()
    with alpha.scope():
        cycle_services.cycle_create(
            program=program,
            template=template("monthly-check-in"),
            opens_at=start,
            audience=FeedbackCycle.Audience.JUNIORS,
        )
    dispatch(alpha, django_capture_on_commit_callbacks, now=start)
    with alpha.scope():
        senior = Participant.objects.get(program=program, side="senior")
        participant_services.participant_update(
            participant=senior, offers=[], wants=[], side="junior", level=1
        )
    dispatch(alpha, django_capture_on_commit_callbacks, now=start + timedelta(minutes=1))
    with alpha.scope():
        invitation = SurveyInvitation.objects.filter(participant=senior).first()
    assert invitation is not None and invitation.sent_at is not None


def test_nobody_is_first_invited_by_the_pass_that_closes_the_survey(
    alpha: Tenant,
    program,  # noqa: F811
    django_capture_on_commit_callbacks,
) -> None:
    start = timezone.now()
    with alpha.scope():
        cycle = cycle_services.cycle_create(
            program=program,
            template=template("monthly-check-in"),
            opens_at=start,
            audience=FeedbackCycle.Audience.JUNIORS,
        )
    dispatch(alpha, django_capture_on_commit_callbacks, now=start)
    with alpha.scope():
        senior = Participant.objects.get(program=program, side="senior")
        # Moved by a path that wakes nothing (a bulk fix by an operator): the closing pass
        # must not send them an invitation to a survey that closes that minute.
        Participant.objects.filter(pk=senior.pk).update(side="junior")
    closed = dispatch(alpha, django_capture_on_commit_callbacks, now=start + timedelta(days=30))
    assert closed["closed"] == 1 and closed["sent"] == 0
    with alpha.scope():
        assert not SurveyInvitation.objects.filter(cycle=cycle, participant=senior).exists()
