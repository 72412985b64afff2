"""Who answered an anonymous survey, and who was reminded, is the person's own business.

While the survey is open HR admins see counts only; once it closes no row says, person by
person, who answered or who was reminded. Each reminder stays in its recipient's inbox, and
surveys by name keep their "answered" marks (HR reads those answers by name anyway).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from feedback.models import (
    FeedbackCycle,
    PendingResponse,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
)
from feedback.services import cycles as cycle_services
from feedback.services import responses as response_services
from feedback.services import templates as template_services
from mentorship.frame.dashboards import Filters, dashboard
from mentorship.models import AuditEvent, Notification
from mentorship.tenancy import across_all_organizations
from programs.models import Participant, Program
from programs.services import participants as participant_services
from programs.services import programs as program_services
from tests.conftest import Tenant

REMINDER = "Check-in reminder: Monthly check-in"


@pytest.fixture
def cohort(alpha: Tenant) -> Program:
    """An active program with two people who have accounts: the participant (who will answer)
    and the sponsor (who will not)."""
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="Cohort")
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        program.refresh_from_db()
        for user, side, level in ((alpha.participant, "junior", 1), (alpha.sponsor, "senior", 9)):
            participant_services.participant_add(
                program=program,
                email=user.email,
                invited_by=None,
                first_name=user.email.split("@")[0].title(),
                last_name="Person",
                side=side,
                level=level,
            )
        template_services.templates_ensure_builtin(organization=alpha.organization)
    return program


def _schedule(program: Program, key: str, opens_at: datetime) -> FeedbackCycle:
    return cycle_services.cycle_create(
        program=program, template=SurveyTemplate.objects.get(builtin_key=key), opens_at=opens_at
    )


def _dispatch(alpha: Tenant, capture, now: datetime) -> None:
    with alpha.scope(), capture(execute=True):
        cycle_services.cycles_dispatch(organization=alpha.organization, now=now)


def _answer(alpha: Tenant, cycle: FeedbackCycle, capture) -> None:
    """The participant (not the sponsor) answers every required question."""
    with alpha.scope(), capture(execute=True):
        invitation = SurveyInvitation.objects.get(
            cycle=cycle, participant__email=alpha.participant.email
        )
        answers: dict[int, Any] = {}
        for q in cycle.version.questions.all():
            if q.kind == "likert":
                answers[q.pk] = 4
            elif q.kind == "nps":
                answers[q.pk] = 9
            elif q.kind == "single":
                answers[q.pk] = q.choices[0]
        response_services.response_submit(
            invitation=invitation, answers=answers, actor=alpha.participant
        )


def _export(alpha: Tenant, client_for, program: Program, email: str) -> dict[str, Any]:
    """The personal-data export an HR admin downloads, by survey title."""
    with alpha.scope():
        person = Participant.objects.get(program=program, email=email)
    url = f"/o/alpha/programs/{program.slug}/participants/{person.pk}/export.json"
    data = json.loads(client_for(alpha.hr).get(url).content)
    return {i["survey"]: i for i in data["survey_invitations"]}


def _run_check_in(alpha: Tenant, cohort: Program, capture) -> tuple[FeedbackCycle, datetime]:
    """An anonymous monthly check-in: opened, answered by the participant only, the sponsor
    reminded on day 5, closed on day 8."""
    start = timezone.now()
    with alpha.scope():
        cycle = _schedule(cohort, "monthly-check-in", start)
        assert cycle.anonymous
    _dispatch(alpha, capture, start)
    _answer(alpha, cycle, capture)
    _dispatch(alpha, capture, start + timedelta(days=5))
    return cycle, start


def test_hr_export_of_an_open_anonymous_survey_does_not_say_who_answered(
    alpha: Tenant, cohort: Program, client_for, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    cycle, _ = _run_check_in(alpha, cohort, capture)
    with alpha.scope():
        cycle.refresh_from_db()
        assert cycle.status == FeedbackCycle.Status.OPEN
    answered = _export(alpha, client_for, cohort, alpha.participant.email)["Monthly check-in"]
    silent = _export(alpha, client_for, cohort, alpha.sponsor.email)["Monthly check-in"]
    assert "answered" not in answered, answered
    # The one who answered and the one who did not look the same to HR.
    assert answered == silent == {"survey": "Monthly check-in", "anonymous": True}


def test_after_closing_no_row_says_who_answered_or_was_reminded(
    alpha: Tenant, cohort: Program, client_for, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    cycle, start = _run_check_in(alpha, cohort, capture)
    with alpha.scope():
        # While open, the reminder went to the one who had not answered, and only to them.
        assert Notification.objects.filter(subject=REMINDER).get().recipient == alpha.sponsor
    _dispatch(alpha, capture, start + timedelta(days=8))
    with alpha.scope():
        cycle.refresh_from_db()
        assert cycle.status == FeedbackCycle.Status.CLOSED
        marks = set(
            SurveyInvitation.objects.filter(cycle=cycle).values_list(
                "answered", "sent_at", "reminded_at"
            )
        )
        assert marks == {(False, None, None)}, (
            f"after closing, invitations still tell people apart: {marks}"
        )
        assert SurveyInvitation.objects.filter(cycle=cycle).count() == 2
        # The reminder stays where it belongs: in its recipient's inbox, nowhere else.
        assert Notification.objects.filter(subject=REMINDER).get().recipient == alpha.sponsor
        assert not AuditEvent.objects.filter(summary__icontains="check-in").exists()
    inbox = client_for(alpha.sponsor).get("/o/alpha/notifications/").content.decode()
    assert REMINDER in inbox
    assert (
        _export(alpha, client_for, cohort, alpha.participant.email)["Monthly check-in"]
        == _export(alpha, client_for, cohort, alpha.sponsor.email)["Monthly check-in"]
    )
    # A late click on the link is refused, plainly, for both of them.
    for user in (alpha.participant, alpha.sponsor):
        with alpha.scope():
            invitation = SurveyInvitation.objects.get(cycle=cycle, participant__email=user.email)
        url = f"/o/alpha/surveys/{invitation.pk}/"
        assert "This survey has closed." in client_for(user).get(url).content.decode()
        assert client_for(user).post(url, {}).status_code == 200
    with alpha.scope():
        assert SurveyResponse.objects.filter(cycle=cycle).count() == 1


def test_counts_on_the_surveys_page_and_dashboard_stay_exact_after_closing(
    alpha: Tenant, cohort: Program, client_for, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    _, start = _run_check_in(alpha, cohort, capture)
    page = f"/o/alpha/programs/{cohort.slug}/feedback/"
    assert "2 invited" in client_for(alpha.hr).get(page).content.decode()
    _dispatch(alpha, capture, start + timedelta(days=8))
    with alpha.scope():
        cycle = FeedbackCycle.objects.get(program=cohort)
        assert (cycle.closed_invited, cycle.closed_answered) == (2, 1)
    # Shown only at k = 1... never: k is at least 3, so with 2 invited the page keeps it back.
    assert "2 invited" in client_for(alpha.hr).get(page).content.decode()
    with alpha.scope():
        board = dashboard(
            program_ids=[cohort.pk],
            filters=Filters.default(today=timezone.localdate() + timedelta(days=9)),
            k=3,
            named=True,
            now=timezone.now() + timedelta(days=9),
        )
    assert [(p.invited, p.answered, p.rate) for p in board.surveys] == [(2, None, None)]


def test_a_submission_racing_the_closing_is_refused_and_leaves_nothing(
    alpha: Tenant, cohort: Program, django_capture_on_commit_callbacks
) -> None:
    """The form was loaded while the survey was open; it closes before the person presses
    Send. The submission must not mark them "answered" after closing forgot who did, nor leave
    an answer pending that no closing will ever write."""
    capture = django_capture_on_commit_callbacks
    start = timezone.now()
    with alpha.scope():
        cycle = _schedule(cohort, "monthly-check-in", start)
    _dispatch(alpha, capture, start)
    with alpha.scope():
        stale = SurveyInvitation.objects.select_related("cycle").get(
            cycle=cycle, participant__email=alpha.participant.email
        )
    _dispatch(alpha, capture, start + timedelta(days=8))  # closes
    with alpha.scope():
        likert = {q.pk: 4 for q in cycle.version.questions.filter(required=True)}
        with pytest.raises(ValidationError, match="This survey has closed"):
            response_services.response_submit(
                invitation=stale, answers=likert, actor=alpha.participant
            )
        assert not PendingResponse.objects.filter(cycle=cycle).exists()
        assert not SurveyInvitation.objects.filter(cycle=cycle, answered=True).exists()


def test_surveys_by_name_keep_who_answered(
    alpha: Tenant, cohort: Program, client_for, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    start = timezone.now()
    with alpha.scope():
        cycle = _schedule(cohort, "pairing-fit", start)
        assert not cycle.anonymous
    _dispatch(alpha, capture, start)
    _answer(alpha, cycle, capture)
    for now in (start + timedelta(days=5), start + timedelta(days=8)):  # reminded, closed
        _dispatch(alpha, capture, now)
        assert _export(alpha, client_for, cohort, alpha.participant.email)["Pairing fit"] == {
            "survey": "Pairing fit",
            "anonymous": False,
            "answered": True,
        }
        assert (
            _export(alpha, client_for, cohort, alpha.sponsor.email)["Pairing fit"]["answered"]
            is False
        )
    with alpha.scope():
        cycle.refresh_from_db()
        assert cycle.status == FeedbackCycle.Status.CLOSED
        assert sorted(
            SurveyInvitation.objects.filter(cycle=cycle).values_list(
                "participant__email", "answered"
            )
        ) == sorted([(alpha.participant.email, True), (alpha.sponsor.email, False)])
        answered = SurveyInvitation.objects.get(cycle=cycle, answered=True)
        silent = SurveyInvitation.objects.get(cycle=cycle, answered=False)
    assert "already answered" in (
        client_for(alpha.participant).get(f"/o/alpha/surveys/{answered.pk}/").content.decode()
    )
    assert "This survey has closed." in (
        client_for(alpha.sponsor).get(f"/o/alpha/surveys/{silent.pk}/").content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_surveys_closed_before_the_migration_forget_who_answered() -> None:
    executor = MigrationExecutor(connection)
    before = [("feedback", "0004_release_plan")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Organization = apps.get_model("mentorship", "Organization")
    Program = apps.get_model("programs", "Program")
    Person = apps.get_model("programs", "Participant")
    Template = apps.get_model("feedback", "SurveyTemplate")
    Version = apps.get_model("feedback", "TemplateVersion")
    Cycle = apps.get_model("feedback", "FeedbackCycle")
    Invitation = apps.get_model("feedback", "SurveyInvitation")

    org = Organization.objects.create(slug="old", name="Old")
    program = Program.objects.create(organization=org, name="P", slug="p")
    people = [
        Person.objects.create(
            organization=org, program=program, email=f"p{n}@old.test", side="junior"
        )
        for n in range(3)
    ]
    template = Template.objects.create(organization=org, name="T")
    version = Version.objects.create(organization=org, template=template, number=1)
    now = timezone.now()
    cycles = {}
    for title, status, anonymous, counted in (
        ("anonymous, counted at closing", "closed", True, True),
        ("anonymous, closed before counts were kept", "closed", True, False),
        ("by name", "closed", False, True),
        ("still open", "open", True, False),
    ):
        cycles[title] = Cycle.objects.create(
            organization=org,
            program=program,
            version=version,
            title=title,
            opens_at=now,
            opened_at=now,
            closed_at=now if status == "closed" else None,
            status=status,
            anonymous=anonymous,
            closed_invited=3 if counted else None,
            closed_answered=2 if counted else None,
        )
        for n, person in enumerate(people):
            Invitation.objects.create(
                organization=org,
                cycle=cycles[title],
                participant=person,
                sent_at=None if status == "closed" else now,
                reminded_at=now if n == 2 else None,
                answered=n < 2,
            )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    with across_all_organizations():
        from feedback.models import FeedbackCycle as LiveCycle
        from feedback.models import SurveyInvitation as LiveInvitation

        def marks(title: str) -> list[tuple[bool, object]]:
            rows = LiveInvitation.objects.filter(cycle_id=cycles[title].pk)
            return sorted(rows.values_list("answered", "reminded_at"), key=lambda row: row[0])

        def counts(title: str) -> tuple[int | None, int | None]:
            cycle = LiveCycle.objects.get(pk=cycles[title].pk)
            return cycle.closed_invited, cycle.closed_answered

        for title in ("anonymous, counted at closing", "anonymous, closed before counts were kept"):
            assert marks(title) == [(False, None)] * 3, title
            assert counts(title) == (3, 2), title
        # Surveys by name keep who answered (HR reads their answers by name anyway), not when
        # anyone was reminded; an open survey is left to its own closing.
        assert marks("by name") == [(False, None), (True, None), (True, None)]
        assert [a for a, _ in marks("still open")] == [False, True, True]
        assert counts("still open") == (None, None)


def test_hr_export_leaves_out_survey_reminders_but_the_persons_own_keeps_them(
    alpha: Tenant, cohort: Program, client_for, django_capture_on_commit_callbacks
) -> None:
    """The reminder of an anonymous survey went only to who had not answered: in HR's export
    of that person's inbox it would say so. Their own export keeps their inbox whole."""
    _run_check_in(alpha, cohort, django_capture_on_commit_callbacks)
    with alpha.scope():
        person = Participant.objects.get(program=cohort, email=alpha.sponsor.email)
    url = f"/o/alpha/programs/{cohort.slug}/participants/{person.pk}/export.json"
    hr = json.loads(client_for(alpha.hr).get(url).content)
    assert hr["notifications"] is not None
    assert not [n for n in hr["notifications"] if n["subject"] == REMINDER]
    own = json.loads(client_for(alpha.sponsor).get("/o/alpha/me/personal-data.json").content)
    assert [n for n in own["notifications"] if n["subject"] == REMINDER]


