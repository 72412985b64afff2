"""Demo content of the pairings app, added by ``seed_demo`` when an organisation is new."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from mentorship.models import Organization
from pairings import activity
from pairings.models import Meeting, Pairing, PairingEvent, SessionLog
from programs.models import Participant, Program, ProgramSponsor
from programs.services import configs as program_services

PILOT_SLUG = "pilot"
# (junior number, senior number) of the pilot's pairs; they count as "paired before" when the
# digital-fluency program is matched, which shows that rule at work.
PILOT_PAIRS = [(3, 1), (5, 3), (6, 4)]
TAUGHT = [
    "Prompting an AI assistant",
    "Short video for social media",
    "Sharing files in Teams",
    "Reading a dashboard",
]
LEARNED = [
    "How budgets are decided",
    "Handling a difficult stakeholder",
    "Running a board meeting",
    "Negotiating priorities",
]


def seed_demo_pairs(*, organization: Organization) -> Program:
    """An active pilot program with three active pairs, past meetings and session logs, and one
    meeting 50 minutes from now (its 1-hour reminder arrives within a minute or two)."""
    slug = organization.slug
    now = timezone.now()
    pilot = program_services.program_create_from_template(
        organization=organization, template="digital-fluency", name="Pilot cohort"
    )
    pilot.slug = PILOT_SLUG
    pilot.status = Program.Status.ACTIVE
    pilot.training_required = False
    pilot.start_date = (now - timedelta(weeks=10)).date()
    pilot.end_date = (now + timedelta(weeks=16)).date()
    pilot.save()
    # The demo sponsor sponsors the pilot too: its dashboard is where the story shows.
    for sponsorship in ProgramSponsor.objects.filter(program__slug="digital-fluency"):
        ProgramSponsor.objects.create(
            organization=organization, program=pilot, membership=sponsorship.membership
        )
    source = {
        p.email: p
        for p in Participant.objects.filter(program__slug="digital-fluency").select_related(
            "membership"
        )
    }

    def enrol(email: str) -> Participant:
        original = source[email]
        return Participant.objects.create(
            organization=organization,
            program=pilot,
            membership=original.membership,
            email=email,
            first_name=original.first_name,
            last_name=original.last_name,
            side=original.side,
            department=original.department,
            title=original.title,
            level=original.level,
            manager_email=original.manager_email,
            timezone=original.timezone,
            availability=original.availability,
            weekly_availability=original.weekly_availability,
            matched=True,
            training_done=True,
        )

    for index, (j, s) in enumerate(PILOT_PAIRS):
        mentor = enrol(f"junior{j}@{slug}.example")
        mentee = enrol(f"senior{s}@{slug}.example")
        pairing = Pairing.objects.create(
            organization=organization,
            program=pilot,
            mentor=mentor,
            mentee=mentee,
            status=Pairing.Status.ACTIVE,
            score=9.0,
            mentor_accepted_at=now - timedelta(weeks=9),
            mentee_accepted_at=now - timedelta(weeks=9),
            created_at=now - timedelta(weeks=9, days=2),
        )
        for status, weeks in (("proposed", 9.3), ("confirmed", 9.2), ("active", 9)):
            PairingEvent.objects.create(
                organization=organization,
                pairing=pairing,
                status=status,
                created_at=now - timedelta(weeks=weeks),
            )
        for n, weeks_ago in enumerate((8, 6, 4, 2)):
            start = (now - timedelta(weeks=weeks_ago)).replace(minute=0, second=0, microsecond=0)
            meeting = Meeting.objects.create(
                organization=organization,
                pairing=pairing,
                starts_at=start,
                duration_minutes=60,
                location="Video call",
                uid=f"meeting-{uuid.uuid4()}@reverse-mentoring",
            )
            log = SessionLog.objects.create(
                organization=organization,
                pairing=pairing,
                author=mentor if n % 2 == 0 else mentee,
                meeting=meeting,
                date=start.date(),
                minutes=55,
                taught=TAUGHT[n] if n % 2 == 0 else LEARNED[n],
                learned=LEARNED[n] if n % 2 == 0 else TAUGHT[n],
                shared_notes="Next time: try it together on a real task.",
            )
            topics = list(pilot.topics.all()[n : n + 1])
            log.topics.set(topics)
            activity.record_session(log=log, topics=topics)
        pairing.last_met_at = now - timedelta(weeks=2)
        pairing.save(update_fields=["last_met_at"])
        if index == 0:
            Meeting.objects.create(
                organization=organization,
                pairing=pairing,
                starts_at=now + timedelta(minutes=50),
                duration_minutes=45,
                location="Video call",
                uid=f"meeting-{uuid.uuid4()}@reverse-mentoring",
            )
        elif index == 1:
            Meeting.objects.create(
                organization=organization,
                pairing=pairing,
                starts_at=(now + timedelta(days=9)).replace(minute=30, second=0, microsecond=0),
                duration_minutes=60,
                location="Room 4.12",
                uid=f"meeting-{uuid.uuid4()}@reverse-mentoring",
            )
    return pilot
