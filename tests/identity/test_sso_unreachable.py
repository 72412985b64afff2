"""An identity provider that cannot be reached is explained, never a server error."""

from __future__ import annotations

import pytest
from django.test import Client

from mentorship.identity.sso.adapter import TESTING_SESSION_KEY
from tests.identity.settings_support import reauthenticated
from tests.identity.sso_support import claim, oidc_sso

# Nothing listens on the discard port: the discovery request is refused at once.
DOWN = "http://127.0.0.1:9"


@pytest.fixture
def down_sso(alpha, settings):
    settings.SSO_ALLOW_INSECURE = True
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        return oidc_sso(alpha.organization, DOWN, status="live")


def test_a_connection_test_against_a_provider_that_is_down_comes_back_explained(
    alpha, client_for, down_sso
) -> None:
    client = reauthenticated(client_for(alpha.hr))
    response = client.post("/o/alpha/settings/sso/test/", follow=True)
    assert response.status_code == 200
    assert "The test could not start" in response.content.decode()
    assert TESTING_SESSION_KEY not in client.session


@pytest.mark.parametrize("how", ["discovery", "organisation link"])
def test_signing_in_while_the_provider_is_down_says_so_and_names_the_way_in(down_sso, how) -> None:
    anonymous = Client()
    if how == "discovery":
        response = anonymous.post("/sso/", {"email": "someone@alpha.test"})
    else:
        response = anonymous.post("/o/alpha/sso/")
    assert response.status_code == 502
    page = response.content.decode()
    assert "identity provider is unavailable" in page
    assert "sign in with their password" in page  # break-glass is on by default
