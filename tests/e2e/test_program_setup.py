"""An HR admin builds a program from the template, imports participants from a CSV (fixing
the two bad rows the preview points out), approves an application and sees the directory."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mentorship.tenancy import tenant_scope
from programs.models import Participant, Program
from tests.conftest import PASSWORD, make_tenant

pytestmark = pytest.mark.browser

HEADER = "email,first_name,last_name,side,department,level,manager_email,timezone,offers,wants\n"


def people_csv(bad: bool) -> bytes:
    lines = [HEADER]
    for n in range(1, 101):
        side = "junior" if n % 2 else "senior"
        level = 2 if side == "junior" else 8
        lines.append(
            f"person{n}@example.com,First{n},Last{n},{side},Dept{n % 5},{level},,Europe/Paris,"
            f"AI tools;Social media,Data literacy\n"
        )
    if bad:
        lines[10] = "not-an-email,First10,Last10,junior,Dept0,2,,Europe/Paris,,\n"  # line 11
        lines[40] = "person40@example.com,First40,Last40,boss,Dept0,2,,Europe/Paris,,\n"  # line 41
    return "".join(lines).encode()


def test_hr_admin_creates_a_program_from_the_template_and_imports_a_csv(
    page, browser, live_server, transactional_db
) -> None:
    tenant = make_tenant("alpha")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenant.hr.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/o/alpha/")

    page.get_by_role("link", name="Programs", exact=True).click()
    page.get_by_role("button", name="New program").click()
    page.get_by_label("Start from").select_option("digital-fluency")
    page.get_by_role("button", name="Create program").click()
    page.wait_for_url("**/edit/")
    assert page.get_by_label("Name").input_value() == "Reverse mentoring — digital fluency"

    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": people_csv(bad=True)}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("2 rows need fixing")).to_be_visible()
    rows = page.locator(".error-table tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").first.inner_text() == "11"
    assert rows.nth(1).locator("td").first.inner_text() == "41"
    with tenant_scope(tenant.organization):
        assert not Participant.objects.exists()  # nothing written while the file has errors

    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": people_csv(bad=False)}]
    )
    page.get_by_role("button", name="Check the corrected file").click()
    expect(page.get_by_text("100 new participants")).to_be_visible()
    page.get_by_role("button", name="Import 100 participants").click()
    expect(page.get_by_text("Import finished: 100 created")).to_be_visible()
    page.get_by_role("button", name="See the participants").click()
    expect(page.get_by_text("100 participants")).to_be_visible()
    with tenant_scope(tenant.organization):
        program = Program.objects.get()
        assert program.participants.filter(status="approved").count() == 100
        # The program opens for applications.
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ENROLLING)

    # A colleague applies through the self-enrolment form, in their own browser session.
    applicant_context = browser.new_context(base_url=live_server.url)
    other = applicant_context.new_page()
    other.set_default_timeout(10_000)
    other.goto("/accounts/login/")
    other.get_by_label("Email").fill(tenant.participant.email)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_label("Password").press("Enter")
    other.wait_for_url("**/o/alpha/")
    other.goto(f"/o/alpha/programs/{program.slug}/")
    other.get_by_role("button", name="Apply").click()
    other.get_by_label("I join as").select_option("senior")
    other.get_by_label("My level").fill("9")
    other.get_by_label("Department").fill("Finance")
    other.get_by_role("group", name="Topics I want to learn").get_by_label("AI tools").check()
    other.get_by_role("button", name="Send my application").click()
    expect(other.get_by_text("An HR admin will review your application")).to_be_visible()
    applicant_context.close()

    page.reload()
    page.get_by_label("Status").select_option("applied")
    applicant = page.get_by_role("row").filter(has_text=tenant.participant.email)
    applicant.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("was approved")).to_be_visible()
    with tenant_scope(tenant.organization):
        assert program.participants.get(email=tenant.participant.email).status == "approved"
