"""The demo sponsor reads the dashboards in Chromium: the story at a glance, charts drawn from
tables that stay available, filters that update the figures in place, and a CSV per table."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


def test_the_demo_sponsor_reads_both_dashboards(page, live_server, transactional_db) -> None:
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "sponsor@acme.example")
    page.get_by_role("navigation", name="Acme").get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/o/acme/dashboard/")
    expect(page.get_by_role("heading", name="At a glance")).to_be_visible()
    expect(page.get_by_role("link", name="Pilot cohort")).to_be_visible()
    # Charts are drawn from the tables, which stay one click away for everyone.
    page.wait_for_selector("figure.chart canvas")
    assert page.locator("figure.chart canvas").count() >= 3
    expect(page.get_by_text("Show the figures as a table").first).to_be_visible()

    page.get_by_role("link", name="Pilot cohort").click()
    page.wait_for_url("**/programs/pilot/dashboard/")
    expect(page.get_by_role("heading", name="Pilot cohort: dashboard")).to_be_visible()
    # The pilot's two closed check-ins: the first of 6 answers is shown; k = 5.
    expect(page.get_by_role("heading", name="Satisfaction, NPS and response rates")).to_be_visible()
    surveys = page.get_by_role("table", name="Surveys closed in the range")
    expect(surveys.get_by_role("cell", name="100%").first).to_be_visible()
    # Sponsors see how many pairs are at risk, never who.
    expect(page.get_by_text("Sponsors see the count; HR admins see who")).to_be_visible()

    # A filter updates the figures in place (htmx) and the address keeps it.
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**start=2026-01-01**")
    expect(page.get_by_text("1 Jan 2026 to")).to_be_visible()
    page.wait_for_selector("#dashboard-body figure.chart canvas")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download (CSV)").first.click()
    assert download.value.suggested_filename == "pilot-funnel.csv"
    # A range the form refuses says why, in place.
    page.get_by_label("From").fill("2019-01-01")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose a range of at most two years.")
    assert not errors, errors


def test_an_hr_admin_sees_who_needs_attention(page, live_server, transactional_db) -> None:
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())
    sign_in(page, "admin@acme.example")
    page.goto("/o/acme/dashboard/")
    expect(page.get_by_role("heading", name="Pairs at risk")).to_be_visible()
    expect(page.get_by_role("link", name="Reverse mentoring — digital fluency")).to_be_visible()
    expect(page.get_by_role("button", name="Print this dashboard")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("figure.chart canvas").first).to_be_hidden()
    expect(page.locator("figure.chart table").first).to_be_visible()
