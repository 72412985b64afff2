"""The attack these tests refuse (each failed before its fix):

SSO-only is decided on the address typed, not on the account.

An account whose address is in an SSO-only organisation's claimed domain can still sign in
with a password (and reset it) through any other address on the same account. A leaver the
IdP disabled keeps getting in."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from mentorship.identity.models import SingleSignOn
from tests.conftest import PASSWORD, Tenant
from tests.identity.sso_support import claim, saml_sso


@pytest.fixture
def sso_only(alpha: Tenant) -> SingleSignOn:
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        return saml_sso(alpha.organization, sso_only=True)


def _second_address(user: object, email: str) -> None:
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=False)


def test_sso_only_password_sign_in_through_a_second_address_is_refused(
    alpha: Tenant, sso_only: SingleSignOn
) -> None:
    # The participant (participant@alpha.test, SSO-only) added a personal address at
    # /accounts/email/ and verified it (their own mailbox).
    _second_address(alpha.participant, "me@personal.example")
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "me@personal.example", "password": PASSWORD}
    )
    # SSO-only must hold for the account, whichever of its addresses is typed.
    assert "_auth_user_id" not in client.session, "password sign-in around SSO-only"
    assert response.status_code == 200


def test_sso_only_password_reset_through_a_second_address_is_refused(
    alpha: Tenant, sso_only: SingleSignOn
) -> None:
    _second_address(alpha.participant, "me@personal.example")
    mail.outbox.clear()
    Client().post("/accounts/password/reset/", {"email": "me@personal.example"})
    assert not [m for m in mail.outbox if "me@personal.example" in m.to], (
        "a reset link went out for an SSO-only account"
    )


def test_sso_only_holds_for_an_international_domain_typed_in_unicode(
    alpha: Tenant,
) -> None:
    """Claimed domains are stored in their ASCII (IDNA) form; the sign-in form compares the
    typed address's domain as typed. An organisation that claimed bücher.example (stored as
    xn--bcher-kva.example) does not get SSO-only for its people's Unicode addresses."""
    from mentorship.identity import services
    from tests.factories import MembershipFactory, UserFactory

    person = UserFactory(email="anna@bücher.example")
    MembershipFactory(organization=alpha.organization, user=person, is_participant=True)
    with alpha.scope():
        services.domain_claim(organization=alpha.organization, domain="bücher.example", actor=None)
        saml_sso(alpha.organization, sso_only=True)
    client = Client()
    client.post("/accounts/login/", {"login": "anna@bücher.example", "password": PASSWORD})
    assert "_auth_user_id" not in client.session, "password sign-in around SSO-only (IDN)"
