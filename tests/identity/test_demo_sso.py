"""`make run`'s single sign-on: the demo points acme at the local provider `make run` starts,
only where plain-HTTP providers are allowed (DEBUG), and running it again changes nothing."""

from __future__ import annotations

import json

from mentorship.identity.demo import (
    DEMO_ISSUER,
    DEMO_NEW_HIRE,
    demo_identity_provider_claims,
    seed_demo_sso,
)
from mentorship.identity.models import ClaimedDomain, SingleSignOn
from mentorship.identity.sso.adapter import social_app


def test_the_demo_turns_on_sso_against_the_local_provider_once(alpha, settings) -> None:
    settings.SSO_ALLOW_INSECURE = True
    with alpha.scope():
        for _ in range(2):
            seed_demo_sso(organization=alpha.organization, domain="alpha.example")
        sso = SingleSignOn.objects.get()
        assert (sso.protocol, sso.status, sso.issuer) == ("oidc", "live", DEMO_ISSUER)
        assert list(ClaimedDomain.objects.values_list("domain", flat=True)) == ["alpha.example"]
    app = social_app(None, sso)
    assert app.settings["server_url"] == DEMO_ISSUER
    # The provider's predefined person (the Makefile passes this JSON) is in the claimed domain.
    claims = json.loads(demo_identity_provider_claims())
    assert claims == DEMO_NEW_HIRE and claims["sub"] == claims["email"]


def test_without_debug_the_demo_configures_no_plain_http_provider(alpha, settings) -> None:
    settings.SSO_ALLOW_INSECURE = False
    with alpha.scope():
        assert seed_demo_sso(organization=alpha.organization, domain="alpha.example") is None
        assert not SingleSignOn.objects.exists()
