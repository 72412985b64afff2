"""The attack these tests refuse (each failed before its fix):

An HR admin with no password and no second factor (the normal state of a
just-in-time account under SSO-only) is never asked to re-authenticate: allauth treats an
account without re-authentication flows as "recently re-authenticated" for ever. A session
cookie stolen hours later mints SCIM tokens and rewires single sign-on without a prompt."""

from __future__ import annotations

import time

from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)

from mentorship.identity.models import ScimToken
from tests.conftest import Tenant


def test_sso_only_hr_admin_still_has_to_reauthenticate_before_minting_a_scim_token(
    alpha: Tenant, client_for
) -> None:
    hr = alpha.hr
    hr.set_unusable_password()  # made by single sign-on: no password, no authenticator
    hr.save()
    client = client_for(hr)
    # The session signed in through the IdP eight hours ago (as allauth records it).
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {
            "method": "socialaccount",
            "at": time.time() - 8 * 3600,
            "provider": "saml-alpha",
            "uid": hr.email,
        }
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = session["_auth_user_id"]
    session.save()
    response = client.post("/o/alpha/settings/provisioning/", {"name": "stolen"})
    with alpha.scope():
        minted = ScimToken.objects.filter(name="stolen").exists()
    assert not minted, "a SCIM token was minted with no re-authentication at all"
    assert response.status_code == 302
