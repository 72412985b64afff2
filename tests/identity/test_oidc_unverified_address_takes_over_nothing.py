"""The attack these tests refuse (each failed before its fix):

The provider's own ``email_verified: false`` is ignored; an address in a
claimed domain is always taken as verified, and allauth's email authentication then signs the
provider's *unverified* claim into the existing account with that address. Any IdP that lets a
person set their own, unverified email (Keycloak self-registration or profile edit, Entra's
mutable ``email`` claim: "nOAuth") lets a participant of A become A's HR admin."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mentorship.identity.models import SingleSignOn
from tests.conftest import Tenant
from tests.identity.sso_support import browser, claim, oidc_sso, signed_in_user_id
from tests.identity.test_oidc_sign_in import sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def sso(alpha: Tenant, oidc_server: str) -> SingleSignOn:
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        return oidc_sso(alpha.organization, oidc_server)


def test_an_id_token_saying_email_verified_false_does_not_take_over_the_account(
    alpha: Tenant, sso: SingleSignOn, oidc_user: Callable
) -> None:
    # "mallory" at the IdP typed the HR admin's address into her own profile; the IdP says so.
    oidc_user("mallory", {"email": alpha.hr.email, "email_verified": False})
    client = browser()
    sign_in(client, "alpha", "mallory")
    assert signed_in_user_id(client) != str(alpha.hr.pk), (
        "an unverified email claim signed in as the HR admin"
    )
