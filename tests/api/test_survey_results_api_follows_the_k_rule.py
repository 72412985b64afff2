"""A survey's results through the API are the results page's, figure for figure: what the page
(and its CSV export) withholds is absent from the JSON with the reason, whatever the k, the
answers, the side or the department asked; a filter the page does not offer gives no figures at
all; an open survey gives none; and no free-text answer, answer by name or concern ever shows."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.models import FeedbackCycle, Question, SurveyResponse
from feedback.results import cycle_results
from feedback.services import concerns as concern_services
from tests.api.support import api_client
from tests.api.test_surveys_api_counts_answers_as_the_pages_do import (
    TEXT_MARKER,
    answer,
    close,
    open_survey,
    people,
)
from tests.conftest import Tenant
from tests.factories import MembershipFactory, ParticipantFactory

CONCERN_MARKER = "concern-marker-b20e"


def results_url(cycle: FeedbackCycle) -> str:
    return f"/api/v1/surveys/{cycle.pk}/results/"


def export(client_for: Any, tenant: Tenant, cycle: FeedbackCycle, asked: dict) -> list[list]:
    """The rows of the results page's CSV, as an HR admin downloads it."""
    url = f"/o/{tenant.organization.slug}/programs/{cycle.program.slug}/feedback/{cycle.pk}/"
    response = client_for(tenant.hr).get(url + "results.csv", asked)
    assert response.status_code == 200
    return [row for row in csv.reader(io.StringIO(response.content.decode())) if row]


def assert_same_as_the_page(
    tenant: Tenant, client_for: Any, cycle: FeedbackCycle, asked: dict[str, str]
) -> dict[str, Any]:
    """The API's results of ``cycle`` for the filters ``asked`` show exactly what the results
    page's CSV shows (text answers aside, which the API never shows); returns the JSON."""
    response = api_client(tenant.organization).get(results_url(cycle), asked)
    assert response.status_code == 200, response.content
    body = response.json()
    assert TEXT_MARKER not in response.content.decode()
    rows = export(client_for, tenant, cycle, asked)
    page = {(q, item): value for q, item, value in rows}
    assert body["invited"] == int(page[("", "invited")])
    if page[("", "answered")] == "withheld":
        assert body["answered"]["withheld"] is True and body["answered"]["reason"]
    else:
        assert body["answered"] == {"withheld": False, "count": int(page[("", "answered")])}
    if ("", "results") in page:
        assert body["withheld"] is True and body["reason"].startswith("Fewer than")
        assert "questions" not in body and "departments" not in body
        return body
    with tenant.scope():
        refused = cycle_results(
            cycle=FeedbackCycle.objects.get(pk=cycle.pk),
            k=tenant.organization.anonymity_threshold,
            filters=asked,
            show_names=False,
        ).refused_filter
    if refused:
        # The page shows everyone instead, under a message: the API shows nothing.
        assert (body["withheld"], body["reason"]) == (True, refused)
        assert "questions" not in body
        return body
    assert body["withheld"] is False and "reason" not in body
    by_department = [(name, value) for q, name, value in rows if q == "respondents by department"]
    assert body["departments"] == [
        {"department": name, "respondents": int(value)}
        for name, value in by_department
        if value != "withheld"
    ]
    assert ("other_departments" in body) == any(v == "withheld" for _, v in by_department)
    for question in body["questions"]:
        text = question["text"]
        if page.get((text, "")) == "withheld":
            assert question["withheld"] is True and question["reason"]
            assert "count" not in question and "average" not in question
            continue
        assert question["withheld"] is False
        if (text, "respondents") in page:
            assert question["count"] == int(page[(text, "respondents")])
            assert question["average"] == float(page[(text, "average")])
            assert question.get("nps") == (
                float(page[(text, "NPS")]) if (text, "NPS") in page else None
            )
            assert {d["value"]: d["count"] for d in question["distribution"]} == {
                int(item): int(value)
                for q, item, value in rows
                if q == text and item.lstrip("-").isdigit()
            }
        elif question["kind"] in ("single", "multiple"):
            assert {c["choice"]: c["count"] for c in question["choices"]} == {
                item: int(value) for q, item, value in rows if q == text
            }
        else:
            assert "average" not in question and "distribution" not in question
    return body


