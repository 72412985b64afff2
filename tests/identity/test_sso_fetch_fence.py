"""The requests session allauth fetches an OpenID Connect provider with at sign-in
(``mentorship.identity.sso.fetch``): no redirect followed, no body past the cap, no private
address (test_oidc_fetches_stay_off_private_networks.py drives the last through a sign-in)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from mentorship.identity.oidc_discovery import MAX_BYTES
from mentorship.identity.sso.fetch import FetchRefused, guarded_session


class _Provider(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/internal")
            self.end_headers()
            return
        body = b"x" * (MAX_BYTES + 10) if self.path == "/huge" else b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(autouse=True)
def _forget() -> None:
    _Provider.hits = []


def test_an_answer_is_read_when_the_fence_is_lifted(settings, provider: str) -> None:
    settings.SSO_ALLOW_INSECURE = True  # the loopback stand-in for a provider
    with guarded_session() as session:
        assert session.get(f"{provider}/ok").json() == {"ok": True}


def test_a_redirect_is_not_followed(settings, provider: str) -> None:
    settings.SSO_ALLOW_INSECURE = True
    with guarded_session() as session, pytest.raises(FetchRefused):
        session.get(f"{provider}/redirect", allow_redirects=True)
    assert _Provider.hits == ["/redirect"]


def test_an_answer_past_the_cap_is_refused(settings, provider: str) -> None:
    settings.SSO_ALLOW_INSECURE = True
    with guarded_session() as session, pytest.raises(FetchRefused):
        session.get(f"{provider}/huge")


def test_a_private_address_is_never_called(settings, provider: str) -> None:
    settings.SSO_ALLOW_INSECURE = False
    with guarded_session() as session, pytest.raises(FetchRefused):
        session.post(f"{provider}/token", data={"code": "x"})
    assert _Provider.hits == []