def test_how_many_answered_is_withheld_when_it_would_say_who_did(
    alpha: Tenant, cohort: Program, client_for, django_capture_on_commit_callbacks
) -> None:
    """Found in review: two people invited (k is larger), both answer; "2 of 2 answered" said
    that each of them did. Those who answered and those who did not must each be none or at
    least k."""
    capture = django_capture_on_commit_callbacks
    start = timezone.now()
    with alpha.scope():
        cycle = _schedule(cohort, "monthly-check-in", start)
    _dispatch(alpha, capture, start)
    _answer(alpha, cycle, capture)
    _dispatch(alpha, capture, start + timedelta(days=8))  # closed: 1 of 2 answered
    assert alpha.organization.anonymity_threshold > 2
    hr = client_for(alpha.hr)
    surveys = hr.get(f"/o/alpha/programs/{cohort.slug}/feedback/").content.decode()
    results = hr.get(f"/o/alpha/programs/{cohort.slug}/feedback/{cycle.pk}/").content.decode()
    export = hr.get(
        f"/o/alpha/programs/{cohort.slug}/feedback/{cycle.pk}/results.csv"
    ).content.decode()
    assert "1 of 2" not in surveys and "2 invited" in surveys
    assert "1 of 2 answered" not in results and "how many answered is shown when" in results
    assert ",answered,withheld" in export
    with alpha.scope():
        board = dashboard(
            program_ids=[cohort.pk],
            filters=Filters.default(today=timezone.localdate() + timedelta(days=9)),
            k=alpha.organization.anonymity_threshold,
            named=True,
            now=timezone.now() + timedelta(days=9),
        )
    assert [(p.invited, p.answered, p.rate) for p in board.surveys] == [(2, None, None)]


