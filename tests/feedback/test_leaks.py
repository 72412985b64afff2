"""Ways to trace an anonymous answer back to its person, each shut."""

from __future__ import annotations

from django.utils import timezone

from feedback.models import (
    FeedbackCycle,
    Question,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
)
from feedback.results import cycle_results
from feedback.services import cycles as cycle_services
from feedback.services import responses as response_services
from feedback.services import templates as template_services
from mentorship.models import Role
from programs.models import Program
from programs.services import participants as participant_services
from programs.services import programs as program_services
from programs.services import sponsors as sponsor_services
from tests.conftest import Tenant
from tests.feedback.test_results import answer, make_cycle


def test_combining_filters_or_filtering_a_hidden_group_is_refused(alpha: Tenant) -> None:
    with alpha.scope():
        cycle = make_cycle(alpha)
        for _ in range(5):
            answer(cycle, side="junior", department="Sales", likert=5, text="")
        for _ in range(2):
            answer(cycle, side="senior", department="Sales", likert=1, text="")
        for _ in range(10):
            answer(cycle, side="junior", department="Tech", likert=3, text="")
        nested = cycle_results(
            cycle=cycle, k=5, filters={"side": "junior", "department": "Sales"}, show_names=False
        )
        hidden = cycle_results(cycle=cycle, k=5, filters={"side": "senior"}, show_names=False)
    assert nested.refused_filter and not nested.filters
    assert hidden.refused_filter and not hidden.filters


def test_an_optional_question_under_a_filter_checks_what_it_leaves_out(alpha: Tenant) -> None:
    with alpha.scope():
        cycle = make_cycle(alpha)
        likert = cycle.version.questions.filter(kind=Question.Kind.LIKERT).first()
        for side, dept, n in (("junior", "Sales", 6), ("senior", "Tech", 6)):
            for _ in range(n):
                SurveyResponse.objects.create(
                    organization=alpha.organization, cycle=cycle, side=side, department=dept
                )
        responses = list(SurveyResponse.objects.all())
        # Every junior answered the question; only one senior did.
        for r in responses[:6] + responses[6:7]:
            r.answers.create(
                organization=alpha.organization,
                question=likert,
                number=4 if r.side == "junior" else 1,
            )
        filtered = cycle_results(cycle=cycle, k=5, filters={"side": "junior"}, show_names=False)
    item = next(q for q in filtered.questions if q.question.pk == likert.pk)
    assert item.withheld and item.summary is None


def test_results_only_after_closing_and_names_and_texts_of_by_name_surveys_for_hr_only(
    alpha: Tenant, client_for
) -> None:
    with alpha.scope():
        cycle = make_cycle(alpha, "pairing-fit")
        sponsor_services.program_sponsor_add(
            program=cycle.program, membership=alpha.members[Role.SPONSOR]
        )
        text_q = cycle.version.questions.get(kind=Question.Kind.TEXT)
        for n in range(5):
            person = participant_services.participant_add(
                program=cycle.program,
                email=f"n{n}@example.com",
                invited_by=None,
                first_name="Named",
                last_name=f"N{n}",
                side="junior",
            )
            r = SurveyResponse.objects.create(
                organization=alpha.organization, cycle=cycle, side="junior", attributed_to=person
            )
            r.answers.create(
                organization=alpha.organization, question=text_q, text=f"private remark {n}"
            )
    url = f"/o/alpha/programs/{cycle.program.slug}/feedback/{cycle.pk}/"
    hr_page = client_for(alpha.hr).get(url).content.decode()
    assert "Named N0" in hr_page and "private remark 0" in hr_page
    sponsor_page = client_for(alpha.sponsor).get(url).content.decode()
    assert "Named N0" not in sponsor_page and "private remark" not in sponsor_page
    with alpha.scope():
        FeedbackCycle.objects.filter(pk=cycle.pk).update(status="open")
    assert "Results appear when the survey closes" in client_for(alpha.hr).get(url).content.decode()


def test_a_sponsor_of_another_program_sees_nothing(alpha: Tenant, client_for) -> None:
    with alpha.scope():
        cycle = make_cycle(alpha)
        other = program_services.program_create(organization=alpha.organization, name="Other")
        sponsor_services.program_sponsor_add(program=other, membership=alpha.members[Role.SPONSOR])
    url = f"/o/alpha/programs/{cycle.program.slug}/feedback/{cycle.pk}/"
    assert client_for(alpha.sponsor).get(url).status_code == 404
    assert client_for(alpha.sponsor).get(url + "results.csv").status_code == 404


def test_closing_forgets_when_people_were_invited_and_reminded(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="P")
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        participant_services.participant_add(
            program=program,
            email=alpha.participant.email,
            invited_by=None,
            first_name="A",
            last_name="B",
            side="junior",
        )
        template_services.templates_ensure_builtin(organization=alpha.organization)
        cycle_services.cycle_create(
            program=program,
            template=SurveyTemplate.objects.get(builtin_key="monthly-check-in"),
            opens_at=timezone.now(),
        )
        with django_capture_on_commit_callbacks(execute=True):
            cycle_services.cycles_dispatch(organization=alpha.organization)
            # Someone approved after the survey opened is invited on the next tick.
            participant_services.participant_add(
                program=program,
                email=alpha.sponsor.email,
                invited_by=None,
                first_name="C",
                last_name="D",
                side="senior",
                level=9,
            )
            cycle_services.cycles_dispatch(organization=alpha.organization)
        assert SurveyInvitation.objects.filter(sent_at__isnull=False).count() == 2
        cycle_services.cycles_dispatch(
            organization=alpha.organization, now=timezone.now() + timezone.timedelta(days=8)
        )
        assert not SurveyInvitation.objects.filter(sent_at__isnull=False).exists()
        assert not SurveyInvitation.objects.filter(reminded_at__isnull=False).exists()


def test_question_positions_stay_unique_after_removals(alpha: Tenant) -> None:
    with alpha.scope():
        template = template_services.template_create(
            organization=alpha.organization, name="T", description="", attributed=False
        )
        for text in ("Q0", "Q1", "Q2"):
            template_services.question_add(
                template=template, text=text, kind="likert", required=True, choices=[]
            )
        template_services.question_remove(template=template, position=1)
        template_services.question_add(
            template=template, text="Q3", kind="likert", required=True, choices=[]
        )
        template_services.question_remove(template=template, position=2)
        version = template.versions.order_by("-number").first()
        assert [q.text for q in version.questions.all()] == ["Q0", "Q3"]


def test_someone_without_objectives_can_finish_the_end_of_program_survey(alpha: Tenant) -> None:
    with alpha.scope():
        cycle = make_cycle(alpha, "end-of-program")
        FeedbackCycle.objects.filter(pk=cycle.pk).update(status="open")
        cycle.refresh_from_db()
        person = participant_services.participant_add(
            program=cycle.program,
            email=alpha.participant.email,
            invited_by=None,
            first_name="A",
            last_name="B",
            side="junior",
        )
        invitation = SurveyInvitation.objects.create(
            organization=alpha.organization, cycle=cycle, participant=person
        )
        answers = {
            q.pk: (4 if q.kind == "likert" else 9 if q.kind == "nps" else None)
            for q in cycle.version.questions.all()
        }
        response_services.response_submit(
            invitation=invitation, answers=answers, actor=alpha.participant
        )
        invitation.refresh_from_db()
        assert invitation.answered
