"""The attack these tests refuse (each failed before its fix):

A social account is keyed by the configuration's ``provider_id`` and the
provider's ``sub``, and the provider id never changes when the issuer does. After A's HR admin
points A's configuration at another issuer (and tests it again), the new issuer's ``sub``
values open the accounts linked under the old one, and a linked account skips the claimed-domain
check (``_check_person``). The new IdP picks ``sub: "kim"`` and is signed in as whoever the old
IdP's "kim" was: here B's HR admin, whose address is in B's domain."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from allauth.socialaccount.models import SocialAccount

from mentorship.identity.models import SingleSignOn
from tests.conftest import Tenant
from tests.identity.sso_support import browser, claim, oidc_sso, signed_in_user_id
from tests.identity.test_oidc_sign_in import sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def switched(alpha: Tenant, beta: Tenant, oidc_server: str) -> SingleSignOn:
    with beta.scope():
        claim(beta.organization, "beta.test")
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        sso = oidc_sso(alpha.organization, oidc_server)  # the new issuer, tested and live
    # Linked by the *old* issuer (when the person still had an alpha.test address).
    SocialAccount.objects.create(
        user=beta.hr,
        provider=sso.provider_id,
        uid="kim",
        extra_data={"id_token": {"iss": "https://old-idp.example.com", "sub": "kim"}},
    )
    return sso


def test_a_new_issuer_does_not_inherit_the_old_issuers_linked_accounts(
    alpha: Tenant, beta: Tenant, switched: SingleSignOn, oidc_user: Callable
) -> None:
    oidc_user("kim", {"email": "whoever@alpha.test"})
    client = browser()
    sign_in(client, "alpha", "kim")
    assert signed_in_user_id(client) != str(beta.hr.pk), (
        "A's new identity provider signed in as B's HR admin through an old link"
    )
