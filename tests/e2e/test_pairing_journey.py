"""A pairing from matching to the first session, as real people in Chromium: the HR admin runs
matching on the demo program, reads an explanation, swaps two people and publishes; the senior
confirms; both accept the agreement; the junior schedules a meeting (the invitation carries an
ICS) and logs a session; the meeting's reminder arrives exactly once."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from mentorship.models import Organization
from mentorship.tenancy import tenant_scope
from pairings.models import Meeting, Pairing, SessionLog
from pairings.reminders import reminders_send_due
from tests.conftest import PASSWORD
from tests.e2e.conftest import new_page, sign_in

pytestmark = pytest.mark.browser


def sign_in_as(browser, live_server, email: str):
    page = new_page(browser, live_server)
    sign_in(page, email)
    return page


def test_from_matching_to_a_reminded_meeting(page, browser, live_server, transactional_db) -> None:
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())
    acme = Organization.objects.get(slug="acme")
    mail.outbox.clear()

    hr = sign_in_as(browser, live_server, "admin@acme.example")
    hr.goto("/o/acme/programs/digital-fluency/matching/")
    hr.get_by_role("button", name="Propose pairs").click()
    hr.get_by_text("greedy baseline").first.wait_for()
    first_row = hr.locator("#matching-result tbody tr").first
    first_row.get_by_text("Explanation").click()
    expect(first_row.get_by_text("The junior teaches what the senior wants")).to_be_visible()
    hr.get_by_role("button", name="Swap").click()
    assert hr.locator("#matching-result tbody tr").filter(has_text="fixed").count() == 2
    hr.get_by_text("Publish these").click()
    hr.get_by_role("button", name="Yes, publish and notify the seniors").click()
    expect(hr.get_by_text("pairs published")).to_be_visible()
    hr.screenshot(path="test-artifacts/journey-hr-published.png", full_page=True)

    with tenant_scope(acme):
        pairing = (
            Pairing.objects.filter(program__slug="digital-fluency")
            .select_related("mentor", "mentee")
            .first()
        )
    pair_url = f"/o/acme/pairs/{pairing.pk}/"

    senior = sign_in_as(browser, live_server, pairing.mentee.email)
    senior.goto(pair_url)
    senior.get_by_role("button", name="Confirm the pairing").click()
    senior.get_by_role("button", name="I accept the agreement").click()
    junior = sign_in_as(browser, live_server, pairing.mentor.email)
    junior.goto(pair_url)
    junior.get_by_role("button", name="I accept the agreement").click()
    assert junior.locator(".status").first.inner_text() == "Active"

    # The junior schedules a meeting 50 minutes from now, in their own timezone.
    with tenant_scope(acme):
        from pairings.selectors import viewer_timezone

        tz = viewer_timezone(pairing=pairing, membership=pairing.mentor.membership)
    start = (timezone.now() + timedelta(minutes=50)).astimezone(tz)
    junior.goto(pair_url + "meetings/")
    junior.get_by_role("button", name="Schedule a meeting").click()
    junior.get_by_label("Date").fill(start.strftime("%Y-%m-%d"))
    junior.get_by_label(f"Time ({tz.key.replace('_', ' ')})").fill(start.strftime("%H:%M"))
    junior.get_by_label("Location").fill("Video call")
    junior.get_by_role("button", name="Schedule", exact=True).click()
    invitations = [
        m
        for m in mail.outbox
        if m.to[0] in (pairing.mentor.email, pairing.mentee.email) and m.attachments
    ]
    assert len(invitations) == 2
    ics = invitations[0].attachments[0].get_payload(decode=True).decode()
    assert "METHOD:REQUEST" in ics and "SEQUENCE:0" in ics

    # ... and logs their previous session.
    junior.goto(pair_url + "sessions/new/")
    junior.get_by_label("Date").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    junior.get_by_label("What I taught").fill("Prompting an AI assistant")
    junior.get_by_label("Private notes (only I ever see them)").fill("Went well")
    junior.get_by_role("button", name="Save the session").click()
    expect(junior.get_by_text("Session logged")).to_be_visible()
    with tenant_scope(acme):
        assert SessionLog.objects.filter(pairing=pairing).count() == 1
        meeting = Meeting.objects.get(pairing=pairing)

    # The reminder dispatcher runs twice (as beat would); the 1-hour reminder arrives once.
    for _ in range(2):
        with tenant_scope(acme):
            reminders_send_due(organization=acme)
    mine = [
        m
        for m in mail.outbox
        if m.subject.startswith("Reminder")
        and m.to[0] in (pairing.mentor.email, pairing.mentee.email)
    ]
    assert sorted(m.to[0] for m in mine) == sorted([pairing.mentor.email, pairing.mentee.email])
    assert meeting.cancelled_at is None
    junior.screenshot(path="test-artifacts/journey-junior.png", full_page=True)
