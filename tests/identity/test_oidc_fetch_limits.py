"""Two limits of every request our server makes to an OpenID Connect provider: the host checked
is the host connected to (URL parsers disagree on backslashes), and a whole answer must arrive
within the timeout (requests' own timeout counts each read, so a provider dripping one byte at
a time would hold a worker as long as it liked)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.core.exceptions import ValidationError

from mentorship.identity import oidc_discovery
from mentorship.identity.sso.fetch import guarded_session


def test_a_url_whose_parsers_disagree_on_the_host_is_refused(monkeypatch, settings) -> None:
    settings.SSO_ALLOW_INSECURE = False
    # Names count as public here (no DNS in tests); private address literals do not.
    monkeypatch.setattr(
        oidc_discovery, "host_is_public", lambda host, port=443: not host.startswith("10.")
    )
    oidc_discovery.check_url("https://idp.example.com/token", what="token endpoint")
    for url in (
        "https://10.0.0.5:8443\\@idp.example.com/token",  # requests connects to 10.0.0.5
        "https://idp.example.com\t/token",
    ):
        with pytest.raises(ValidationError):
            oidc_discovery.check_url(url, what="token endpoint")


class _Drip(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "30")
        self.end_headers()
        for _ in range(30):  # 30 bytes over about 3 s
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(0.1)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def dripping_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_an_answer_dripping_in_past_the_deadline_is_cut_off(
    dripping_server: str, monkeypatch, settings
) -> None:
    settings.SSO_ALLOW_INSECURE = True
    monkeypatch.setattr(oidc_discovery, "TIMEOUT_SECONDS", 0.5)
    with pytest.raises(requests.Timeout):
        oidc_discovery.fetch(dripping_server)
    with pytest.raises(requests.RequestException):
        guarded_session().get(dripping_server)
