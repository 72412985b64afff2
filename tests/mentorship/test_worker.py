"""The Celery path end to end: beat schedules the dispatcher, the broker carries it, a real
worker runs it inside the tenant's scope, and the email goes out exactly once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.utils import timezone

from mentorship.celery import app as celery_app
from mentorship.models import Notification
from tests.conftest import make_tenant

DISPATCHER = "mentorship.tasks.dispatch_notification_emails"


@pytest.mark.worker
def test_beat_and_a_real_worker_deliver_a_notification_whose_wake_up_was_lost(
    transactional_db: None, tmp_path
) -> None:
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == DISPATCHER)
    alpha = make_tenant("alpha")
    with alpha.scope():
        # Created without its on-commit wake-up, as if the broker had been down.
        notification = Notification.objects.create(
            organization=alpha.organization,
            recipient=alpha.hr,
            subject="Check-in is open",
            created_at=timezone.now() - timedelta(minutes=2),
        )

    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "beat_schedule")}
    # The production entry, ticking fast enough for a test.
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
                while not mail.outbox and time.monotonic() < deadline:
                    time.sleep(0.2)
                # Let a few more ticks run: they must not send it again.
                time.sleep(2)
            finally:
                beat.stop()
    finally:
        celery_app.conf.update(saved)

    assert [m.subject for m in mail.outbox] == ["Check-in is open"]
    assert mail.outbox[0].to == [alpha.hr.email]
    with alpha.scope():
        notification.refresh_from_db()
        assert notification.emailed_at is not None
