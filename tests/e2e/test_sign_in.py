"""A person signs in with the keyboard and lands on their organisation's home page."""

from __future__ import annotations

import pytest

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
    assert nav.get_by_role("link", name="Members").is_visible()
    page.get_by_role("link", name="Members").first.click()
    page.wait_for_url("**/o/alpha/members/")
    assert page.get_by_role("cell", name=tenant.sponsor.email, exact=True).is_visible()


def test_a_wrong_password_is_explained(page, transactional_db) -> None:
    tenant = make_tenant("alpha")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenant.hr.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign In").click()
    assert page.get_by_text(
        "The email address and/or password you specified are not correct."
    ).is_visible()
