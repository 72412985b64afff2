"""A junior finds a time and proposes three; the senior accepts one from the email's link; both
get the calendar invitation, and the meeting page shows session 1 of the plan."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from pairings.models import Meeting
from programs.models import SessionGuide
from tests.conftest import PASSWORD, make_tenant
from tests.e2e.conftest import ARTIFACTS, new_page, sign_in
from tests.pairings.proposals.support import with_hours
from tests.pairings.test_meetings import make_pair

pytestmark = pytest.mark.browser


def test_a_time_found_proposed_and_accepted_from_the_email(
    page, browser, live_server, transactional_db
) -> None:
    tenant = make_tenant("alpha")
    pair = with_hours(tenant, make_pair(tenant))
    with tenant.scope():
        SessionGuide.objects.create(
            organization=tenant.organization,
            program=pair.program,
            position=1,
            title="Ground rules: candour and confidentiality",
            purpose="Agree how you will talk to each other.",
            agenda="- What stays between us\n- How we give feedback",
        )

    # The junior, in London, opens "Find a time" from the pair's page and ticks three times.
    sign_in(page, pair.mentor.email)
    page.goto(f"/o/alpha/pairs/{pair.pk}/")
    page.get_by_role("button", name="Find a time").click()
    page.wait_for_url(f"**/pairs/{pair.pk}/find-a-time/")
    suggestions = page.locator('input[name="suggested"]')
    expect(suggestions).to_have_count(10)
    assert "(Sam: " in page.locator("ul.suggestions").inner_text()
    for index in range(3):
        suggestions.nth(index).check()
    picked = [suggestions.nth(i).get_attribute("value") for i in range(3)]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "find-a-time.png"), full_page=True)
    page.get_by_label("Location").fill("Room 4")
    page.get_by_role("button", name="Propose these times").click()
    page.wait_for_url(re.compile(r".*/proposals/\d+/$"))
    expect(page.get_by_text("Your 3 times were sent to Sam Senior")).to_be_visible()

    # The senior's email: one link per time, each time in New York's and London's zones.
    (email,) = [m for m in mail.outbox if m.to == [pair.mentee.email]]
    assert email.subject == "Jo Junior proposed times to meet"
    links = re.findall(r"http://[^/\s]+(/proposals/[^/\s]+/)", email.body)
    assert len(links) == 3
    assert re.search(r"E[SD]T \(for Jo: .* (GMT|BST)\)", email.body)
    mail.outbox.clear()

    # The senior opens the second link without signing in, and accepts with one click.
    senior = new_page(browser, live_server)
    senior.goto(links[1])
    expect(senior.get_by_role("heading", name="A proposed time")).to_be_visible()
    senior.screenshot(path=str(ARTIFACTS / "proposal-link.png"), full_page=True)
    senior.get_by_role("button", name="Accept this time").click()
    expect(senior.get_by_role("heading", name="Meeting scheduled")).to_be_visible()

    # Both partners get the invitation with its calendar file.
    invitations = [m for m in mail.outbox if m.subject.startswith("Invitation")]
    assert sorted(m.to[0] for m in invitations) == sorted([pair.mentor.email, pair.mentee.email])
    for message in invitations:
        assert message.attachments[0].get_content_type() == "text/calendar"
        assert b"METHOD:REQUEST" in message.attachments[0].get_payload(decode=True)

    # The same link again: used.
    senior.goto(links[1])
    expect(senior.get_by_text("one of them was accepted")).to_be_visible()
    expect(senior.get_by_role("button", name="Accept this time")).to_have_count(0)

    # The meeting page (after signing in) shows session 1's guide.
    senior.goto(f"/o/alpha/pairs/{pair.pk}/meetings/")
    senior.get_by_label("Email").fill(pair.mentee.email)
    senior.get_by_label("Password").fill(PASSWORD)
    senior.get_by_label("Password").press("Enter")
    senior.wait_for_url(f"**/o/alpha/pairs/{pair.pk}/meetings/")
    with tenant.scope():
        meeting = Meeting.objects.get(pairing=pair)
    assert meeting.starts_at.isoformat() == picked[1]
    senior.goto(f"/o/alpha/pairs/{pair.pk}/meetings/{meeting.pk}/")
    expect(
        senior.get_by_role("heading", name=re.compile("Session 1 of the plan: Ground rules"))
    ).to_be_visible()
    expect(senior.get_by_text("What stays between us")).to_be_visible()
