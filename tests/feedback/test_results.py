"""Results show nothing about a group smaller than k: not on the page, not in the export, not
by filtering, not by subtracting two figures."""

from __future__ import annotations

import csv
import io
import re

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.models import (
    FeedbackCycle,
    Question,
    SurveyResponse,
    SurveyTemplate,
    TopicRating,
)
from feedback.results import cycle_results
from feedback.services import cycles as cycle_services
from feedback.services import templates as template_services
from feedback.summaries import summarize_cycles
from mentorship.models import Role
from programs.models import Program
from programs.services import participants as participant_services
from programs.services import programs as program_services
from programs.services import sponsors as sponsor_services
from programs.services import topics as topic_services
from tests.conftest import Tenant
from tests.queries import assert_queries_do_not_grow


def make_cycle(alpha: Tenant, key: str = "monthly-check-in") -> FeedbackCycle:
    program = program_services.program_create(organization=alpha.organization, name="Cohort")
    Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
    template_services.templates_ensure_builtin(organization=alpha.organization)
    cycle = cycle_services.cycle_create(
        program=program,
        template=SurveyTemplate.objects.get(builtin_key=key),
        opens_at=timezone.now(),
    )
    FeedbackCycle.objects.filter(pk=cycle.pk).update(status="closed", opened_at=timezone.now())
    cycle.refresh_from_db()
    return cycle


def answer(cycle: FeedbackCycle, *, side: str, department: str, likert: int, text: str) -> None:
    response = SurveyResponse.objects.create(
        organization=cycle.organization, cycle=cycle, side=side, department=department
    )
    for q in cycle.version.questions.all():
        if q.kind == Question.Kind.LIKERT:
            response.answers.create(organization=cycle.organization, question=q, number=likert)
        elif q.kind == Question.Kind.TEXT:
            response.answers.create(organization=cycle.organization, question=q, text=text)


def test_a_sponsor_sees_results_only_where_k_answered(alpha: Tenant, client_for) -> None:
    with alpha.scope():
        cycle = make_cycle(alpha)
        sponsor_services.program_sponsor_add(
            program=cycle.program, membership=alpha.members[Role.SPONSOR]
        )
        for n in range(4):
            answer(cycle, side="junior", department="Sales", likert=4, text=f"secret {n}")
    url = f"/o/alpha/programs/{cycle.program.slug}/feedback/{cycle.pk}/"
    sponsor = client_for(alpha.sponsor)
    page = sponsor.get(url).content.decode()
    assert "Fewer than 5 people answered" in page and "secret" not in page
    assert "secret" not in sponsor.get(url + "results.csv").content.decode()
    with alpha.scope():
        answer(cycle, side="senior", department="Tech", likert=2, text="secret 4")
        # As if this answer had come before closing: a plan is fixed at closing, from answers
        # that no longer change.
        FeedbackCycle.objects.filter(pk=cycle.pk).update(release_plan=None)
    page = sponsor.get(url).content.decode()
    assert "average 3.6" in page and "secret 4" in page
    # The breakdown hides Tech (1) and, so that subtraction cannot find it, Sales too; hidden
    # departments are not even named.
    assert (
        "Other departments (each fewer than 5, or too few beside the others): <em>withheld" in page
    )
    assert "Tech" not in page
    refused = sponsor.get(url + "?department=Sales").content.decode()
    assert "This filter is not offered" in refused
    # Another program's sponsor, and participants, see nothing.
    assert client_for(alpha.participant).get(url).status_code == 404


def test_names_of_attributed_answers_are_for_hr_admins_only(alpha: Tenant, client_for) -> None:
    with alpha.scope():
        cycle = make_cycle(alpha, "pairing-fit")
        sponsor_services.program_sponsor_add(
            program=cycle.program, membership=alpha.members[Role.SPONSOR]
        )
        for n in range(5):
            person = participant_services.participant_add(
                program=cycle.program,
                email=f"p{n}@example.com",
                invited_by=None,
                first_name="Named",
                last_name=f"Person{n}",
                side="junior",
            )
            SurveyResponse.objects.create(
                organization=alpha.organization, cycle=cycle, side="junior", attributed_to=person
            )
    url = f"/o/alpha/programs/{cycle.program.slug}/feedback/{cycle.pk}/"
    assert "Named Person0" in client_for(alpha.hr).get(url).content.decode()
    assert "Named Person0" not in client_for(alpha.sponsor).get(url).content.decode()


