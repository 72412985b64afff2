"""The attack these tests refuse (each failed before its fix):

The public-mail blocklist is a short fixed list (gmail.com, hotmail.com, ...),
so an HR admin of A with a verified address at a public provider not on it (hotmail.co.uk,
yahoo.co.uk, outlook.fr, gmx.at, t-online.de, icloud's me.com is listed but not, say,
btinternet.com) claims that domain. From then on A's own identity provider "speaks for" every
address there: allauth's email authentication signs A's IdP into *any* existing account with a
verified address in it, e.g. beta's HR admin, with all of beta's data."""

from __future__ import annotations

import pytest

from mentorship.identity.models import ClaimedDomain
from tests.conftest import Tenant
from tests.factories import MembershipFactory, UserFactory
from tests.identity.settings_support import reauthenticated
from tests.identity.sso_support import (
    browser,
    saml_post,
    saml_response,
    saml_sso,
    saml_start,
    signed_in_user_id,
)

pytestmark = pytest.mark.usefixtures("sso_insecure")


@pytest.mark.parametrize("domain", ["hotmail.co.uk", "yahoo.co.uk", "outlook.fr", "gmx.at"])
def test_a_public_mail_domain_outside_the_short_list_cannot_be_claimed(
    alpha: Tenant, client_for, domain: str
) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=alpha.hr, email=f"boss@{domain}", verified=True)
    hr = reauthenticated(client_for(alpha.hr))
    hr.post("/o/alpha/settings/domains/", {"domain": domain})
    with alpha.scope():
        assert not ClaimedDomain.objects.filter(domain=domain).exists(), (
            f"{domain} (a public mail provider) was claimed"
        )


def test_a_claimed_public_domain_lets_a_s_idp_sign_in_as_b_s_hr_admin(
    alpha: Tenant, beta: Tenant, client_for
) -> None:
    from allauth.account.models import EmailAddress

    victim = UserFactory(email="beta.boss@hotmail.co.uk")
    MembershipFactory(organization=beta.organization, user=victim, is_hr_admin=True)
    # A's HR admin verifies an address of their own at the same public provider and claims it.
    EmailAddress.objects.create(user=alpha.hr, email="alpha.boss@hotmail.co.uk", verified=True)
    reauthenticated(client_for(alpha.hr)).post(
        "/o/alpha/settings/domains/", {"domain": "hotmail.co.uk"}
    )
    with alpha.scope():
        sso = saml_sso(alpha.organization)  # A's IdP: A's HR admin controls what it signs
    client = browser()
    request_id = saml_start(client, alpha.organization)
    answer = saml_response(
        provider_id=sso.provider_id, in_response_to=request_id, email=victim.email
    )
    saml_post(client, sso.provider_id, answer)
    assert signed_in_user_id(client) != str(victim.pk), (
        "A's identity provider signed in as B's HR admin"
    )
