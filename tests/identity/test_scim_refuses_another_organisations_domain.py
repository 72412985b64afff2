"""The attack these tests refuse (each failed before its fix):

A's SCIM token may create an account for an address in a domain that B
claimed, as long as no account exists yet. ``user_for_email`` refuses only existing accounts
outside A's domains, so A squats B's people before they ever sign in: A picks the account's
names (names are global and "filled only where empty": B's pages then show A's choice), and
makes the person a member of A without their consent. When the person later arrives through
B's identity provider, allauth's email authentication signs them into the account A made,
already a member of A."""

from __future__ import annotations

from mentorship.models import Membership, User
from mentorship.tenancy import across_all_organizations
from tests.conftest import Tenant
from tests.identity.scim_helpers import Scim, token_for, user_body
from tests.identity.sso_support import claim


def test_a_s_directory_cannot_provision_an_address_in_b_s_claimed_domain(
    alpha: Tenant, beta: Tenant
) -> None:
    with beta.scope():
        claim(beta.organization, "betacorp.com")
    scim = Scim(token_for(alpha.organization))
    response = scim.post(
        "/Users",
        user_body(
            "ceo@betacorp.com",
            name={"givenName": "Reset your password at", "familyName": "evil.example"},
        ),
    )
    with across_all_organizations():
        squatted = Membership.objects.filter(
            organization=alpha.organization, user__email="ceo@betacorp.com"
        ).exists()
    names = list(User.objects.filter(email="ceo@betacorp.com").values_list("first_name", flat=True))
    assert response.status_code == 409 and not squatted, (
        f"A's directory provisioned B's address ({response.status_code}); account names {names}"
    )


def test_b_s_new_hire_does_not_land_in_an_account_a_pre_made(
    alpha: Tenant, beta: Tenant, settings
) -> None:
    from tests.identity.sso_support import (
        browser,
        saml_post,
        saml_response,
        saml_sso,
        saml_start,
        signed_in_user_id,
    )

    settings.SSO_ALLOW_INSECURE = True
    with beta.scope():
        claim(beta.organization, "betacorp.com")
        sso = saml_sso(beta.organization)
    squat = Scim(token_for(alpha.organization)).post("/Users", user_body("new.hire@betacorp.com"))
    assert squat.status_code in (201, 409)
    client = browser()
    request_id = saml_start(client, beta.organization)
    final = saml_post(
        client,
        sso.provider_id,
        saml_response(
            provider_id=sso.provider_id, in_response_to=request_id, email="new.hire@betacorp.com"
        ),
    )
    user = User.objects.get(email="new.hire@betacorp.com")
    # Today the new hire is not even signed in: sent to "confirm your email" for the address
    # A's directory left unverified, their own organisation's IdP notwithstanding.
    assert signed_in_user_id(client) == str(user.pk), (
        f"B's IdP could not sign its new hire in: {final['Location']}"
    )
    with across_all_organizations():
        in_alpha = Membership.objects.filter(organization=alpha.organization, user=user).exists()
    assert not in_alpha, "B's new hire signed in to an account that A's directory made in A"