def test_results_show_what_the_page_shows_and_no_text(alpha: Tenant, client_for) -> None:
    program = people(alpha, [("junior", "Sales", 5), ("junior", "Tech", 3), ("senior", "Ops", 5)])
    cycle = open_survey(alpha, program)
    with alpha.scope():
        participants = list(program.participants.order_by("pk"))
        concern_services.concern_raise(
            participant=participants[0], kind="help", text=CONCERN_MARKER
        )
    answer(alpha, cycle, participants[:8], likert=4)
    answer(alpha, cycle, participants[8:], likert=2)
    close(alpha, cycle)
    body = assert_same_as_the_page(alpha, client_for, cycle, {})
    # Tech (3) is below k: not named; nor is Sales, or juniors minus Sales would be Tech.
    assert [d["department"] for d in body["departments"]] == ["Ops"]
    assert body["other_departments"]["withheld"] is True
    likert = next(q for q in body["questions"] if q["kind"] == "likert")
    assert (likert["count"], likert["average"]) == (13, round((8 * 4 + 5 * 2) / 13, 2))
    text = next(q for q in body["questions"] if q["kind"] == "text")
    assert set(text) == {"id", "position", "text", "kind", "withheld"}
    seniors = assert_same_as_the_page(alpha, client_for, cycle, {"side": "senior"})
    assert [q["count"] for q in seniors["questions"] if q["kind"] == "likert"] == [5, 5]
    # Tech is not offered: alone it is fewer than k.
    refused = assert_same_as_the_page(alpha, client_for, cycle, {"department": "Tech"})
    assert refused["withheld"] is True and "not offered" in refused["reason"]
    client = api_client(alpha.organization)
    for asked in ({}, {"side": "junior"}, {"department": "Sales"}, {"department": "Ops"}):
        content = client.get(results_url(cycle), asked).content.decode()
        assert TEXT_MARKER not in content and CONCERN_MARKER not in content


def test_too_few_answers_and_open_surveys_give_no_figures(alpha: Tenant, client_for) -> None:
    program = people(alpha, [("junior", "Sales", 6)])
    cycle = open_survey(alpha, program)
    with alpha.scope():
        participants = list(program.participants.order_by("pk"))
    answer(alpha, cycle, participants[:4])
    client = api_client(alpha.organization)
    still_open = client.get(results_url(cycle)).json()
    assert still_open["withheld"] is True and "when the survey closes" in still_open["reason"]
    assert still_open["answered"]["withheld"] is True
    assert "questions" not in still_open
    close(alpha, cycle)
    few = assert_same_as_the_page(alpha, client_for, cycle, {})
    assert few["reason"].startswith("Fewer than 5 people answered")
    assert few["answered"]["withheld"] is True  # 4 of 6: the 2 who did not would be known


def test_answers_by_name_never_show(alpha: Tenant, client_for) -> None:
    program = people(alpha, [("junior", "Sales", 5)])
    cycle = open_survey(alpha, program, key="pairing-fit")
    with alpha.scope():
        participants = list(program.participants.order_by("pk"))
        names = [p.full_name for p in participants]
    answer(alpha, cycle, participants)
    close(alpha, cycle)
    body = assert_same_as_the_page(alpha, client_for, cycle, {})
    assert body["answered"] == {"withheld": False, "count": 5}
    content = api_client(alpha.organization).get(results_url(cycle)).content.decode()
    assert not any(name in content for name in names)


def test_bad_filters_are_refused_with_400(alpha: Tenant) -> None:
    cycle = close(alpha, open_survey(alpha, people(alpha, [("junior", "Sales", 1)])))
    client = api_client(alpha.organization)
    for bad in ({"side": "both"}, {"department": "x" * 81}):
        response = client.get(results_url(cycle), bad)
        assert response.status_code == 400
        assert set(response.json()["fields"]) == set(bad)


respondents = st.lists(
    st.tuples(
        st.sampled_from(["junior", "senior"]),
        st.sampled_from(["Sales", "Tech", "Legal", ""]),
        st.integers(1, 5),
    ),
    max_size=14,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    respondents,
    st.integers(3, 6),
    st.sampled_from(["", "junior", "senior"]),
    st.sampled_from(["", "Sales", "Tech", "Legal", "No department given"]),
)
def test_whatever_the_answers_the_api_discloses_what_the_page_does(
    alpha: Tenant, client_for, respondents, k, side, department
) -> None:
    with transaction.atomic():
        alpha.organization.anonymity_threshold = k
        alpha.organization.save()
        program = people(alpha, [])
        cycle = open_survey(alpha, program)
        with alpha.scope():
            FeedbackCycle.objects.filter(pk=cycle.pk).update(status="closed")
            likert = cycle.version.questions.filter(kind=Question.Kind.LIKERT)
            for n, (who, dept, value) in enumerate(respondents):
                ParticipantFactory(
                    program=program,
                    membership=MembershipFactory(organization=alpha.organization),
                    side=who,
                    department=dept,
                )
                response = SurveyResponse.objects.create(
                    organization=alpha.organization, cycle=cycle, side=who, department=dept
                )
                for question in likert:
                    response.answers.create(
                        organization=alpha.organization, question=question, number=value
                    )
                text = cycle.version.questions.get(kind=Question.Kind.TEXT)
                response.answers.create(
                    organization=alpha.organization, question=text, text=f"{TEXT_MARKER}{n}"
                )
        assert_same_as_the_page(alpha, client_for, cycle, {"side": side, "department": department})
        transaction.set_rollback(True)
