"""A person signs in with the keyboard and lands on their organisation's home page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_tenant

pytestmark = pytest.mark.browser


def test_sign_in_leads_to_the_organisation_home(page, transactional_db) -> None:
    tenant = make_tenant("alpha")
    page.goto("/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Email").fill(tenant.hr.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/o/alpha/")
    assert page.get_by_role("heading", level=1).inner_text() == "Alpha"
    nav = page.get_by_role("navigation", name="Alpha")
    expect(nav.get_by_role("link", name="Members")).to_be_visible()
    page.get_by_role("link", name="Members").first.click()
    page.wait_for_url("**/o/alpha/members/")
    expect(page.get_by_role("cell", name=tenant.sponsor.email, exact=True)).to_be_visible()


def test_a_wrong_password_is_explained(page, transactional_db) -> None:
    tenant = make_tenant("alpha")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenant.hr.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign In").click()
    expect(
        page.get_by_text("The email address and/or password you specified are not correct.")
    ).to_be_visible()
