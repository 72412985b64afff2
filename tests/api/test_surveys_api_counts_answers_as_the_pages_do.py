"""The surveys API lists the organisation's surveys with their window, status and counts: how
many answered only once a survey closes, and only where the pages show it (withheld, with the
reason, otherwise, under the k of the survey's results page); another organisation's surveys
answer 404; ``updated_since`` sees a survey open and close; the list costs the same at any
size."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from feedback import results as feedback_results
from feedback import selectors as feedback_selectors
from feedback.models import FeedbackCycle, Question, SurveyInvitation, SurveyTemplate
from feedback.services import cycles as cycle_services
from feedback.services import responses as response_services
from feedback.services import templates as template_services
from mentorship import services as kernel
from programs.models import Participant, Program
from tests.api.support import api_client, results
from tests.conftest import Tenant
from tests.factories import MembershipFactory, ParticipantFactory, ProgramFactory
from tests.queries import assert_queries_do_not_grow

URL = "/api/v1/surveys/"
TEXT_MARKER = "text-answer-marker-3f9a"


def people(tenant: Tenant, groups: list[tuple[str, str, int]]) -> Program:
    """An active program with, per (side, department, how many), that many member participants."""
    program = ProgramFactory(organization=tenant.organization, status=Program.Status.ACTIVE)
    for side, department, n in groups:
        for _ in range(n):
            ParticipantFactory(
                program=program,
                membership=MembershipFactory(organization=tenant.organization),
                side=side,
                department=department,
            )
    return program


def open_survey(tenant: Tenant, program: Program, key: str = "monthly-check-in") -> FeedbackCycle:
    """A survey of the built-in template ``key``, opened by the dispatcher."""
    with tenant.scope():
        template_services.templates_ensure_builtin(organization=tenant.organization)
        cycle = cycle_services.cycle_create(
            program=program,
            template=SurveyTemplate.objects.get(builtin_key=key),
            opens_at=timezone.now(),
        )
        cycle_services.cycles_dispatch(organization=tenant.organization, only=cycle)
        cycle.refresh_from_db()
    return cycle


def answers_for(cycle: FeedbackCycle, likert: int = 4) -> dict[int, Any]:
    given: dict[int, Any] = {}
    for question in cycle.version.questions.all():
        if question.kind == Question.Kind.LIKERT:
            given[question.pk] = likert
        elif question.kind == Question.Kind.NPS:
            given[question.pk] = 9
        elif question.kind == Question.Kind.SINGLE:
            given[question.pk] = question.choices[1]
        elif question.kind == Question.Kind.TEXT:
            given[question.pk] = f"{TEXT_MARKER} {question.pk}"
    return given


def answer(tenant: Tenant, cycle: FeedbackCycle, who: list[Participant], likert: int = 4) -> None:
    with tenant.scope():
        for participant in who:
            invitation = SurveyInvitation.objects.select_related("cycle__version").get(
                cycle=cycle, participant=participant
            )
            response_services.response_submit(
                invitation=invitation,
                answers=answers_for(cycle, likert),
                actor=participant.membership.user,
            )


def close(tenant: Tenant, cycle: FeedbackCycle) -> FeedbackCycle:
    with tenant.scope():
        later = feedback_selectors.closes_at(cycle) + timedelta(minutes=1)
        cycle_services.cycles_dispatch(organization=tenant.organization, now=later, only=cycle)
        cycle.refresh_from_db()
    assert cycle.status == FeedbackCycle.Status.CLOSED
    return cycle


def survey_answered_by(tenant: Tenant, answering: int, of: int) -> FeedbackCycle:
    """A closed anonymous survey of ``of`` juniors of one department, ``answering`` of whom
    answered."""
    program = people(tenant, [("junior", "Sales", of)])
    cycle = open_survey(tenant, program)
    with tenant.scope():
        who = list(program.participants.order_by("pk")[:answering])
    answer(tenant, cycle, who)
    return close(tenant, cycle)


def answered_on_results_page(tenant: Tenant, cycle: FeedbackCycle) -> int | None:
    with tenant.scope():
        tenant.organization.refresh_from_db()
        return feedback_results.cycle_results(
            cycle=FeedbackCycle.objects.get(pk=cycle.pk),
            k=tenant.organization.anonymity_threshold,
            filters={},
            show_names=True,
        ).answered


def test_a_survey_shows_its_window_and_status_and_answers_only_once_closed(
    alpha: Tenant,
) -> None:
    program = people(alpha, [("junior", "Sales", 5), ("senior", "Tech", 5)])
    cycle = open_survey(alpha, program)
    client = api_client(alpha.organization)
    survey = client.get(f"{URL}{cycle.pk}/").json()
    assert survey["status"] == "open" and survey["program"] == program.pk
    assert survey["template_name"] == "Monthly check-in" and survey["anonymous"] is True
    assert survey["invited"] == 10
    assert survey["answered"]["withheld"] is True and "closes" in survey["answered"]["reason"]
    assert "count" not in survey["answered"]
    assert set(survey) == {
        "id",
        "program",
        "program_name",
        "title",
        "template_name",
        "audience",
        "status",
        "anonymous",
        "on_demand",
        "repeat_weeks",
        "opens_at",
        "closes_at",
        "opened_at",
        "closed_at",
        "created_at",
        "updated_at",
        "invited",
        "answered",
    }
    with alpha.scope():
        answer(alpha, cycle, list(program.participants.all()))
    assert client.get(f"{URL}{cycle.pk}/").json()["answered"]["withheld"] is True
    close(alpha, cycle)
    survey = client.get(f"{URL}{cycle.pk}/").json()
    assert survey["status"] == "closed" and survey["answered"] == {"withheld": False, "count": 10}
    assert results(client.get(URL)) == [survey]
    assert TEXT_MARKER not in client.get(URL).content.decode()


def test_how_many_answered_is_withheld_where_the_pages_withhold_it(alpha: Tenant) -> None:
    kernel.organization_update(
        organization=alpha.organization,
        actor=alpha.hr,
        name="Alpha",
        anonymity_threshold=3,
        mfa_required=False,
    )
    shown = survey_answered_by(alpha, 3, of=6)  # 3 answered, 3 did not: each at least k
    some = survey_answered_by(alpha, 4, of=6)  # 2 did not: who they are could be guessed
    client = api_client(alpha.organization)
    listed = {s["id"]: s["answered"] for s in results(client.get(URL))}
    assert listed[shown.pk] == {"withheld": False, "count": 3}
    assert listed[some.pk]["withheld"] is True and "at least 3" in listed[some.pk]["reason"]
    with alpha.scope():
        rows = {
            c.pk: answered
            for c, _, answered in feedback_selectors.cycle_rows(program=shown.program, k=3)
        }
    assert rows[shown.pk] == 3  # the Surveys page says the same
    # A raised k narrows the plans; lowered again, a plan is never widened: the results page
    # keeps the stricter k, and so does the API.
    for k in (4, 3):
        kernel.organization_update(
            organization=alpha.organization,
            actor=alpha.hr,
            name="Alpha",
            anonymity_threshold=k,
            mfa_required=False,
        )
    assert answered_on_results_page(alpha, shown) is None
    assert client.get(f"{URL}{shown.pk}/").json()["answered"]["withheld"] is True


def test_surveys_filter_by_program_and_status(alpha: Tenant) -> None:
    first = open_survey(alpha, people(alpha, [("junior", "Sales", 1)]))
    second = close(alpha, open_survey(alpha, people(alpha, [("junior", "Sales", 1)])))
    client = api_client(alpha.organization)
    assert [s["id"] for s in results(client.get(URL, {"program": first.program_id}))] == [first.pk]
    assert [s["id"] for s in results(client.get(URL, {"status": "closed"}))] == [second.pk]
    for bad in ({"program": "one"}, {"status": "finished"}):
        assert client.get(URL, bad).status_code == 400


def test_another_organisations_surveys_are_missing(alpha: Tenant, beta: Tenant) -> None:
    mine = open_survey(alpha, people(alpha, [("junior", "Sales", 1)]))
    theirs = close(beta, open_survey(beta, people(beta, [("junior", "Sales", 1)])))
    client = api_client(alpha.organization)
    assert [s["id"] for s in results(client.get(URL))] == [mine.pk]
    for path in (f"{URL}{theirs.pk}/", f"{URL}{theirs.pk}/results/"):
        assert client.get(path).status_code == 404
    assert results(client.get(URL, {"program": theirs.program_id})) == []


def test_updated_since_sees_a_survey_open_and_close(alpha: Tenant) -> None:
    program = people(alpha, [("junior", "Sales", 2)])
    with alpha.scope():
        template_services.templates_ensure_builtin(organization=alpha.organization)
        cycle = cycle_services.cycle_create(
            program=program,
            template=SurveyTemplate.objects.get(builtin_key="monthly-check-in"),
            opens_at=timezone.now(),
        )
        FeedbackCycle.objects.update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    client = api_client(alpha.organization)
    assert results(client.get(URL, {"updated_since": since})) == []
    with alpha.scope():
        cycle_services.cycles_dispatch(organization=alpha.organization, only=cycle)
    assert [s["status"] for s in results(client.get(URL, {"updated_since": since}))] == ["open"]
    with alpha.scope():
        FeedbackCycle.objects.update(updated_at=timezone.now() - timedelta(days=2))
    close(alpha, cycle)
    assert [s["status"] for s in results(client.get(URL, {"updated_since": since}))] == ["closed"]


def test_the_surveys_list_costs_the_same_at_any_size(alpha: Tenant) -> None:
    program = people(alpha, [("junior", "Sales", 3)])
    close(alpha, open_survey(alpha, program))
    open_survey(alpha, program)
    client = api_client(alpha.organization)
    client.get(URL)  # the key's first use is recorded once a minute: not part of the pin

    def grow() -> None:
        for _ in range(3):
            close(alpha, open_survey(alpha, program))
            open_survey(alpha, program)

    _small, large = assert_queries_do_not_grow(
        # The key, the page of surveys (with templates), the invitations of those still open.
        lambda: client.get(URL),
        grow=grow,
        pinned=3,
    )
    assert len(large.result.json()["results"]) == 8
