"""A real HTTP server on this machine, in a thread, serving calendars the way calendar servers
do (ETag, Last-Modified, 304, redirects), and the failures they have (404, HTML, too big, too
slow). Its address is loopback: tests that fetch from it turn on
``CALENDARS_ALLOW_PRIVATE_NETWORKS``, as an on-premises installation would."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CALENDARS = Path(__file__).parent / "calendars"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds between chunks of 1 KB: a server that drips its answer.
    drip: float = 0.0
    # Send this many bytes of body in all (a body of any size without holding it in memory).
    stream_bytes: int = 0
    # No Content-Length: the body ends when the connection closes.
    omit_length: bool = False


@dataclass
class CalendarServer:
    base: str
    routes: dict[str, Callable[[dict[str, str]], Reply]]
    requests: list[tuple[str, dict[str, str]]]

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def serve(self, path: str, reply: Reply | Callable[[dict[str, str]], Reply]) -> str:
        self.routes[path] = reply if callable(reply) else (lambda headers: reply)
        return self.url(path)


def ics(name: str) -> bytes:
    # Calendar servers send CRLF line endings.
    return (CALENDARS / name).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@pytest.fixture
def calendar_server() -> Iterator[CalendarServer]:
    routes: dict[str, Callable[[dict[str, str]], Reply]] = {}
    seen: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            seen.append((self.path, headers))
            route = routes.get(self.path)
            reply = route(headers) if route else Reply(status=404, body=b"Not found")
            # The client may give up (too big, too slow): what the test wanted.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(reply)

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            length = reply.stream_bytes or len(reply.body)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if "Content-Length" not in reply.headers and not reply.omit_length:
                self.send_header("Content-Length", str(length))
            self.send_header("Connection", "close")
            self.end_headers()
            if reply.stream_bytes:
                chunk = b"BEGIN:VCALENDAR\r\n" + b"X" * (64 * 1024 - 17)
                sent = 0
                while sent < reply.stream_bytes:
                    self.wfile.write(chunk)
                    sent += len(chunk)
                return
            if reply.drip:
                for i in range(0, len(reply.body), 1024):
                    self.wfile.write(reply.body[i : i + 1024])
                    self.wfile.flush()
                    time.sleep(reply.drip)
                return
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet tests

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield CalendarServer(
            base=f"http://127.0.0.1:{server.server_address[1]}", routes=routes, requests=seen
        )
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def private_networks_allowed(settings: object) -> None:
    settings.CALENDARS_ALLOW_PRIVATE_NETWORKS = True  # type: ignore[attr-defined]


@pytest.fixture
def private_networks_refused(settings: object) -> None:
    settings.CALENDARS_ALLOW_PRIVATE_NETWORKS = False  # type: ignore[attr-defined]
