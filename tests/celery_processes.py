"""Real Celery processes beside a test or a benchmark: ``celery worker`` and beat started as
subprocesses, on the production settings (``mentorship.settings``), against the database this
process set up (a test database), with a broker, a queue and a mail folder of their own.

For what one process cannot show: two workers sharing a burst (tests/bench/burst_bench.py),
two beats running by mistake (tests/pairings/test_two_beats.py). Elsewhere an in-process worker
(``celery.contrib.testing``, tests/mentorship/test_worker.py) is enough and starts faster.

The processes get what the environment gives them in production: ``DATABASE_URL`` naming this
process's database; ``REDIS_URL`` with a Redis database number of the caller's or, when this
process has no ``REDIS_URL``, the embedded broker in a folder of their own (``VAR_DIR``);
``CELERY_QUEUE``, so that no other worker on the same Redis takes their messages; and no
``EMAIL_URL``, so mail is written to files in ``VAR_DIR/mail``, where
:meth:`CeleryProcesses.mail` reads it back.

Both kinds are started through this module's entry point, which runs what ``celery worker`` and
``celery beat`` run (``app.worker_main``, ``app.Beat().run()``) after two adjustments the
command line has no option for: a beat runs every entry of the production schedule every few
seconds instead of every minute, on whole multiples of that interval (so two beats tick at the
same moment); and, only when asked (``polling_interval``), the embedded broker's workers look
for messages more often than the setting's once a second.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
# What Django's file email backend writes after each message.
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
# Variables of this process that must not reach the processes: they get their own.
# How the processes learn ``CeleryProcesses.polling_interval``.
POLLING_VARIABLE = "CELERY_PROCESSES_POLLING_INTERVAL"
REPLACED = (
    POLLING_VARIABLE,
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "CELERY_QUEUE",
    "VAR_DIR",
    "DEBUG",
)


def database_url() -> str:
    """A ``DATABASE_URL`` for the database this process is connected to (after the test
    runner's set-up, the test database)."""
    from django.db import connection

    database = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(database["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise RuntimeError("Another process cannot open an in-memory SQLite database.")
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        auth = quote(database["USER"] or "", safe="")
        if database["PASSWORD"]:
            auth += ":" + quote(database["PASSWORD"], safe="")
        host = quote(database["HOST"] or "localhost", safe="")
        port = f":{database['PORT']}" if database["PORT"] else ""
        return f"postgres://{auth}@{host}{port}/{quote(database['NAME'], safe='')}"
    raise RuntimeError(f"No URL for a {connection.vendor} database.")


def redis_url(db: int) -> str:
    """This process's ``REDIS_URL`` with database ``db`` instead of its own, or "" without one."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return ""
    return urlunsplit(urlsplit(settings.REDIS_URL)._replace(path=f"/{db}"))


@dataclass
class CeleryProcesses:
    """Workers and beats started in ``folder`` (their ``VAR_DIR``), stopped by :meth:`stop`."""

    folder: Path
    queue: str
    redis_db: int
    # Seconds between an embedded-broker worker's looks at the queue; None: the setting's.
    polling_interval: float | None = None
    started: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # What each started process logs once it is ready.
    ready_signs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.broker_url = redis_url(self.redis_db)
        self.env = {key: value for key, value in os.environ.items() if key not in REPLACED}
        self.env.update(
            DJANGO_SETTINGS_MODULE="mentorship.settings",
            SECRET_KEY="celery-processes-of-the-tests-not-a-secret",
            ALLOWED_HOSTS="testserver,localhost",
            SITE_URL=_setting("SITE_URL"),
            STATIC_MANIFEST="0",
            VAR_DIR=str(self.folder),
            DATABASE_URL=database_url(),
            CELERY_QUEUE=self.queue,
            PYTHONUNBUFFERED="1",
        )
        if self.broker_url:
            self.env["REDIS_URL"] = self.broker_url
        if self.polling_interval is not None:
            self.env[POLLING_VARIABLE] = str(self.polling_interval)

    # --- Processes ----------------------------------------------------------------------------

    def start_worker(self, name: str, *, concurrency: int = 1) -> None:
        """A worker as production runs it (prefork pool), named ``name@<host>``."""
        self._start(
            name, f"{name}@", ["-m", "tests.celery_processes", "worker", name, str(concurrency)]
        )

    def start_beat(self, name: str, *, every: float) -> None:
        """A beat with its own schedule file (as on a machine of its own), every entry of the
        production schedule every ``every`` seconds."""
        schedule = str(self.folder / f"{name}.schedule")
        self._start(
            name,
            "beat: Starting...",
            ["-m", "tests.celery_processes", "beat", schedule, str(every)],
        )

    def _start(self, name: str, ready_sign: str, arguments: list[str]) -> None:
        self.ready_signs[name] = ready_sign
        with open(self.log_path(name), "wb") as log:
            # A session of its own: stop() can end the pool's children with their worker.
            self.started[name] = subprocess.Popen(
                [sys.executable, *arguments],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 90) -> None:
        """Until every worker says it is ready and every beat that it started."""
        deadline = time.monotonic() + timeout
        for name, process in self.started.items():
            sign = self.ready_signs[name]
            # A worker: "<name>@<host> ready."; a beat: "beat: Starting...".
            while not any(
                sign in line and (line.endswith(" ready.") or "beat" in sign)
                for line in self.log(name).splitlines()
            ):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start:\n{self.log(name)[-3000:]}")
                time.sleep(0.1)

    def stop(self, timeout: float = 30) -> None:
        """A warm shutdown (SIGTERM: a worker finishes the task in hand), then SIGKILL for
        whatever is still running after ``timeout`` seconds."""
        for process in self.started.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.started.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            # The whole session: a prefork child outlives a killed worker otherwise.
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def log_path(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def log(self, name: str) -> str:
        return self.log_path(name).read_text(errors="replace")

    def tasks_succeeded(self, name: str, task: str) -> int:
        """How many ``task`` runs the worker ``name`` finished (from its log)."""
        return sum(
            1 for line in self.log(name).splitlines() if f"{task}[" in line and "succeeded" in line
        )

    # --- Broker and mail ----------------------------------------------------------------------

    @contextmanager
    def producer(self) -> Iterator[Any]:
        """A Celery app that publishes to the processes' queue (through their broker)."""
        from celery import Celery

        # A host named: without one kombu warns, although the embedded broker needs none.
        broker = self.broker_url or "filesystem://localhost/"
        app = Celery("producer", broker=broker, set_as_current=False)
        app.conf.update(
            task_default_queue=self.queue,
            broker_connection_retry_on_startup=True,
            broker_transport_options={} if self.broker_url else self._filesystem_options(),
        )
        try:
            yield app
        finally:
            app.close()

    def _filesystem_options(self) -> dict[str, Any]:
        # As mentorship.settings derives them from VAR_DIR.
        broker = self.folder / "broker"
        (broker / "control").mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(broker),
            "data_folder_out": str(broker),
            "control_folder": str(broker / "control"),
            "store_processed": False,
        }

    def purge(self) -> None:
        """Drop messages an earlier, interrupted run left on the queue (Redis only: the
        embedded broker's folder is new)."""
        if self.broker_url:
            with self.producer() as app:
                app.control.purge()

    def send_task(self, task: str, **kwargs: Any) -> None:
        with self.producer() as app:
            app.send_task(task, kwargs=kwargs)

    def mail(self) -> list[EmailMessage]:
        """Every message the processes have written so far, whole ones only."""
        messages = []
        for path in sorted((self.folder / "mail").glob("*.log")):
            # The last piece is what follows the last separator: empty, or a message still
            # being written.
            for chunk in path.read_bytes().split(MAIL_SEPARATOR)[:-1]:
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return messages  # type: ignore[return-value]


def _setting(name: str) -> str:
    from django.conf import settings

    return str(getattr(settings, name))


@contextmanager
def celery_processes(
    folder: Path, *, queue: str, redis_db: int, polling_interval: float | None = None
) -> Iterator[CeleryProcesses]:
    """:class:`CeleryProcesses` in ``folder``, every process stopped on the way out."""
    processes = CeleryProcesses(
        folder=folder, queue=queue, redis_db=redis_db, polling_interval=polling_interval
    )
    processes.purge()
    try:
        yield processes
    finally:
        processes.stop()


def _app() -> Any:
    import django

    django.setup()
    from mentorship.celery import app

    polling = os.environ.get(POLLING_VARIABLE)
    if polling and not str(app.conf.broker_url).startswith("redis"):
        app.conf.broker_transport_options = {
            **app.conf.broker_transport_options,
            "polling_interval": float(polling),
        }
    return app


def _worker(name: str, concurrency: int) -> None:
    # What ``celery -A mentorship worker`` runs.
    _app().worker_main(
        ["worker", f"--hostname={name}@%h", f"--concurrency={concurrency}", "--loglevel=INFO"]
    )


def _beat(schedule_file: str, every: float) -> None:
    from celery.schedules import schedule
    from django.conf import settings

    app = _app()
    # Relative: every tick falls on a whole multiple of the interval (a whole second for 1 s),
    # so two beats tick at the same moment, the worst case of two beats.
    every_tick = schedule(run_every=timedelta(seconds=every), relative=True)
    app.conf.beat_schedule = {
        name: {**entry, "schedule": every_tick}
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    }
    # What ``celery -A mentorship beat`` runs, with the schedule above.
    app.Beat(schedule=schedule_file, max_interval=every, loglevel="INFO").run()


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["worker", name, concurrency]:
            _worker(name, int(concurrency))
        case ["beat", schedule_file, every]:
            _beat(schedule_file, float(every))
        case _:
            sys.exit(
                "usage: python -m tests.celery_processes worker NAME CONCURRENCY\n"
                "       python -m tests.celery_processes beat SCHEDULE_FILE SECONDS"
            )
