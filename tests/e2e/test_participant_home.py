"""A demo junior opens their home page in Chromium: partner, next meeting, surveys and
objectives at a glance, and logging a session from the button."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_junior_finds_everything_on_their_home_page(page, live_server, transactional_db) -> None:
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("junior3@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/o/acme/")
    expect(page.get_by_role("heading", name="Next meeting")).to_be_visible()
    expect(page.get_by_role("heading", name="Pilot cohort")).to_be_visible()
    expect(page.get_by_role("heading", name="Surveys to answer")).to_be_visible()
    expect(page.get_by_role("link", name="Your pair with Senior 1")).to_be_visible()
    log = page.get_by_role("button", name="Log a session with Senior 1")
    expect(log.first).to_be_visible()
    log.first.click()
    page.wait_for_url("**/sessions/new/")
    page.get_by_label("Date").fill(f"{timezone.localdate() - timedelta(days=2):%Y-%m-%d}")
    page.get_by_label("Minutes").fill("45")
    page.get_by_role("button", name="Save the session").click()
    expect(page.get_by_text("Session logged. Thank you!")).to_be_visible()
