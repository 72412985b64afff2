"""HR admins write their own surveys; changing one in use never rewrites past answers."""

from __future__ import annotations

from django.utils import timezone

from feedback.models import FeedbackCycle, SurveyTemplate
from feedback.services import cycles as cycle_services
from feedback.services import templates as template_services
from programs.services import programs as program_services
from tests.conftest import Tenant


def test_hr_writes_a_survey_and_editing_it_later_keeps_past_questions(
    alpha: Tenant, client_for
) -> None:
    hr = client_for(alpha.hr)
    hr.post("/o/alpha/surveys/", {"name": "Tools pulse", "description": "Which tools help?"})
    with alpha.scope():
        template = SurveyTemplate.objects.get(name="Tools pulse")
    page = f"/o/alpha/surveys/templates/{template.pk}/"
    bad = hr.post(
        page, {"text": "Which tool?", "kind": "single", "required": "on", "choices": "Only one"}
    ).content.decode()
    assert "at least two choices" in bad
    hr.post(
        page,
        {
            "text": "Which tool?",
            "kind": "single",
            "required": "on",
            "choices": "Chat\nDocs\nBoards",
        },
    )
    hr.post(page, {"text": "How useful?", "kind": "likert", "required": "on"})
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="P")
        cycle = cycle_services.cycle_create(
            program=program, template=template, opens_at=timezone.now()
        )
        assert [q.text for q in cycle.version.questions.all()] == ["Which tool?", "How useful?"]
    # Now in use: a change makes version 2; the scheduled cycle keeps version 1.
    assert "creates version 2" in hr.get(page).content.decode()
    hr.post(page + "remove-question/", {"position": 0})
    with alpha.scope():
        cycle = FeedbackCycle.objects.get(pk=cycle.pk)
        assert [q.text for q in cycle.version.questions.all()] == ["Which tool?", "How useful?"]
        latest = template.versions.order_by("-number").first()
        assert latest.number == 2 and [q.text for q in latest.questions.all()] == ["How useful?"]
    assert client_for(alpha.sponsor).get("/o/alpha/surveys/").status_code == 404


def test_removing_a_question_that_is_gone_says_so_and_makes_no_version(
    alpha: Tenant, client_for
) -> None:

    with alpha.scope():
        template_services.templates_ensure_builtin(organization=alpha.organization)
        template = SurveyTemplate.objects.get(builtin_key="monthly-check-in")
        versions = template.versions.count()
    url = f"/o/alpha/surveys/templates/{template.pk}/remove-question/"
    page = client_for(alpha.hr).post(url, {"position": "999"}, follow=True).content.decode()
    assert "That question is no longer in the survey." in page
    with alpha.scope():
        assert template.versions.count() == versions
