"""Feedback cycles: opening, invitations, reminders and closing exactly once; answering once,
anonymously where the cycle is anonymous."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from feedback.models import (
    FeedbackCycle,
    PendingResponse,
    Question,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
)
from feedback.services import cycles as cycle_services
from feedback.services import responses as response_services
from feedback.services import templates as template_services
from programs.models import Program
from programs.services import participants as participant_services
from programs.services import programs as program_services
from tests.conftest import Tenant


@pytest.fixture
def program(alpha: Tenant) -> Program:
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="Cohort")
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        program.refresh_from_db()
        participant_services.participant_add(
            program=program,
            email=alpha.participant.email,
            invited_by=None,
            first_name="P",
            last_name="Q",
            side="junior",
            department="Sales",
        )
        participant_services.participant_add(
            program=program,
            email=alpha.sponsor.email,
            invited_by=None,
            first_name="S",
            last_name="T",
            side="senior",
            level=9,
        )
        template_services.templates_ensure_builtin(organization=alpha.organization)
    return program


def template(key: str) -> SurveyTemplate:
    return SurveyTemplate.objects.get(builtin_key=key)


def dispatch(alpha: Tenant, capture, now=None) -> dict[str, int]:
    with alpha.scope(), capture(execute=True):
        return cycle_services.cycles_dispatch(organization=alpha.organization, now=now)


def test_a_cycle_opens_invites_reminds_and_closes_once_each(
    alpha: Tenant, program, django_capture_on_commit_callbacks
) -> None:
    start = timezone.now()
    with alpha.scope():
        cycle_services.cycle_create(
            program=program, template=template("monthly-check-in"), opens_at=start, repeat_weeks=4
        )
    assert dispatch(alpha, django_capture_on_commit_callbacks) == {
        "opened": 1,
        "sent": 2,
        "reminded": 0,
        "closed": 0,
    }
    assert dispatch(alpha, django_capture_on_commit_callbacks) == {
        "opened": 0,
        "sent": 0,
        "reminded": 0,
        "closed": 0,
    }
    subjects = [m.subject for m in mail.outbox]
    assert subjects == ["Check-in: Monthly check-in"] * 2
    later = start + timedelta(days=5)
    assert dispatch(alpha, django_capture_on_commit_callbacks, now=later)["reminded"] == 2
    assert dispatch(alpha, django_capture_on_commit_callbacks, now=later)["reminded"] == 0
    closed = dispatch(alpha, django_capture_on_commit_callbacks, now=start + timedelta(days=8))
    assert closed["closed"] == 1
    dispatch(alpha, django_capture_on_commit_callbacks, now=start + timedelta(days=8))
    with alpha.scope():
        rounds = FeedbackCycle.objects.order_by("opens_at")
        assert [c.status for c in rounds] == ["closed", "scheduled"]
        assert rounds[1].opens_at == start + timedelta(weeks=4)
    assert sum(m.subject.startswith("Check-in reminder") for m in mail.outbox) == 2


def test_answers_are_anonymous_and_given_once(
    alpha: Tenant, program, client_for, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        cycle = cycle_services.cycle_create(
            program=program, template=template("monthly-check-in"), opens_at=timezone.now()
        )
    dispatch(alpha, django_capture_on_commit_callbacks)
    with alpha.scope():
        invitation = SurveyInvitation.objects.get(participant__email=alpha.participant.email)
        questions = list(cycle.version.questions.all())
    url = f"/o/alpha/surveys/{invitation.pk}/"
    assert url in mail.outbox[0].body or url in mail.outbox[1].body  # the link in the email
    client = client_for(alpha.participant)
    assert "anonymous" in client.get(url).content.decode()
    incomplete = client.post(url, {}).content.decode()
    assert "This field is required" in incomplete
    data = {}
    for q in questions:
        if q.kind == Question.Kind.LIKERT:
            data[f"q{q.pk}"] = "4"
        elif q.kind == Question.Kind.NPS:
            data[f"q{q.pk}"] = "9"
        elif q.kind == Question.Kind.SINGLE:
            data[f"q{q.pk}"] = q.choices[0]
    assert client.post(url, data).status_code == 302
    with alpha.scope():
        # While open, the answers wait as an opaque pending submission: no response row yet.
        assert not SurveyResponse.objects.exists()
        assert PendingResponse.objects.count() == 1
        invitation.refresh_from_db()
        assert invitation.answered
    assert "already answered" in client.get(url).content.decode()
    # At closing they become a response, dated the closing day, and the pending row goes.
    closing = timezone.now() + timedelta(days=8)
    dispatch(alpha, django_capture_on_commit_callbacks, now=closing)
    with alpha.scope():
        response = SurveyResponse.objects.get()
        assert response.attributed_to is None and not PendingResponse.objects.exists()
        assert (response.side, response.department) == ("junior", "Sales")
        assert response.answers.count() == 4
        assert response.submitted_on == timezone.localdate()
    # Who answered is forgotten at closing: the link now says the survey has closed.
    again = client.get(url).content.decode()
    assert "This survey has closed." in again
    assert client.post(url, data).status_code == 200
    with alpha.scope():
        assert SurveyResponse.objects.count() == 1
    # Someone else's invitation looks missing.
    assert client_for(alpha.sponsor).get(url).status_code == 404


def test_attributed_cycles_keep_the_name_and_closed_ones_say_so(
    alpha: Tenant, program, client_for, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        cycle = cycle_services.cycle_create(
            program=program, template=template("pairing-fit"), opens_at=timezone.now()
        )
        assert not cycle.anonymous
    dispatch(alpha, django_capture_on_commit_callbacks)
    with alpha.scope():
        invitation = SurveyInvitation.objects.get(participant__email=alpha.participant.email)
        answers = {
            q.pk: (4 if q.kind == "likert" else q.choices[0] if q.kind == "single" else "")
            for q in cycle.version.questions.all()
        }
        response_services.response_submit(
            invitation=invitation, answers=answers, actor=alpha.participant
        )
        assert SurveyResponse.objects.get().attributed_to.email == alpha.participant.email
        other = SurveyInvitation.objects.exclude(pk=invitation.pk).get()
        FeedbackCycle.objects.filter(pk=cycle.pk).update(status="closed")
        other.refresh_from_db()
        with pytest.raises(ValidationError, match="closed"):
            response_services.response_submit(
                invitation=other, answers=answers, actor=alpha.sponsor
            )
    assert (
        "This survey has closed."
        in client_for(alpha.sponsor).get(f"/o/alpha/surveys/{other.pk}/").content.decode()
    )


def test_editing_a_template_in_use_makes_a_new_version(alpha: Tenant, program) -> None:
    with alpha.scope():
        monthly = template("monthly-check-in")
        first = template_services.template_version_for_edit(template=monthly)
        assert first.number == 1  # unused: edit in place
        cycle_services.cycle_create(program=program, template=monthly, opens_at=timezone.now())
        second = template_services.template_version_for_edit(template=monthly)
        assert second.number == 2 and second.questions.count() == first.questions.count()


def test_nothing_opens_for_a_closed_program(
    alpha: Tenant, program, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        cycle_services.cycle_create(
            program=program, template=template("monthly-check-in"), opens_at=timezone.now()
        )
        Program.objects.filter(pk=program.pk).update(status=Program.Status.CLOSED)
    assert dispatch(alpha, django_capture_on_commit_callbacks)["opened"] == 0


def test_the_beat_dispatcher_runs_each_organisation(
    alpha: Tenant, program, django_capture_on_commit_callbacks
) -> None:
    from feedback.tasks import dispatch_feedback_cycles

    with alpha.scope():
        cycle_services.cycle_create(
            program=program, template=template("monthly-check-in"), opens_at=timezone.now()
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_feedback_cycles() == 1
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_feedback_cycles()
    assert [m.subject for m in mail.outbox] == ["Check-in: Monthly check-in"] * 2


def test_a_concern_reaches_hr_admins_only(
    alpha: Tenant, program, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alpha.participant)
    with alpha.scope():
        me = program.participants.get(email=alpha.participant.email)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/o/alpha/concerns/new/",
            {"participation": me.pk, "kind": "unresponsive", "text": "No reply for weeks"},
        )
    assert response.status_code == 302
    assert [m.to[0] for m in mail.outbox] == [alpha.hr.email]
    hr_page = client_for(alpha.hr).get("/o/alpha/concerns/").content.decode()
    assert "No reply for weeks" in hr_page and "My partner is unresponsive" in hr_page
    assert client_for(alpha.sponsor).get("/o/alpha/concerns/").status_code == 404
    assert client.get("/o/alpha/concerns/").status_code == 404


def test_closing_a_program_opens_the_end_of_program_survey(
    alpha: Tenant, program, client_for, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_for(alpha.hr).post(f"/o/alpha/programs/{program.slug}/status/closed/")
    with alpha.scope():
        cycle = FeedbackCycle.objects.get()
        assert cycle.title == "End of program" and cycle.status == "open"
        assert cycle.version.questions.filter(kind="objective_ratings").exists()
        assert SurveyInvitation.objects.filter(cycle=cycle).count() == 2
    assert (
        sorted(m.subject for m in mail.outbox if m.subject.startswith("Check-in"))
        == ["Check-in: End of program"] * 2
    )
