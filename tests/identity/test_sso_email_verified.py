"""An OpenID Connect provider that says it did not verify the address is taken at its word, in
the ID token or userinfo, as a boolean or the string some providers send; one that says nothing
is not (the address must be in a claimed domain anyway). The sign-in itself is driven in
tests/identity/test_oidc_unverified_address_takes_over_nothing.py."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount, SocialLogin

from mentorship.identity.sso.adapter import _says_unverified


@pytest.mark.parametrize(
    ("extra", "unverified"),
    [
        ({"id_token": {"email_verified": False}}, True),
        ({"userinfo": {"email_verified": "false"}}, True),
        ({"id_token": {"email_verified": True}, "userinfo": {"email_verified": False}}, True),
        ({"id_token": {"email_verified": True}}, False),
        ({"id_token": {"email": "a@alpha.test"}}, False),
        ({}, False),
    ],
)
def test_the_providers_own_email_verified_false_is_heard(extra: dict, unverified: bool) -> None:
    login = SocialLogin(account=SocialAccount(provider="oidc-alpha", uid="1", extra_data=extra))
    assert _says_unverified(login) is unverified
