"""The MFA policy "accept the identity provider's second factor": a session that signed in
through organisation X's provider passes X's two-factor gate, and no other organisation's."""

from __future__ import annotations

import pytest

from mentorship.identity.models import SingleSignOn
from mentorship.models import Organization
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.identity.sso_support import (
    browser,
    claim,
    saml_post,
    saml_response,
    saml_sso,
    saml_start,
    signed_in_user_id,
)

pytestmark = pytest.mark.usefixtures("sso_insecure")


@pytest.fixture
def strict(alpha: Tenant, beta: Tenant) -> Tenant:
    """Both organisations require a second factor of HR admins; alpha's HR admin is one in beta
    too; alpha signs in through its SAML provider."""
    Organization.objects.update(mfa_required=True)
    MembershipFactory(organization=beta.organization, user=alpha.hr, is_hr_admin=True)
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        saml_sso(alpha.organization, accept_idp_mfa=True)
    return alpha


def _signed_in_through_alpha(alpha: Tenant) -> object:
    client = browser()
    request_id = saml_start(client, alpha.organization)
    answer = saml_response(
        provider_id="saml-alpha", in_response_to=request_id, email=alpha.hr.email
    )
    saml_post(client, "saml-alpha", answer)
    assert signed_in_user_id(client) == str(alpha.hr.pk)
    return client


def test_alphas_provider_counts_as_the_second_factor_in_alpha_only(strict: Tenant) -> None:
    client = _signed_in_through_alpha(strict)
    assert client.get("/o/alpha/members/").status_code == 200
    # Beta requires our second factor (not enrolled yet: enrol first).
    assert client.get("/o/beta/members/")["Location"] == "/accounts/2fa/"


def test_without_the_policy_our_second_factor_is_asked(strict: Tenant) -> None:
    with strict.scope():
        SingleSignOn.objects.update(accept_idp_mfa=False)
    client = _signed_in_through_alpha(strict)
    assert client.get("/o/alpha/members/")["Location"] == "/accounts/2fa/"
