"""Helpers of the webhook tests: a real HTTP receiver on loopback, endpoints, moving time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock

from mentorship.events import services
from mentorship.events.models import EventType, WebhookDelivery, WebhookEndpoint
from mentorship.tenancy import tenant_scope
from tests.conftest import Tenant


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0


class Receiver:
    """An HTTP server in a thread, on 127.0.0.1, that records what it receives and answers
    what ``answer`` says (a fixed ``Answer``, or a function of the request). ``stop()`` and
    ``start()`` take it down and bring it back on the same port."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer: Answer | Callable[[Received], Answer] = Answer()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                request = Received(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                receiver.received.append(request)
                answer = receiver.answer
                if callable(answer):
                    answer = answer(request)
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]


def make_endpoint(
    tenant: Tenant,
    url: str,
    *,
    events: list[str] | None = None,
    format: str = WebhookEndpoint.Format.STANDARD,
) -> tuple[WebhookEndpoint, str]:
    with tenant_scope(tenant.organization):
        return services.endpoint_create(
            organization=tenant.organization,
            url=url,
            format=format,
            event_types=events or [EventType.PAIRING_ACTIVE],
            actor=tenant.hr,
        )


@contextmanager
def time_is(moment: datetime) -> Iterator[None]:
    """``timezone.now()`` answers ``moment`` (the delivery code reads the time through it)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def deliveries(tenant: Tenant) -> list[WebhookDelivery]:
    with tenant_scope(tenant.organization):
        return list(WebhookDelivery.objects.select_related("event").order_by("pk"))