people = st.lists(
    st.tuples(
        st.sampled_from(["junior", "senior"]),
        st.sampled_from(["Sales", "Tech", "Legal", ""]),
        st.integers(1, 5),
    ),
    max_size=14,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    people,
    st.integers(3, 6),
    st.sampled_from(["", "junior", "senior"]),
    st.sampled_from(["", "Sales", "Tech", "Legal"]),
)
def test_no_rendered_result_or_export_reveals_a_group_smaller_than_k(
    alpha: Tenant, client_for, respondents, k, side, department
) -> None:
    alpha.organization.anonymity_threshold = k
    alpha.organization.save()
    with transaction.atomic():
        with alpha.scope():
            cycle = make_cycle(alpha)
            for n, (who, dept, likert) in enumerate(respondents):
                answer(cycle, side=who, department=dept, likert=likert, text=f"TEXT{n}")
            result = cycle_results(
                cycle=cycle, k=k, filters={"side": side, "department": department}, show_names=True
            )
        population = len(respondents)
        shown_counts = [count for _, count in result.departments if count is not None]
        assert all(c >= k for c in shown_counts)
        hidden = population - sum(shown_counts) if result.departments else 0
        assert hidden == 0 or hidden >= k or not shown_counts
        for q in result.questions:
            if q.summary is not None:
                assert q.summary.count >= k
            assert not q.texts or q.count >= k
        if result.filters:
            chosen = [
                r
                for r in respondents
                if (not side or r[0] == side)
                and (not department or (r[1] or "No department given") == department)
            ]
            # Two released groups may not meet (an empty intersection shows no answers).
            assert len(chosen) == 0 or len(chosen) >= k
            assert population - len(chosen) == 0 or population - len(chosen) >= k
        base = f"/o/alpha/programs/{cycle.program.slug}/feedback/{cycle.pk}/"
        url = f"{base}?side={side}&department={department}"
        client = client_for(alpha.hr)
        page = client.get(url).content.decode()
        export = client.get(url.replace("/?", "/results.csv?")).content.decode()
        if population < k:
            assert "TEXT" not in page and "TEXT" not in export
        for number in (int(n) for n in re.findall(r"(\d+) answers", page)):
            assert number >= k
        for row in csv.reader(io.StringIO(export)):
            if len(row) == 3 and row[1] == "respondents":
                assert int(row[2]) >= k
        transaction.set_rollback(True)


def test_trend_and_skills_across_surveys_respect_k(alpha: Tenant, client_for) -> None:
    from feedback.results import program_results
    from programs.models import LearningObjective

    with alpha.scope():
        cycle = make_cycle(alpha)
        for _ in range(5):
            answer(cycle, side="junior", department="Sales", likert=4, text="")
        program = cycle.program
        end = cycle_services.cycle_create(
            program=program,
            template=SurveyTemplate.objects.get(builtin_key="end-of-program"),
            opens_at=timezone.now(),
        )
        FeedbackCycle.objects.filter(pk=end.pk).update(status="closed", opened_at=timezone.now())
        ratings_q = end.version.questions.get(kind=Question.Kind.OBJECTIVE_RATINGS)
        topic = topic_services.topics_get_or_create(
            organization=alpha.organization, names=["AI tools"]
        )[0]
        for n in range(5):
            person = participant_services.participant_add(
                program=program,
                email=f"p{n}@example.com",
                invited_by=None,
                first_name="P",
                last_name=str(n),
                side="senior",
                level=9,
            )
            LearningObjective.objects.create(
                organization=alpha.organization,
                participant=person,
                topic=topic,
                success_criteria="x",
                baseline_rating=2,
            )
            SurveyResponse.objects.create(organization=alpha.organization, cycle=end, side="senior")
            TopicRating.objects.create(
                organization=alpha.organization,
                cycle=end,
                question=ratings_q,
                topic_name="AI tools",
                rating=4,
                side="senior",
            )
        summarize_cycles(cycle_ids=[cycle.pk, end.pk])  # as closing does
        overview = program_results(program=program, k=5)
    monthly = [t for t in overview.trend if t.cycle.title == "Monthly check-in"]
    assert [t.average for t in monthly] == [4.0]
    assert overview.skills == [("AI tools", 2.0, 4.0, 2.0)]
    page = client_for(alpha.hr).get(f"/o/alpha/programs/{program.slug}/feedback/").content.decode()
    assert "Skills before and after" in page and "+2.0" in page
    with alpha.scope():
        overview_k6 = program_results(program=program, k=6)
    assert overview_k6.skills == []  # a topic nothing is shown of is not even named
    assert all(t.average is None for t in overview_k6.trend)


