"""A junior schedules a meeting in their own timezone, both partners get the invitation, and the
senior cancels it; the page says who did."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import make_tenant
from tests.e2e.conftest import sign_in
from tests.pairings.test_meetings import make_pair

pytestmark = pytest.mark.browser


def test_scheduling_and_cancelling_a_meeting(page, browser, live_server, transactional_db) -> None:
    tenant = make_tenant("alpha")
    pair = make_pair(tenant)
    meetings_url = f"/o/alpha/pairs/{pair.pk}/meetings/"
    year = timezone.now().year + 2

    sign_in(page, pair.mentor.email)
    page.goto(meetings_url)
    page.get_by_role("button", name="Schedule a meeting").click()
    page.get_by_label("Date").fill(f"{year}-07-01")
    page.get_by_label("Time (Europe/London)").fill("10:00")
    page.get_by_label("Duration (minutes)").fill("45")
    page.get_by_label("Location").fill("https://meet.example/abc")
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.wait_for_url(f"**{meetings_url}")
    expect(page.get_by_role("status").filter(has_text="Meeting scheduled")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="meet.example")
    assert "10:00–10:45 BST" in row.inner_text()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([pair.mentor.email, pair.mentee.email])

    # The senior, in New York, sees the same meeting at 05:00 and cancels it.
    context = browser.new_context(base_url=live_server.url)
    senior = context.new_page()
    sign_in(senior, pair.mentee.email)
    senior.goto(meetings_url)
    row = senior.get_by_role("row").filter(has_text="meet.example")
    assert "05:00–05:45 EDT" in row.inner_text()
    row.get_by_role("link", name=re.compile(r"^Cancel")).click()
    senior.get_by_role("button", name="Cancel the meeting").click()
    senior.wait_for_url(f"**{meetings_url}")
    context.close()

    page.reload()
    assert "Cancelled by" in page.get_by_role("row").filter(has_text="meet.example").inner_text()
    assert len(mail.outbox) == 4
