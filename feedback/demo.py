"""Demo content of the feedback app, added by ``seed_demo`` when an organisation is new."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from feedback.models import (
    FeedbackCycle,
    Question,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
)
from feedback.services import cycles as cycle_services
from feedback.services import templates as template_services
from feedback.summaries import summarize_cycles
from mentorship.models import Organization
from programs.models import Program

COMMENTS = [
    "Seeing how my mentee uses the tools changed how I explain them.",
    "I finally understand how budget decisions are made.",
    "More time for practice between sessions would help.",
    "Candid conversations, which is rare across levels.",
    "The agreement made it easy to say what I really think.",
    "I would like a mid-program get-together of all pairs.",
]


def seed_demo_feedback(*, organization: Organization) -> None:
    """On the pilot: two closed monthly check-ins with answers (in the second, the seniors are
    fewer than k, so their figures are withheld), and a monthly check-in on the demo program
    opening now, whose invitations arrive within a minute or two of `make run`."""
    rnd = random.Random(organization.slug)
    template_services.templates_ensure_builtin(organization=organization)
    monthly = SurveyTemplate.objects.get(builtin_key="monthly-check-in")
    pilot = Program.objects.get(slug="pilot")
    now = timezone.now()
    # The pilot has 3 juniors and 3 seniors: all 6 answered, then 5 (2 seniors: below k).
    closed: list[int] = []
    for weeks_ago, respondents in (
        (8, [("junior", 3), ("senior", 3)]),
        (4, [("junior", 3), ("senior", 2)]),
    ):
        opened = now - timedelta(weeks=weeks_ago)
        cycle = FeedbackCycle.objects.create(
            organization=organization,
            program=pilot,
            version=monthly.versions.order_by("-number").first(),
            title="Monthly check-in",
            opens_at=opened,
            opened_at=opened,
            closed_at=opened + timedelta(days=7),
            status=FeedbackCycle.Status.CLOSED,
        )
        left = dict(respondents)
        for participant in pilot.participants.order_by("pk"):
            SurveyInvitation.objects.create(
                organization=organization,
                cycle=cycle,
                participant=participant,
                sent_at=opened,
                answered=left[participant.side] > 0,
            )
            left[participant.side] -= 1
        for side, count in respondents:
            for _ in range(count):
                response = SurveyResponse.objects.create(
                    organization=organization,
                    cycle=cycle,
                    side=side,
                    department=rnd.choice(["Marketing", "Engineering", "Sales", "Finance"]),
                    submitted_on=(opened + timedelta(days=7)).date(),  # the closing day
                )
                for q in cycle.version.questions.all():
                    if q.kind == Question.Kind.LIKERT:
                        response.answers.create(
                            organization=organization,
                            question=q,
                            number=rnd.choice([3, 4, 4, 5, 5]),
                        )
                    elif q.kind == Question.Kind.NPS:
                        response.answers.create(
                            organization=organization,
                            question=q,
                            number=rnd.choice([6, 8, 9, 9, 10, 10]),
                        )
                    elif q.kind == Question.Kind.SINGLE:
                        response.answers.create(
                            organization=organization, question=q, text=rnd.choice(q.choices[1:])
                        )
                    elif q.kind == Question.Kind.TEXT:
                        response.answers.create(
                            organization=organization, question=q, text=rnd.choice(COMMENTS)
                        )
        closed.append(cycle.pk)
    summarize_cycles(cycle_ids=closed)
    # What closing leaves (see cycles_dispatch): the counts on the cycle, and invitations
    # that no longer say when anyone was invited or who answered.
    SurveyInvitation.objects.filter(cycle_id__in=closed).update(sent_at=None, answered=False)
    program = Program.objects.get(slug="digital-fluency")
    cycle_services.cycle_create(
        program=program, template=monthly, opens_at=now, repeat_weeks=4, title="Monthly check-in"
    )
