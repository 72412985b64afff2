"""A provider whose discovery document changes between the start of a sign-in and its callback
(an endpoint missing, not a JSON object at all) is answered like one that cannot be reached:
a 502 page that names the way in, not a server error."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from tests.identity.sso_support import claim, oidc_sso

DOCUMENTS = {"list": [], "no endpoints": {"issuer": "x"}}


@pytest.fixture
def changed_provider(request) -> Iterator[tuple[str, dict]]:
    """A provider whose discovery document is ``served["now"]``: a good one until the test
    swaps in the changed one (``served["later"]``)."""
    served: dict[str, object] = {"later": DOCUMENTS[request.param]}

    class Discovery(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(served["now"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Discovery)
    issuer = f"http://127.0.0.1:{server.server_port}"
    served["now"] = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "response_types_supported": ["code"],
    }
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield issuer, served
    server.shutdown()


@pytest.mark.parametrize("changed_provider", list(DOCUMENTS), indirect=True)
def test_a_callback_against_a_changed_discovery_document_is_a_502(
    alpha, settings, changed_provider: tuple[str, dict]
) -> None:
    settings.SSO_ALLOW_INSECURE = True
    issuer, served = changed_provider
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        sso = oidc_sso(alpha.organization, issuer)
    browser = Client()
    started = browser.post("/o/alpha/sso/").content.decode()
    state = re.search(r"state=([^&\"]+)", started).group(1)
    served["now"] = served["later"]  # the provider changed its document meanwhile
    response = browser.get(
        f"/accounts/oidc/{sso.provider_id}/login/callback/", {"code": "c", "state": state}
    )
    assert response.status_code == 502
    assert "identity provider is unavailable" in response.content.decode()
