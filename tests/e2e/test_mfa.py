"""An HR admin of an organisation that requires two-factor authentication is sent to set it up,
activates an authenticator app, and from then on signs in with a code from it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

import pytest
from playwright.sync_api import expect

from mentorship.models import Organization
from tests.conftest import PASSWORD, make_tenant

pytestmark = pytest.mark.browser


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 code (30-second steps, 6 digits, SHA-1), as authenticator apps compute it."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((time.time() if at is None else at) // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def fresh_code(secret: str, after_step: int = -1) -> tuple[str, int]:
    """A code with at least 5 seconds of validity left, from a later 30-second step than
    ``after_step`` (a code may be used once): waits when needed."""
    while True:
        now = time.time()
        step = int(now // 30)
        if step > after_step and 30 - now % 30 >= 5:
            return totp(secret, now), step
        time.sleep(min(1.0, 30 - now % 30) + 0.05)


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")


def test_an_hr_admin_enrols_an_authenticator_and_signs_in_with_it(
    page, live_server, transactional_db
) -> None:
    tenant = make_tenant("alpha")
    Organization.objects.filter(pk=tenant.organization.pk).update(mfa_required=True)
    sign_in(page, tenant.hr.email)
    # The organisation's policy sends them to set up two-factor authentication first.
    page.wait_for_url("**/accounts/2fa/**")
    expect(page.get_by_text("Alpha requires two-factor authentication")).to_be_visible()
    page.get_by_role("link", name="Activate").click()
    # Changing two-factor settings asks for the password again (re-authentication).
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.get_by_label("Authenticator secret").input_value()
    code, step = fresh_code(secret)
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/accounts/2fa/**")
    page.goto("/o/alpha/members/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Members")

    page.context.clear_cookies()
    sign_in(page, tenant.hr.email)
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    # A new code: the one used to activate may not be used twice.
    page.get_by_label("Code").fill(fresh_code(secret, after_step=step)[0])
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/o/alpha/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha")
