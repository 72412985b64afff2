"""A participant follows the link in their check-in email, signs in, and answers."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from feedback.models import PendingResponse, SurveyResponse, SurveyTemplate
from feedback.services import cycles as cycle_services
from feedback.services import templates as template_services
from programs.models import Program
from programs.services import participants as participant_services
from programs.services import programs as program_services
from tests.conftest import PASSWORD, make_tenant

pytestmark = pytest.mark.browser


def test_answering_a_check_in_from_the_email_link(page, live_server, transactional_db) -> None:
    tenant = make_tenant("alpha")
    with tenant.scope():
        program = program_services.program_create(organization=tenant.organization, name="Cohort")
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        participant_services.participant_add(
            program=program,
            email=tenant.participant.email,
            invited_by=None,
            first_name="Pat",
            last_name="Junior",
            side="junior",
        )
        template_services.templates_ensure_builtin(organization=tenant.organization)
        cycle_services.cycle_create(
            program=program,
            template=SurveyTemplate.objects.get(builtin_key="monthly-check-in"),
            opens_at=timezone.now(),
        )
        cycle_services.cycles_dispatch(organization=tenant.organization)
    [email] = [m for m in mail.outbox if m.subject.startswith("Check-in")]
    link = re.search(r"http://testserver(/o/alpha/surveys/\d+/)", email.body).group(1)

    page.goto(link)  # not signed in yet: the link survives sign-in
    page.get_by_label("Email").fill(tenant.participant.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"**{link}")
    expect(page.get_by_text("Your answers are anonymous")).to_be_visible()
    page.get_by_role("group", name="How valuable were your sessions this month?").get_by_label(
        "4"
    ).check()
    page.get_by_role("group", name="How safe did you feel to speak candidly?").get_by_label(
        "5 – very much"
    ).check()
    page.get_by_role(
        "group", name="How likely are you to recommend the program to a colleague?"
    ).get_by_label("9", exact=True).check()
    page.get_by_role("group", name="How often did you meet this month?").get_by_label(
        "Twice or more"
    ).check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Thank you! Your answers are saved.")).to_be_visible()
    with tenant.scope():
        # Held until the survey closes; then written in random order (tests/feedback).
        assert PendingResponse.objects.count() == 1 and not SurveyResponse.objects.exists()
    page.goto(link)
    expect(page.get_by_text("You have already answered this survey.")).to_be_visible()
