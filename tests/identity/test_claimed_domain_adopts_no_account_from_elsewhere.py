"""A domain claim is checked when it is made (test_domain_claims_cannot_take_over_accounts);
this holds afterwards: an account that works with other organisations and not with this one,
or an operator's, is never adopted by this organisation's provider or directory on the strength
of its address alone. The organisation invites it instead."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from mentorship.models import Membership, User
from mentorship.tenancy import across_all_organizations
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.identity.scim_helpers import Scim, token_for, user_body
from tests.identity.sso_support import (
    browser,
    claim,
    saml_post,
    saml_response,
    saml_sso,
    saml_start,
    signed_in_user_id,
)


@pytest.fixture
def alpha_sso(alpha: Tenant, settings):
    settings.SSO_ALLOW_INSECURE = True
    with alpha.scope():
        claim(alpha.organization, "alphacorp.com")
        return saml_sso(alpha.organization)


def _sign_in(tenant: Tenant, sso, email: str):
    client = browser()
    request_id = saml_start(client, tenant.organization)
    saml_post(
        client,
        sso.provider_id,
        saml_response(provider_id=sso.provider_id, in_response_to=request_id, email=email),
    )
    return client


def _account(email: str, **fields: object) -> User:
    """An account that confirmed its address (as any account that has been used)."""
    user = User.objects.create_user(email=email, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _members_of_alpha(alpha: Tenant, user: User) -> bool:
    with across_all_organizations():
        return Membership.objects.filter(organization=alpha.organization, user=user).exists()


def test_an_account_working_only_elsewhere_is_not_adopted_by_sso(
    alpha: Tenant, beta: Tenant, alpha_sso
) -> None:
    # Joined beta after alpha claimed the domain (beta invited the address).
    person = _account("kim@alphacorp.com", password="kims-own-password")
    MembershipFactory(organization=beta.organization, user=person, is_hr_admin=True)
    client = _sign_in(alpha, alpha_sso, "kim@alphacorp.com")
    assert signed_in_user_id(client) is None
    assert not _members_of_alpha(alpha, person)


def test_a_member_here_who_also_works_elsewhere_signs_in(
    alpha: Tenant, beta: Tenant, alpha_sso
) -> None:
    person = _account("kim@alphacorp.com")
    MembershipFactory(organization=beta.organization, user=person, is_participant=True)
    MembershipFactory(organization=alpha.organization, user=person, is_participant=True)
    client = _sign_in(alpha, alpha_sso, "kim@alphacorp.com")
    assert signed_in_user_id(client) == str(person.pk)


def test_an_operators_account_is_not_adopted(alpha: Tenant, alpha_sso) -> None:
    operator = _account("ops@alphacorp.com", is_staff=True)
    client = _sign_in(alpha, alpha_sso, "ops@alphacorp.com")
    assert signed_in_user_id(client) is None
    assert not _members_of_alpha(alpha, operator)


def test_the_directory_invites_rather_than_takes_an_account_from_elsewhere(
    alpha: Tenant, beta: Tenant, alpha_sso
) -> None:
    person = _account("kim@alphacorp.com")
    MembershipFactory(organization=beta.organization, user=person, is_participant=True)
    response = Scim(token_for(alpha.organization)).post("/Users", user_body("kim@alphacorp.com"))
    assert response.status_code == 409
    assert "invite this person" in response.json()["detail"]
    assert not _members_of_alpha(alpha, person)
