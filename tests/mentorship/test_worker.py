"""The Celery path end to end: beat schedules the production dispatchers, the broker carries
them, a real worker runs them inside the tenant's scope, and each email goes out exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.utils import timezone

from mentorship.celery import app as celery_app
from mentorship.models import Notification, Role
from tests.conftest import make_tenant
from tests.factories import MeetingFactory

pytestmark = pytest.mark.worker


def run_beat_and_worker(task: str, done: Callable[[], bool], tmp_path: Path) -> None:
    """Tick the production beat entry for ``task`` every 0.5 s with a real worker, until
    ``done()`` or 30 s, then a few more ticks that must not send anything again."""
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task)
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "beat_schedule")}
    celery_app.conf.update(
        task_always_eager=False, beat_schedule={"dispatch": {**entry, "schedule": 0.5}}
    )
    try:
        celery_app.control.purge()
        beat = EmbeddedService(
            celery_app, max_interval=0.5, schedule_filename=str(tmp_path / "beat"), thread=True
        )
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            beat.start()
            try:
                deadline = time.monotonic() + 30
                while not done() and time.monotonic() < deadline:
                    time.sleep(0.2)
                time.sleep(2)
            finally:
                beat.stop()
    finally:
        celery_app.conf.update(saved)


def test_beat_and_a_real_worker_deliver_a_notification_whose_wake_up_was_lost(
    transactional_db: None, tmp_path
) -> None:
    alpha = make_tenant("alpha")
    with alpha.scope():
        # Created without its on-commit wake-up, as if the broker had been down.
        notification = Notification.objects.create(
            organization=alpha.organization,
            recipient=alpha.hr,
            subject="Check-in is open",
            created_at=timezone.now() - timedelta(minutes=2),
        )
    run_beat_and_worker(
        "mentorship.tasks.dispatch_notification_emails", lambda: bool(mail.outbox), tmp_path
    )
    assert [m.subject for m in mail.outbox] == ["Check-in is open"]
    assert mail.outbox[0].to == [alpha.hr.email]
    with alpha.scope():
        notification.refresh_from_db()
        assert notification.emailed_at is not None


def test_a_real_worker_sends_each_meeting_reminder_exactly_once(
    transactional_db: None, tmp_path
) -> None:
    alpha = make_tenant("alpha")
    # Two members of alpha in a pair (HR admin and participant, any two accounts), meeting in
    # 50 minutes: each gets the 1-hour reminder.
    pairing = MeetingFactory(
        pairing__program__organization=alpha.organization,
        pairing__mentor__membership=alpha.members[Role.HR_ADMIN],
        pairing__mentee__membership=alpha.members[Role.PARTICIPANT],
        pairing__last_met_at=timezone.now(),
        starts_at=timezone.now() + timedelta(minutes=50),
    ).pairing
    junior, senior = pairing.mentor, pairing.mentee

    def reminders() -> list[str]:
        return [m.to[0] for m in mail.outbox if m.subject.startswith("Reminder")]

    run_beat_and_worker(
        "pairings.tasks.dispatch_reminders", lambda: len(reminders()) >= 2, tmp_path
    )
    # Many ticks ran (every 0.5 s); each partner got the 1-hour reminder once.
    assert sorted(reminders()) == sorted([junior.email, senior.email])


def test_a_real_worker_sends_each_check_in_invitation_exactly_once(
    transactional_db: None, tmp_path
) -> None:
    from feedback.models import SurveyTemplate
    from feedback.services import cycles as cycle_services
    from feedback.services import templates as template_services
    from programs.models import Program
    from programs.services import participants as participant_services
    from programs.services import programs as program_services

    alpha = make_tenant("alpha")
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="Cohort")
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        for email, side in ((alpha.participant.email, "junior"), (alpha.sponsor.email, "senior")):
            participant_services.participant_add(
                program=program,
                email=email,
                invited_by=None,
                first_name="P",
                last_name="Q",
                side=side,
                level=1 if side == "junior" else 9,
            )
        template_services.templates_ensure_builtin(organization=alpha.organization)
        cycle_services.cycle_create(
            program=program,
            template=SurveyTemplate.objects.get(builtin_key="monthly-check-in"),
            opens_at=timezone.now(),
        )

    def invitations() -> list[str]:
        return [m.to[0] for m in mail.outbox if m.subject.startswith("Check-in")]

    run_beat_and_worker(
        "feedback.tasks.dispatch_feedback_cycles", lambda: len(invitations()) >= 2, tmp_path
    )
    assert sorted(invitations()) == sorted([alpha.participant.email, alpha.sponsor.email])
