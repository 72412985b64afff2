"""A survey from start to end: an HR admin schedules a monthly check-in, the invitations
arrive exactly once, participants answer, and a sponsor sees results only where at least k
answered."""

from __future__ import annotations

import re

from django.core import mail
from django.utils import timezone

from feedback.models import Question, SurveyTemplate
from feedback.services import cycles as cycle_services
from feedback.services import templates as template_services
from mentorship.models import Role
from programs.models import Program
from programs.services import participants as participant_services
from programs.services import programs as program_services
from programs.services import sponsors as sponsor_services
from tests.conftest import Tenant
from tests.factories import MembershipFactory


def test_monthly_check_in_from_scheduling_to_a_sponsors_results(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    members = [
        MembershipFactory(organization=alpha.organization, is_participant=True) for _ in range(6)
    ]
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="Cohort")
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        for n, m in enumerate(members):
            participant_services.participant_add(
                program=program,
                email=m.user.email,
                invited_by=None,
                first_name="P",
                last_name=str(n),
                side="junior" if n % 2 else "senior",
                level=1 if n % 2 else 9,
            )
        sponsor_services.program_sponsor_add(
            program=program, membership=alpha.members[Role.SPONSOR]
        )
        template_services.templates_ensure_builtin(organization=alpha.organization)
        monthly = SurveyTemplate.objects.get(builtin_key="monthly-check-in")
    hr = client_for(alpha.hr)
    scheduled = hr.post(
        f"/o/alpha/programs/{program.slug}/feedback/",
        {
            "template": monthly.pk,
            "audience": "both",
            "opens_at": timezone.now().strftime("%Y-%m-%dT%H:%M"),
            "repeat_weeks": 4,
            "open_days": 7,
            "remind_after_days": 4,
            "anonymous": "on",
        },
    )
    assert scheduled.status_code == 302
    for _ in range(3):  # beat ticks
        with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
            cycle_services.cycles_dispatch(
                organization=alpha.organization, now=timezone.now() + timezone.timedelta(minutes=1)
            )
    invitations = [m for m in mail.outbox if m.subject == "Check-in: Monthly check-in"]
    assert sorted(m.to[0] for m in invitations) == sorted(m.user.email for m in members)

    def answer(member) -> None:
        email = next(m for m in invitations if m.to[0] == member.user.email)
        link = re.search(r"http://testserver(/o/alpha/surveys/\d+/)", email.body).group(1)
        with alpha.scope():
            questions = list(monthly.versions.first().questions.all())
        data = {}
        for q in questions:
            if q.kind == Question.Kind.LIKERT:
                data[f"q{q.pk}"] = 4
            elif q.kind == Question.Kind.NPS:
                data[f"q{q.pk}"] = 10
            elif q.kind == Question.Kind.SINGLE:
                data[f"q{q.pk}"] = q.choices[-1]
        assert client_for(member.user).post(link, data).status_code == 302

    sponsor = client_for(alpha.sponsor)
    with alpha.scope():
        cycle = program.feedback_cycles.get()
    results = f"/o/alpha/programs/{program.slug}/feedback/{cycle.pk}/"
    for member in members[:5]:
        answer(member)
    # While open, nothing is shown: the figures changing after each answer would tell.
    assert "Results appear when the survey closes" in sponsor.get(results).content.decode()
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        cycle_services.cycles_dispatch(
            organization=alpha.organization, now=timezone.now() + timezone.timedelta(days=8)
        )
    page = sponsor.get(results).content.decode()
    assert "5 answers · average 4.0" in page and "NPS 100.0" in page
    assert "This filter is not offered" in sponsor.get(results + "?side=junior").content.decode()
