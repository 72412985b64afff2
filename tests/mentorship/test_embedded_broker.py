"""The embedded broker (``filesystem://``, no Redis) loses no message and never crashes a
consumer: several producer processes publish for a while, each through fresh connections (so
they rewrite the exchange table as they go), while a real Celery worker consumes; every message
arrives exactly once and nothing is logged as an error.

kombu's own filesystem transport fails this (a consumer reads a message file before it is
written: ``JSONDecodeError``, kombu #1551); ``mentorship.broker`` writes each file whole.
``BROKER_STRESS_SECONDS`` sets how long the producers run (30 by default)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from kombu import Connection

from mentorship.broker import Transport

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("BROKER_STRESS_SECONDS", "30"))
PRODUCERS = 3
# kombu.transport.filesystem:Transport here shows the failure this guards against.
TRANSPORT = os.environ.get("BROKER_STRESS_TRANSPORT", "mentorship.broker:Transport")

pytestmark = pytest.mark.worker

# Each producer: fresh connections every 25 messages, a message every few milliseconds, for
# the given time; prints how many it sent.
PRODUCER = """
import sys, time
from celery import Celery
folder, seconds, name, transport = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
app = Celery("stress", broker="filesystem://", set_as_current=False)
app.conf.broker_transport = transport
app.conf.broker_transport_options = {
    "data_folder_in": folder + "/data", "data_folder_out": folder + "/data",
    "control_folder": folder + "/control", "store_processed": False,
}
app.conf.task_default_queue = "stress"
sent, end = 0, time.monotonic() + seconds
while time.monotonic() < end:
    with app.connection_for_write() as connection:
        for _ in range(25):
            app.send_task("stress.record", args=[name, sent], connection=connection)
            sent += 1
            time.sleep(0.004)
print(sent)
"""


def stress_app(folder: Path) -> tuple[Celery, list[tuple[str, int]]]:
    app = Celery("stress", broker="filesystem://", set_as_current=False)
    app.conf.update(
        broker_transport_options={
            "data_folder_in": str(folder / "data"),
            "data_folder_out": str(folder / "data"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.05,
        },
        broker_transport=TRANSPORT,
        task_default_queue="stress",
        worker_prefetch_multiplier=1,
    )
    received: list[tuple[str, int]] = []

    @app.task(name="stress.record")
    def record(name: str, number: int) -> None:
        received.append((name, number))

    return app, received


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def test_the_embedded_broker_url_uses_the_whole_file_transport() -> None:
    assert Connection("filesystem://").get_transport_cls() is Transport
    assert (
        Connection("redis://127.0.0.1:1/0").get_transport_cls().__module__
        == "kombu.transport.redis"
    )


def test_many_producers_and_a_real_worker_lose_nothing_and_crash_nothing(tmp_path: Path) -> None:
    for sub in ("data", "control"):
        (tmp_path / sub).mkdir()
    app, received = stress_app(tmp_path)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            producers = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        PRODUCER,
                        str(tmp_path),
                        str(SECONDS),
                        f"p{n}",
                        TRANSPORT,
                    ],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for n in range(PRODUCERS)
            ]
            sent: dict[str, int] = {}
            for n, producer in enumerate(producers):
                out, err = producer.communicate(timeout=SECONDS + 120)
                assert producer.returncode == 0, err[-3000:]
                sent[f"p{n}"] = int(out.split()[-1])
            deadline = time.monotonic() + 120
            while len(received) < sum(sent.values()) and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        logging.getLogger().removeHandler(errors)
    expected = Counter((name, i) for name, count in sent.items() for i in range(count))
    assert sum(sent.values()) > PRODUCERS * 100, sent  # the producers really produced
    assert not errors.records, errors.records[:3]
    assert Counter(received) == expected, (
        f"{len(received)} received of {sum(sent.values())} sent; "
        f"missing {len(expected - Counter(received))}, twice {len(Counter(received) - expected)}"
    )
    # Nothing is left behind half-written or claimed.
    assert not [p.name for p in (tmp_path / "data").iterdir() if p.name != ".claimed"]
    assert not list((tmp_path / "data" / ".claimed").iterdir())
