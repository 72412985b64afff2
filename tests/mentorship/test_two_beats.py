"""Two beat processes running at once by mistake still send everything exactly once.

Two real beats (each with its own schedule file, as on two machines) run every dispatcher of
the production schedule every second, both at the same moments (the worst case), and two real
workers (subprocesses on the production settings, see ``tests/celery_processes.py``) run what
they send, against this test's database. Every kind of due work is waiting: meeting reminders,
log prompts, a quiet pair's nudge and its word to HR, a survey opening (its invitations) and
another's reminder, a notification and a member invitation whose wake-ups were lost, meeting
invitations, the weekly sponsor digest (from Monday 07:00 UTC). Every message must arrive once,
although each dispatch runs twice, at the same moment, on two workers.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feedback.models import FeedbackCycle, SurveyInvitation, SurveyTemplate
from feedback.selectors import cycle_audience
from feedback.services import cycles as cycle_services
from feedback.services import templates as template_services
from mentorship.frame.digest import digest_week
from mentorship.models import Invitation, Notification, Role
from pairings.models import Meeting, Pairing, ReminderDelivery
from programs.models import Participant, Program, ProgramSponsor, Side
from tests.celery_processes import celery_processes
from tests.conftest import Tenant, make_tenant
from tests.factories import (
    MeetingFactory,
    MembershipFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.worker

TICK_SECONDS = 1.0
CROWD_PAIRS = 30
LOST_WAKE_UPS = 40
# After everything has arrived, both beats keep ticking this long: a second send would show.
AFTER_SECONDS = 3.0
# Only while the embedded broker is in use: its workers look for messages every 1 s by
# default, slower than two beats publish here (see the report in tests/bench/burst_bench.py).
EMBEDDED_POLLING_SECONDS = 0.02

KINDS = {
    "Reminder: meeting with ": "meeting reminder",
    "Invitation: meeting with ": "meeting invitation",
    "Log your session with ": "log prompt",
    "Time to meet ": "quiet nudge",
    "A pair in Cohort has not met ": "quiet pair, to HR",
    "Check-in: Opening survey": "survey invitation",
    "Check-in reminder: Reminding survey": "survey reminder",
    "Your export ": "lost notification",
    "Invitation to Alpha": "member invitation",
    "Weekly digest: Alpha": "sponsor digest",
}


def kind(subject: str) -> str:
    return next((k for prefix, k in KINDS.items() if subject.startswith(prefix)), subject)


def person(alpha: Tenant, program: Program, name: str, side: Side) -> Participant:
    membership = MembershipFactory(
        organization=alpha.organization,
        user=UserFactory(email=f"{name}@alpha.test", first_name=name.capitalize(), last_name="A"),
        is_participant=True,
    )
    return ParticipantFactory(
        program=program, membership=membership, side=side, first_name=name.capitalize()
    )


def seed_due_work(alpha: Tenant) -> Counter[tuple[str, str]]:
    """Every kind of work the dispatchers find due, as if each wake-up had been lost. Returns
    the emails owed, as (recipient, kind)."""
    now = timezone.now()
    quiet_days = settings.PAIR_INACTIVITY_DAYS
    owed: Counter[tuple[str, str]] = Counter()
    with alpha.scope():
        program = ProgramFactory(
            organization=alpha.organization, name="Cohort", status=Program.Status.ACTIVE
        )
        people = {
            name: person(alpha, program, name, side)
            for name, side in (
                ("ana", Side.JUNIOR),
                ("ben", Side.SENIOR),
                ("cleo", Side.JUNIOR),
                ("dan", Side.SENIOR),
                ("eve", Side.JUNIOR),
                ("finn", Side.SENIOR),
                ("gio", Side.JUNIOR),
                ("hana", Side.SENIOR),
            )
        }

        def pair(mentor: str, mentee: str, **fields: object) -> Pairing:
            return PairingFactory(
                program=program, mentor=people[mentor], mentee=people[mentee], **fields
            )

        # Meets in 50 minutes: the 1-hour reminder, and the calendar invitation whose wake-up
        # was lost (changed two minutes ago, see below).
        MeetingFactory(pairing=pair("ana", "ben"), starts_at=now + timedelta(minutes=50))
        for name in ("ana", "ben"):
            owed[(f"{name}@alpha.test", "meeting reminder")] += 1
            owed[(f"{name}@alpha.test", "meeting invitation")] += 1
        # Met until ten minutes ago: each is asked to log the session.
        MeetingFactory(pairing=pair("cleo", "dan"), starts_at=now - timedelta(minutes=70))
        owed.update([("cleo@alpha.test", "log prompt"), ("dan@alpha.test", "log prompt")])
        # Quiet for longer than the limit: both are nudged.
        pair("eve", "finn", last_met_at=now - timedelta(days=quiet_days + 1))
        owed.update([("eve@alpha.test", "quiet nudge"), ("finn@alpha.test", "quiet nudge")])
        # Quiet for twice the limit (nudged before): HR admins hear of it.
        pair("gio", "hana", last_met_at=now - timedelta(days=2 * quiet_days + 1))
        owed[(alpha.hr.email, "quiet pair, to HR")] += 1
        Meeting.objects.update(updated_at=now - timedelta(minutes=2))

        # A crowd meeting in 50 minutes too, in a program of its own: a pass long enough for
        # the two beats' passes to overlap (each reads the due meetings before the other has
        # moved them on), so that only the claims keep a reminder from going out twice.
        crowd = ProgramFactory(
            organization=alpha.organization, name="Crowd", status=Program.Status.ACTIVE
        )
        for n in range(CROWD_PAIRS):
            junior = person(alpha, crowd, f"junior{n}", Side.JUNIOR)
            senior = person(alpha, crowd, f"senior{n}", Side.SENIOR)
            MeetingFactory(
                pairing=PairingFactory(program=crowd, mentor=junior, mentee=senior),
                starts_at=now + timedelta(minutes=50),
            )
            owed[(f"junior{n}@alpha.test", "meeting reminder")] += 1
            owed[(f"senior{n}@alpha.test", "meeting reminder")] += 1
        # Their calendar invitations went out long ago (changed before the catch-up window).
        Meeting.objects.filter(pairing__program=crowd).update(
            updated_at=now - timedelta(minutes=30)
        )

        template_services.templates_ensure_builtin(organization=alpha.organization)
        template = SurveyTemplate.objects.get(builtin_key="monthly-check-in")
        # A survey that opens now: every participant is invited.
        cycle_services.cycle_create(
            program=program, template=template, opens_at=now, title="Opening survey"
        )
        # A survey open for five days, invitations sent, nobody answered: the reminder is due.
        reminding = cycle_services.cycle_create(
            program=program,
            template=template,
            opens_at=now - timedelta(days=5),
            title="Reminding survey",
        )
        FeedbackCycle.objects.filter(pk=reminding.pk).update(
            status=FeedbackCycle.Status.OPEN, opened_at=reminding.opens_at, next_due_at=now
        )
        SurveyInvitation.objects.bulk_create(
            SurveyInvitation(
                organization=alpha.organization,
                cycle=reminding,
                participant=p,
                sent_at=reminding.opens_at,
            )
            for p in cycle_audience(cycle=reminding)
        )
        for name in people:
            owed[(f"{name}@alpha.test", "survey invitation")] += 1
            owed[(f"{name}@alpha.test", "survey reminder")] += 1

        # In-app notifications and member invitations, all made without their wake-up.
        for n in range(LOST_WAKE_UPS):
            Notification.objects.create(
                organization=alpha.organization,
                recipient=alpha.hr,
                subject=f"Your export {n} is ready",
                created_at=now - timedelta(minutes=2),
            )
            owed[(alpha.hr.email, "lost notification")] += 1
            Invitation.objects.create(
                organization=alpha.organization,
                email=f"newcomer{n}@alpha.test",
                role=Role.PARTICIPANT,
                invited_by=alpha.hr,
                expires_at=now + timedelta(days=7),
            )
            owed[(f"newcomer{n}@alpha.test", "member invitation")] += 1

        # The sponsor's weekly digest, due from Monday 07:00 UTC to the end of the week.
        ProgramSponsor.objects.create(
            organization=alpha.organization, program=program, membership=alpha.members[Role.SPONSOR]
        )
        if digest_week(now) is not None:
            owed[(alpha.sponsor.email, "sponsor digest")] += 1
    return owed


def test_two_beats_at_once_still_send_every_message_exactly_once(
    transactional_db: None, tmp_path: Path
) -> None:
    alpha = make_tenant("alpha")
    with celery_processes(
        tmp_path / "celery",
        queue="two-beats",
        redis_db=12,
        polling_interval=EMBEDDED_POLLING_SECONDS,
    ) as processes:
        for name in ("worker1", "worker2"):
            processes.start_worker(name)
        for name in ("beat1", "beat2"):
            processes.start_beat(name, every=TICK_SECONDS)
        processes.wait_ready()
        # Everything falls due at once while both beats tick and both workers wait.
        with transaction.atomic():
            owed = seed_due_work(alpha)

        def arrived() -> Counter[tuple[str, str]]:
            return Counter((str(m["To"]), kind(str(m["Subject"]))) for m in processes.mail())

        deadline = time.monotonic() + 60
        while not set(owed) <= set(arrived()) and time.monotonic() < deadline:
            time.sleep(0.3)
        time.sleep(AFTER_SECONDS)
        mail = processes.mail()
        ticks = {
            name: processes.log(name).count("Sending due task send-due-reminders")
            for name in ("beat1", "beat2")
        }

    # Both beats kept dispatching the whole time, every dispatcher on both.
    assert min(ticks.values()) >= AFTER_SECONDS / TICK_SECONDS, ticks
    sent = Counter((str(m["To"]), str(m["Subject"])) for m in mail)
    assert [message for message, count in sent.items() if count > 1] == []
    assert Counter((to, kind(subject)) for to, subject in sent) == owed
    with alpha.scope():
        # One claim per reminder, prompt, nudge and calendar email, each marked sent.
        claims = ReminderDelivery.objects.values_list("key", "sent_at")
        assert len(claims) == 9 + 2 * CROWD_PAIRS
        assert all(sent_at is not None for _, sent_at in claims)
        # One inbox message per notification email, each emailed.
        inbox = Counter(Notification.objects.values_list("recipient__email", "subject"))
        assert set(inbox.values()) == {1}
        assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
        assert Invitation.objects.filter(emailed_at__isnull=True).count() == 0
