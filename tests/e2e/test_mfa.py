"""An HR admin of an organisation that requires two-factor authentication is sent to set it up,
activates an authenticator app, and from then on signs in with a code from it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mentorship.models import Organization
from tests.conftest import PASSWORD, make_tenant, totp_code
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


def test_an_hr_admin_enrols_an_authenticator_and_signs_in_with_it(
    page, live_server, transactional_db
) -> None:
    tenant = make_tenant("alpha")
    Organization.objects.filter(pk=tenant.organization.pk).update(mfa_required=True)
    sign_in(page, tenant.hr.email, wait_for=None)
    # The organisation's policy sends them to set up two-factor authentication first.
    page.wait_for_url("**/accounts/2fa/**")
    expect(page.get_by_text("Alpha requires two-factor authentication")).to_be_visible()
    page.get_by_role("link", name="Activate").click()
    # Changing two-factor settings asks for the password again (re-authentication).
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/accounts/2fa/**")
    page.goto("/o/alpha/members/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Members")

    page.context.clear_cookies()
    sign_in(page, tenant.hr.email, wait_for=None)
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    # The app's current code (allauth checks activation codes without spending them).
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/o/alpha/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha")
