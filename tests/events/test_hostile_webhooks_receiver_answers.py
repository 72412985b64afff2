"""A hostile or broken receiver controls the bytes of its answer. Whatever it sends, an attempt
must settle (recorded as delivered or failed, within the time budget), never crash the worker
and leave the delivery to be re-sent every CLAIM_DURATION for ever."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from mentorship.events import delivery as delivery_module
from mentorship.events.models import EventType, WebhookDelivery
from mentorship.events.services import event_emit
from mentorship.events.tasks import deliver_webhooks
from tests.conftest import Tenant
from tests.events.support import deliveries, make_endpoint, time_is

pytestmark = pytest.mark.usefixtures("private_networks")


class RawReceiver:
    """A TCP server on loopback: reads each request whole, then hands the socket to
    ``script`` which writes whatever bytes it likes. Counts the requests it got."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.script = script
        self.requests = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port = self._sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            while len(body) < length:
                body += conn.recv(65536)
            self.requests += 1
            self.script(conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        self._stop = True
        self._sock.close()


@pytest.fixture
def raw() -> Iterator[Callable[[Callable[[socket.socket], None]], RawReceiver]]:
    made: list[RawReceiver] = []

    def make(script: Callable[[socket.socket], None]) -> RawReceiver:
        server = RawReceiver(script)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def one_pending(tenant: Tenant, url: str) -> WebhookDelivery:
    make_endpoint(tenant, url)
    with tenant.scope():
        event_emit(
            organization=tenant.organization,
            event_type=EventType.PAIRING_ACTIVE,
            data={"id": 1},
        )
    [pending] = deliveries(tenant)
    return pending


def attempt(tenant: Tenant, pending: WebhookDelivery) -> WebhookDelivery:
    deliver_webhooks(organization_id=tenant.organization.pk, delivery_ids=[pending.pk])
    [after] = deliveries(tenant)
    return after


def settled(row: WebhookDelivery) -> bool:
    """The attempt was recorded: its claim released, and an outcome written."""
    return row.claimed_until is None and (
        row.status != "pending" or bool(row.last_error) or row.last_status_code is not None
    )


def test_an_unknown_charset_in_a_2xx_answer_still_counts_as_delivered(alpha: Tenant, raw) -> None:
    """``Content-Type: text/plain; charset=x-hostile`` made ``bytes.decode`` raise LookupError
    out of ``send``: the receiver's 200 was never recorded, and the same webhook-id was sent
    again every CLAIM_DURATION."""

    def answer(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=x-hostile\r\n"
            b"Content-Length: 2\r\nConnection: close\r\n\r\nok"
        )

    server = raw(answer)
    after = attempt(alpha, one_pending(alpha, server.url))
    assert server.requests == 1
    assert after.status == WebhookDelivery.Status.DELIVERED, (after.status, after.last_error)


def test_an_answer_cut_short_is_recorded_not_a_crash(alpha: Tenant, raw) -> None:
    """Content-Length promises more than the receiver sends: urllib3's ProtocolError escaped
    ``send`` (it catches only requests' exceptions, but reads ``response.raw`` directly)."""

    def answer(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 500\r\n"
            b"Connection: close\r\n\r\npartial"
        )

    server = raw(answer)
    after = attempt(alpha, one_pending(alpha, server.url))
    assert server.requests == 1
    assert settled(after), (after.status, after.claimed_until, after.last_error)


def test_a_body_that_stalls_is_a_recorded_timeout_not_a_crash(
    alpha: Tenant, raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Headers at once, then silence: urllib3's ReadTimeoutError (not ``requests.Timeout``)
    escaped ``send``; nothing recorded, the delivery re-sent every CLAIM_DURATION."""
    monkeypatch.setattr(delivery_module, "TIMEOUT_SECONDS", 0.5)

    def answer(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        time.sleep(2)

    server = raw(answer)
    after = attempt(alpha, one_pending(alpha, server.url))
    assert server.requests == 1
    assert settled(after), (after.status, after.claimed_until, after.last_error)


def test_headers_dripped_slowly_do_not_stretch_the_time_budget(
    alpha: Tenant, raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slowloris on the status line and headers: one byte just inside the per-read timeout,
    for ever. ``timeout=`` is per socket read, and the overall deadline is only checked while
    reading the body, so the attempt lasts as long as the receiver likes (past CLAIM_DURATION,
    when a second worker takes the delivery and sends it again)."""
    budget = 0.5
    monkeypatch.setattr(delivery_module, "TIMEOUT_SECONDS", budget)

    def answer(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for byte in b"X-Drip: " + b"a" * 12:
            conn.sendall(bytes([byte]))
            time.sleep(0.3)
        conn.sendall(b"\r\nContent-Length: 2\r\n\r\nok")

    server = raw(answer)
    pending = one_pending(alpha, server.url)
    started = time.monotonic()
    after = attempt(alpha, pending)
    elapsed = time.monotonic() - started
    assert server.requests == 1
    assert elapsed < budget + 1.5, f"the attempt took {elapsed:.1f} s for a {budget} s budget"
    assert after.status == "pending" and "seconds" in after.last_error


def test_a_nul_byte_in_the_answer_is_stored_on_every_database(alpha: Tenant, raw) -> None:
    """PostgreSQL text cannot hold NUL: a receiver answering 200 with a binary body made the
    settle UPDATE fail, so the acknowledged delivery stayed pending and was sent again every
    CLAIM_DURATION. On SQLite the NUL is stored, and rendered into the log page."""

    def answer(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: 5\r\nConnection: close\r\n\r\nok\x00\x01\x02"
        )

    server = raw(answer)
    after = attempt(alpha, one_pending(alpha, server.url))
    assert server.requests == 1
    assert after.status == WebhookDelivery.Status.DELIVERED, (after.status, after.last_error)
    assert "\x00" not in after.response_excerpt


def test_an_attempt_that_crashes_every_time_is_not_retried_for_ever(
    alpha: Tenant, raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The module says a killed attempt counts, "so an event that kills workers cannot be
    retried for ever"; but ``claim`` never compares ``attempts`` with MAX_ATTEMPTS, and only
    ``settle`` (which a crash skips) gives up. Any exception out of send/settle (the answers
    above, a DB error) means the event is sent every CLAIM_DURATION without end."""

    def answer(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    server = raw(answer)
    pending = one_pending(alpha, server.url)

    def crash(*args, **kwargs):
        raise RuntimeError("settle died (e.g. a database error)")

    monkeypatch.setattr(delivery_module, "settle", crash)
    start = timezone.now()
    for n in range(delivery_module.MAX_ATTEMPTS + 5):
        moment = start + n * (delivery_module.CLAIM_DURATION + timedelta(seconds=1))
        with time_is(moment):
            deliver_webhooks(organization_id=alpha.organization.pk, delivery_ids=[pending.pk])
    assert server.requests <= delivery_module.MAX_ATTEMPTS, (
        f"sent {server.requests} times, attempts={deliveries(alpha)[0].attempts}"
    )