def test_a_renamed_organisation_still_keeps_survey_reminders_out_of_hr_export(
    alpha: Tenant, cohort: Program, client_for, django_capture_on_commit_callbacks
) -> None:
    """Found in review: survey notifications were recognised by the current slug's URL prefix,
    so after the operator renamed the slug, old reminders came back into HR's export."""
    from mentorship.models import Organization

    _run_check_in(alpha, cohort, django_capture_on_commit_callbacks)  # the sponsor is reminded
    Organization.objects.filter(pk=alpha.organization.pk).update(slug="alpha2")
    with alpha.scope():
        person = Participant.objects.get(program=cohort, email=alpha.sponsor.email)
    url = f"/o/alpha2/programs/{cohort.slug}/participants/{person.pk}/export.json"
    data = json.loads(client_for(alpha.hr).get(url).content)
    assert not [n for n in data["notifications"] if n["subject"].startswith("Check-in")]


def test_results_read_how_many_answered_from_the_counts_kept_at_closing(alpha: Tenant) -> None:
    """Closing forgets who answered (every flag reads "not answered"): the figures come from
    the counts the closing kept."""
    from feedback.results import cycle_results
    from tests.feedback.test_results import make_cycle

    with alpha.scope():
        cycle = make_cycle(alpha)
        FeedbackCycle.objects.filter(pk=cycle.pk).update(closed_invited=12, closed_answered=6)
        cycle.refresh_from_db()
        result = cycle_results(cycle=cycle, k=3, filters={}, show_names=False)
    assert (result.invited, result.answered, result.response_rate) == (12, 6, 50)