def test_the_surveys_page_costs_the_same_queries_for_any_number_of_surveys(
    alpha: Tenant, client_for
) -> None:
    with alpha.scope():
        cycle = make_cycle(alpha)
    url = f"/o/alpha/programs/{cycle.program.slug}/feedback/"
    client = client_for(alpha.hr)

    def page() -> None:
        assert client.get(url).status_code == 200

    def grow() -> None:
        with alpha.scope():
            for _ in range(5):
                cycle_services.cycle_create(
                    program=cycle.program,
                    template=SurveyTemplate.objects.get(builtin_key="monthly-check-in"),
                    opens_at=timezone.now(),
                )

    page()  # the closed survey's release plan is made once, on first reading
    assert_queries_do_not_grow(page, grow=grow)


def _shown_counts(result) -> dict[int, int]:
    """Per question, the number of answers a figure was computed from, where one is shown."""
    return {q.question.pk: q.summary.count for q in result.questions if q.summary is not None}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["junior", "senior"]),
            st.sampled_from(["Sales", "Tech", ""]),
            st.one_of(st.none(), st.integers(1, 5)),  # None: skipped the scale question
        ),
        max_size=16,
    ),
    st.integers(3, 5),
)
def test_no_two_views_differ_by_fewer_than_k_answers(
    alpha: Tenant, client_for, respondents, k
) -> None:
    """Every view a viewer can ask for (everyone, each side, each department) is compared with
    the unfiltered one: the answers a shown filtered figure leaves out, found by subtracting
    the two, are none or at least k. The CSV of each view carries the same figures as its page."""
    alpha.organization.anonymity_threshold = k
    alpha.organization.save()
    with transaction.atomic():
        with alpha.scope():
            cycle = make_cycle(alpha)
            scale = cycle.version.questions.filter(kind=Question.Kind.LIKERT).first()
            for who, dept, likert in respondents:
                response = SurveyResponse.objects.create(
                    organization=cycle.organization, cycle=cycle, side=who, department=dept
                )
                if likert is not None:
                    response.answers.create(
                        organization=cycle.organization, question=scale, number=likert
                    )
            views = [{}] + [{"side": s} for s in ("junior", "senior")]
            views += [{"department": d} for d in ("Sales", "Tech", "No department given")]
            results = {
                tuple(view.items()): cycle_results(cycle=cycle, k=k, filters=view, show_names=False)
                for view in views
            }
        everyone = _shown_counts(results[()])
        for view, result in results.items():
            if not result.filters:
                continue
            for question_id, count in _shown_counts(result).items():
                assert count >= k
                if question_id in everyone:
                    left_out = everyone[question_id] - count
                    assert left_out == 0 or left_out >= k, (view, count, everyone[question_id])
            # The respondents a filter keeps and leaves out both reach k.
            kept = sum(
                1
                for who, dept, _ in respondents
                if dict(view).get("side", who) == who
                and dict(view).get("department", dept or "No department given")
                == (dept or "No department given")
            )
            assert kept >= k and (len(respondents) - kept == 0 or len(respondents) - kept >= k)
        client = client_for(alpha.hr)
        base = f"/o/alpha/programs/{cycle.program.slug}/feedback/{cycle.pk}/"
        for view, result in results.items():
            query = "&".join(f"{key}={value}" for key, value in view)
            export = client.get(f"{base}results.csv?{query}").content.decode()
            exported = [
                int(row[2])
                for row in csv.reader(io.StringIO(export))
                if len(row) == 3 and row[1] == "respondents"
            ]
            assert exported == list(_shown_counts(result).values())
        transaction.set_rollback(True)
