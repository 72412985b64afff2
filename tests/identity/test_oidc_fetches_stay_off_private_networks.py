"""The attack these tests refuse (each failed before its fix):

The fence around server-side fetches of an OpenID Connect provider covers the
save of the settings only, and not all of it.

- ``discover`` checks the authorization, token and JWKS endpoints but not ``userinfo_endpoint``,
  which allauth GETs at every sign-in (with the access token) and whose JSON answer becomes the
  "claims" a connection test shows the HR admin: a readable SSRF (cloud metadata credentials
  are JSON).
- At sign-in, allauth fetches the discovery document again and then the endpoints *it* names,
  with a plain requests session: redirects followed, any address. Nothing re-checks that the
  hosts are public, so a provider whose document (or DNS) changes after the save makes our
  server call internal addresses on every sign-in start."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest
import requests
from django.core.exceptions import ValidationError

from mentorship.identity import oidc_discovery
from tests.conftest import Tenant
from tests.identity.sso_support import browser, claim, oidc_sso

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PUBLIC = "https://idp.example.com"


def _fake_response(document: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(document).encode()
    return response


def test_a_userinfo_endpoint_on_a_private_address_is_refused_at_save(settings, monkeypatch) -> None:
    settings.SSO_ALLOW_INSECURE = False
    monkeypatch.setattr(
        oidc_discovery.socket,
        "getaddrinfo",
        lambda host, port: [(0, 0, 0, "", ("93.184.215.14", port))],
    )
    document = {
        "issuer": PUBLIC,
        "authorization_endpoint": f"{PUBLIC}/authorize",
        "token_endpoint": f"{PUBLIC}/token",
        "jwks_uri": f"{PUBLIC}/jwks",
        "userinfo_endpoint": "http://169.254.169.254/latest/meta-data/iam/security-credentials/web",
        "response_types_supported": ["code"],
    }
    monkeypatch.setattr(oidc_discovery, "fetch", lambda url: _fake_response(document))
    with pytest.raises(ValidationError):
        oidc_discovery.discover(PUBLIC)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = json.dumps({"issuer": "x"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def internal_service() -> Iterator[str]:
    """Something on our own network (here: loopback) that must never hear from us."""
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_starting_a_sign_in_never_fetches_from_a_private_address(
    alpha: Tenant, settings, internal_service: str
) -> None:
    settings.SSO_ALLOW_INSECURE = False  # production
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        # Saved while its host resolved to a public address; it now resolves to ours (or the
        # provider's document now names internal endpoints): simulated by a loopback issuer.
        oidc_sso(alpha.organization, internal_service + "/admin/internal")
    client = browser()
    client.raise_request_exception = False
    client.post("/o/alpha/sso/")
    assert _Recorder.hits == [], f"our server fetched {_Recorder.hits} from a private address"


@pytest.mark.parametrize("document", [{"issuer": "x"}, [], "just a string"])
def test_a_discovery_answer_without_endpoints_at_sign_in_is_a_502_not_a_500(
    alpha: Tenant, settings, internal_service: str, document: object, monkeypatch
) -> None:
    """The provider's discovery document changed after the save (or its host did): starting
    a sign-in must explain (the unreachable page, 502), not crash."""
    settings.SSO_ALLOW_INSECURE = True  # the loopback stand-in for the provider is allowed
    monkeypatch.setattr(_Recorder, "do_GET", _answer_with(document))
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        oidc_sso(alpha.organization, internal_service)
    client = browser()
    client.raise_request_exception = False
    response = client.post("/o/alpha/sso/")
    assert response.status_code == 502, response.status_code


def _answer_with(document: object):
    def do_get(self) -> None:
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    return do_get
