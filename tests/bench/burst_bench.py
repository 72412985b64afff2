"""Burst: 5,000 meeting reminders due in the same minute in one organisation, delivered each
once by two worker processes (``celery worker --concurrency=1``, twice, started as subprocesses
by ``tests/celery_processes.py`` on the production settings, against the bench's database).

The organisation: 2,500 active pairs (5,000 people with accounts) of one program that reminds
24 hours and 1 hour before a meeting; every pair meets at the same instant, one hour from now
less a few seconds. The 24-hour reminders are behind them (each meeting's stored moment is the
1-hour one, as the pass that sent them left it), so the 1-hour reminder of every meeting falls
due in the same minute: one email to each partner, 5,000 emails. The rows are written in bulk
(``bulk_create``: no ``Meeting.save``, so the moment is computed here by ``pairings.due``).

Then what one beat tick sends: ``pairings.tasks.dispatch_reminders``. The clock starts. The
dispatcher wakes the organisation's pass, which splits the burst into tasks of 100 meetings;
each reminder is claimed, made an in-app notification and, after commit, emailed by its own
task. The bench reads the database until every notification exists and every one has been
emailed, then reads the mail the workers wrote: 5,000 messages, one per (person, meeting).

Prints the seconds until every notification existed and until every email had gone, each
worker's share of the tasks, and whether the 60 s of issue 14 were met.
``python -m tests.bench.burst_bench [REMINDERS]`` runs it alone on a throw-away test database.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

# Run alone (python -m), this module sets Django up itself, as tests/bench/run.py does.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from mentorship.models import Membership, Notification, Organization, User  # noqa: E402
from mentorship.tenancy import tenant_scope  # noqa: E402
from pairings import due  # noqa: E402
from pairings.models import Meeting, Pairing, ReminderDelivery  # noqa: E402
from programs.models import Participant, Program, Side  # noqa: E402
from tests.celery_processes import celery_processes  # noqa: E402

SLUG = "burst"
DOMAIN = "burst.example"
WORKERS = ("worker1", "worker2")
QUEUE = "burst-bench"
REDIS_DB = 13
LIMIT_SECONDS = 60
# Give up after this long: the bench then prints how far it got.
TIMEOUT_SECONDS = float(os.environ.get("BENCH_BURST_TIMEOUT", "300"))
# The embedded broker's polling interval, for the workers only (unset: the setting's, 1 s).
_polling = os.environ.get("BENCH_BURST_POLLING_INTERVAL")
POLLING_INTERVAL = float(_polling) if _polling else None
OFFSETS_HOURS = [24, 1]
PAIR_LINK = re.compile(rf"/o/{SLUG}/pairs/(\d+)/meetings/")
TASKS = (
    "pairings.tasks.send_meeting_reminders",
    "mentorship.tasks.deliver_notification_email",
)


@dataclass
class BurstResult:
    engine: str
    broker: str
    reminders: int
    polling_interval: float | None = None
    notifications_seconds: float | None = None
    emails_seconds: float | None = None
    # How many had been created and emailed when the bench stopped waiting.
    created: int = 0
    emailed: int = 0
    waited_seconds: float = 0.0
    emails: int = 0
    distinct: int = 0
    claims: int = 0
    shares: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def burst_seed(*, pairs: int, starts_at: datetime) -> tuple[Organization, set[tuple[str, int]]]:
    """The organisation, its program, ``pairs`` active pairs meeting at ``starts_at``. Returns
    the organisation and the reminders owed, as (email, pair id)."""
    organization = Organization.objects.create(slug=SLUG, name="Burst")
    now = timezone.now()
    with tenant_scope(organization):
        program = Program.objects.create(
            organization=organization,
            slug=SLUG,
            name="Burst",
            status=Program.Status.ACTIVE,
            reminder_offsets_hours=OFFSETS_HOURS,
        )
        users = User.objects.bulk_create(
            [
                User(email=f"p{n:05d}@{DOMAIN}", first_name="Person", last_name=f"{n:05d}")
                for n in range(2 * pairs)
            ],
            batch_size=1000,
        )
        memberships = Membership.objects.bulk_create(
            [Membership(organization=organization, user=u, is_participant=True) for u in users],
            batch_size=1000,
        )
        people = Participant.objects.bulk_create(
            [
                Participant(
                    organization=organization,
                    program=program,
                    membership=m,
                    email=m.user.email,
                    first_name=m.user.first_name,
                    last_name=m.user.last_name,
                    side=Side.JUNIOR if n < pairs else Side.SENIOR,
                    level=1 if n < pairs else 9,
                )
                for n, m in enumerate(memberships)
            ],
            batch_size=1000,
        )
        pairings = Pairing.objects.bulk_create(
            [
                Pairing(
                    organization=organization,
                    program=program,
                    mentor=people[n],
                    mentee=people[pairs + n],
                    status=Pairing.Status.ACTIVE,
                    last_met_at=now,
                    # Looked at for going quiet weeks from now, as after their last check:
                    # this bench is about the meetings.
                    quiet_check_at=now + timedelta(days=30),
                )
                for n in range(pairs)
            ],
            batch_size=1000,
        )
        # The moment the pass that sent the 24-hour reminders stored: the 1-hour one.
        moment = due.meeting_next_due(
            starts_at=starts_at,
            duration_minutes=60,
            offsets_hours=OFFSETS_HOURS,
            now=starts_at - timedelta(hours=max(OFFSETS_HOURS)),
        )
        Meeting.objects.bulk_create(
            [
                Meeting(
                    organization=organization,
                    pairing=p,
                    starts_at=starts_at,
                    duration_minutes=60,
                    uid=f"{uuid.uuid4()}@{DOMAIN}",
                    next_due_at=moment,
                )
                for p in pairings
            ],
            batch_size=1000,
        )
    owed = {(p.mentor.email, p.pk) for p in pairings} | {(p.mentee.email, p.pk) for p in pairings}
    return organization, owed


def run_burst_bench(
    reminders: int,
    *,
    timeout: float = TIMEOUT_SECONDS,
    polling_interval: float | None = POLLING_INTERVAL,
    folder: Path | None = None,
) -> BurstResult:
    """Seed the burst, start two workers, send one dispatch and time the delivery. Expects a
    database that is already set up (see ``tests/bench/run.py``). ``polling_interval``: the
    embedded broker's, for the workers (None: the setting's)."""
    pairs = reminders // 2
    # Every 1-hour reminder falls due a few seconds before the dispatch.
    starts_at = timezone.now().replace(microsecond=0) + timedelta(hours=1, seconds=-5)
    organization, owed = burst_seed(pairs=pairs, starts_at=starts_at)
    folder = folder or Path(tempfile.mkdtemp(prefix="burst-bench-"))
    with celery_processes(
        folder, queue=QUEUE, redis_db=REDIS_DB, polling_interval=polling_interval
    ) as processes:
        result = BurstResult(
            engine=connection.vendor,
            broker="Redis" if processes.broker_url else "embedded (files)",
            reminders=len(owed),
            polling_interval=None if processes.broker_url else polling_interval,
        )
        for name in WORKERS:
            processes.start_worker(name, concurrency=1)
        processes.wait_ready()
        with tenant_scope(organization):
            notifications = Notification.objects.filter(organization=organization)
            started = time.monotonic()
            processes.send_task("pairings.tasks.dispatch_reminders")
            while (waited := time.monotonic() - started) < timeout:
                result.created = notifications.count()
                result.emailed = notifications.filter(emailed_at__isnull=False).count()
                result.waited_seconds = waited
                if result.notifications_seconds is None and result.created >= len(owed):
                    result.notifications_seconds = waited
                if result.emailed >= len(owed):
                    result.emails_seconds = waited
                    break
                time.sleep(0.2)
            # Anything sent twice would be on its way now: give it a moment to show.
            time.sleep(2)
            result.claims = ReminderDelivery.objects.filter(sent_at__isnull=False).count()
            made = notifications.count()
        result.shares = {
            name: {task.rsplit(".", 1)[1]: processes.tasks_succeeded(name, task) for task in TASKS}
            for name in WORKERS
        }
        sent: Counter[tuple[str, int]] = Counter()
        for message in processes.mail():
            to = str(message["To"])
            if to.endswith(f"@{DOMAIN}"):
                link = PAIR_LINK.search(message.get_content())
                sent[(to, int(link.group(1)) if link else 0)] += 1
    result.emails = sum(sent.values())
    result.distinct = len(sent)
    finished = result.emails_seconds is not None
    if unexpected := set(sent) - owed:
        result.problems.append(f"{len(unexpected)} unexpected emails, e.g. {min(unexpected)}")
    if twice := sorted(key for key, count in sent.items() if count > 1):
        result.problems.append(f"{len(twice)} reminders emailed more than once, e.g. {twice[0]}")
    if finished and (set(sent) != owed or made != len(owed) or result.claims != len(owed)):
        result.problems.append(
            f"{len(owed - set(sent))} reminders not emailed; "
            f"{made} notifications and {result.claims} claims for {len(owed)}"
        )
    return result


def print_table(result: BurstResult) -> None:
    if result.broker == "Redis":
        broker = "Redis"
    elif result.polling_interval is None:
        broker = "the embedded broker (files; polled every 1 s, the setting)"
    else:
        broker = f"the embedded broker (files; polled every {result.polling_interval} s)"
    print(
        f"Burst: {result.reminders} meeting reminders due in the same minute in one "
        f"organisation, two worker processes (--concurrency=1 each), {result.engine}, {broker}"
    )
    if result.notifications_seconds is not None:
        print(f"  every notification created {result.notifications_seconds:8.1f} s")
    if result.emails_seconds is not None:
        verdict = "yes" if result.emails_seconds <= LIMIT_SECONDS else "NO"
        print(
            f"  every email sent            {result.emails_seconds:8.1f} s"
            f"   (within {LIMIT_SECONDS} s: {verdict})"
        )
    else:
        rate = result.emailed / result.waited_seconds if result.waited_seconds else 0.0
        rest = f"all in about {result.reminders / rate:.0f} s at that rate" if rate else ""
        print(
            f"  NOT all sent within {result.waited_seconds:.0f} s: {result.created} notifications, "
            f"{result.emailed} emailed ({rate:.1f} per second; {rest})"
        )
    print(
        f"  {result.emails} emails, {result.distinct} distinct (person, meeting), "
        f"{result.claims} claims"
    )
    for name, tasks in result.shares.items():
        print(f"  {name}: " + ", ".join(f"{count} {task}" for task, count in tasks.items()))
    for problem in result.problems:
        print(f"  PROBLEM: {problem}")


def main() -> int:
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        result = run_burst_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
        print_table(result)
    finally:
        teardown_databases(old, verbosity=0)
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
