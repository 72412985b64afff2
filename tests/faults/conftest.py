"""Fault injection for tests/faults: Redis that goes away and comes back, a worker that dies in
the middle of its work, and pairs with a meeting about to start (so reminders are due).

Everything is in-process and fast, so the suite runs them on SQLite and on PostgreSQL + Redis
alike. "Redis down" points the cache and the Celery broker at a local port where nothing listens
(connections are refused at once, as when the server is stopped) and publishes tasks for real
instead of running them eagerly; "Redis back" restores the test configuration, where tasks run
in-process as a worker would run them.
"""

from __future__ import annotations

import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from smtplib import SMTPServerDisconnected
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from mentorship.celery import app as celery_app
from mentorship.models import Notification
from pairings.models import Pairing
from programs.models import Program
from tests.conftest import Tenant
from tests.factories import (
    MeetingFactory,
    MembershipFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
    UserFactory,
)


class WorkerKilled(BaseException):
    """What SIGKILL does to the code that runs: no ``except Exception`` handler and no clean-up
    of the code runs, and the database rolls back the transaction that was open. (A
    ``BaseException`` unwinding ``transaction.atomic`` rolls it back too.)"""


def closed_port() -> int:
    """A local TCP port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisSwitch:
    """Stop and start "Redis" for the code under test: the cache and the broker together, as
    production shares one ``REDIS_URL`` between them."""

    def __init__(self, settings: Any) -> None:
        self._settings = settings
        self.url = f"redis://127.0.0.1:{closed_port()}/0"
        self._caches = settings.CACHES
        self._conf = {
            key: celery_app.conf[key]
            for key in ("broker_url", "task_always_eager", "task_eager_propagates")
        }

    def stop(self) -> None:
        self._settings.CACHES = {
            "default": {
                # The production backend (settings.py), pointed at nothing.
                "BACKEND": "mentorship.cache.FailOpenRedisCache",
                "LOCATION": self.url,
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
        # Published for real, and what runs in-process fails quietly, as in production (the
        # test settings make eager tasks raise, which production never does).
        self._configure(broker_url=self.url, task_always_eager=False, task_eager_propagates=False)
        # The cache really is gone (a test passing against a live cache would prove nothing).
        cache.set("redis-switch-probe", 1)
        assert cache.get("redis-switch-probe") is None

    def start(self) -> None:
        self._settings.CACHES = self._caches
        self._configure(**self._conf)

    def _configure(self, **conf: Any) -> None:
        celery_app.conf.update(conf)
        # The pooled connections and producers belong to the previous broker URL (even eager
        # calls take a producer): drop them, as Celery itself does in a forked worker.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


@pytest.fixture
def redis(settings: Any) -> Iterator[RedisSwitch]:
    switch = RedisSwitch(settings)
    yield switch
    switch.start()


@pytest.fixture
def celery_handles_retries() -> Iterator[None]:
    """As in production, Celery handles a task's retry itself instead of raising it to the
    caller (the test settings make eager tasks raise). In-process, the retries run at once."""
    saved = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = saved


def pairs_meeting_soon(tenant: Tenant, count: int) -> list[Pairing]:
    """``count`` active pairs of people with accounts, each meeting in 50 minutes: two 1-hour
    reminders due per pair, and nothing else (they met today, so no inactivity nudge)."""
    with tenant.scope():
        program = ProgramFactory(
            organization=tenant.organization,
            slug=f"faults-{uuid.uuid4().hex[:8]}",
            name="Faults",
            status=Program.Status.ACTIVE,
        )
        pairings = []
        for n in range(count):
            people = []
            for side in ("junior", "senior"):
                user = UserFactory(email=f"{side}{n}@{tenant.organization.slug}.test")
                membership = MembershipFactory(
                    organization=tenant.organization, user=user, is_participant=True
                )
                people.append(
                    ParticipantFactory(
                        program=program,
                        membership=membership,
                        email=user.email,
                        first_name=side.capitalize(),
                        last_name=str(n),
                        side=side,
                    )
                )
            pairing = PairingFactory(
                program=program,
                mentor=people[0],
                mentee=people[1],
                status=Pairing.Status.ACTIVE,
                last_met_at=timezone.now(),
            )
            MeetingFactory(
                pairing=pairing,
                uid=f"{uuid.uuid4()}@faults.test",
                starts_at=timezone.now() + timedelta(minutes=50),
            )
            pairings.append(pairing)
    return pairings


def people_of(pairings: list[Pairing]) -> list[str]:
    return sorted(email for p in pairings for email in (p.mentor.email, p.mentee.email))


def reminder_emails() -> Counter[str]:
    """How many meeting reminders each address received."""
    return Counter(m.to[0] for m in mail.outbox if m.subject.startswith("Reminder:"))


def a_minute_later() -> None:
    """Age every notification by a minute: the email dispatcher leaves the newest alone (their
    own wake-up is on its way), so this is the next beat tick, a minute on."""
    from django.db.models import F

    from mentorship.tenancy import across_all_organizations

    with across_all_organizations():
        Notification.objects.update(created_at=F("created_at") - timedelta(minutes=1))


class MailServerDown(BaseEmailBackend):
    """An email backend whose server refuses every message (a transient error: retried)."""

    def send_messages(self, email_messages: Any) -> int:
        raise SMTPServerDisconnected("Connection unexpectedly closed (simulated)")
