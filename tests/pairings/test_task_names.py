"""The pairings tasks by the names a broker and the beat schedule know them: a real worker runs
the meeting-invitation dispatcher (registered under its old module, ``pairings.meeting_tasks``,
so messages queued before the move still run) and computes a match run."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from mentorship.celery import app as celery_app
from mentorship.models import Role
from pairings.models import MatchRun, Meeting
from pairings.services import match_runs
from programs.models import Program
from tests.conftest import make_tenant
from tests.factories import MeetingFactory, ProgramFactory
from tests.mentorship.test_worker import run_beat_and_worker

pytestmark = pytest.mark.worker


def test_the_registered_names_of_the_pairings_tasks() -> None:
    celery_app.loader.import_default_modules()
    assert {name for name in celery_app.tasks if name.startswith("pairings.")} == {
        "pairings.tasks.compute_match_run",
        "pairings.tasks.dispatch_busy_calendar_fetches",
        "pairings.tasks.fetch_busy_calendar",
        "pairings.tasks.dispatch_reminders",
        "pairings.tasks.send_due_reminders",
        "pairings.tasks.send_meeting_reminders",
        "pairings.meeting_tasks.send_meeting_invitation",
        "pairings.meeting_tasks.dispatch_meeting_invitations",
    }


def test_a_real_worker_catches_up_a_lost_meeting_invitation_once(
    transactional_db: None, tmp_path
) -> None:
    alpha = make_tenant("alpha")
    # Scheduled two minutes ago without its wake-up, as if the broker had been down.
    meeting = MeetingFactory(
        pairing__program__organization=alpha.organization,
        pairing__mentor__membership=alpha.members[Role.PARTICIPANT],
        pairing__mentee__membership=alpha.members[Role.SPONSOR],
    )
    junior, senior = meeting.pairing.mentor, meeting.pairing.mentee
    with alpha.scope():
        Meeting.objects.filter(pk=meeting.pk).update(
            updated_at=timezone.now() - timedelta(minutes=2)
        )

    def invitations() -> list[str]:
        return [m.to[0] for m in mail.outbox if m.subject.startswith("Invitation")]

    run_beat_and_worker(
        "pairings.meeting_tasks.dispatch_meeting_invitations",
        lambda: len(invitations()) >= 2,
        tmp_path,
    )
    # Many ticks ran (every 0.5 s); each partner got the calendar file once.
    assert sorted(invitations()) == sorted([junior.email, senior.email])


def test_a_real_worker_computes_a_match_run(transactional_db: None) -> None:
    alpha = make_tenant("alpha")
    with alpha.scope():
        program = ProgramFactory(
            organization=alpha.organization,
            slug="p",
            name="P",
            status=Program.Status.MATCHING,
        )
    saved = celery_app.conf["task_always_eager"]
    celery_app.conf.update(task_always_eager=False)
    try:
        celery_app.control.purge()
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            with alpha.scope():
                run = match_runs.match_run_start(program=program, actor=alpha.hr)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with alpha.scope():
                    run.refresh_from_db()
                if run.status != MatchRun.Status.RUNNING:
                    break
                time.sleep(0.2)
    finally:
        celery_app.conf.update(task_always_eager=saved)
    assert run.status == MatchRun.Status.DONE
    assert run.result["pairs"] == []
