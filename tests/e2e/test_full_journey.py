"""One continuous walk through a program's life, as its real users in Chromium, from an empty
organisation to a live program with a session logged, a check-in answered and a dashboard read.

Only the operator's command and beat's dispatchers run outside the browser (as they would in
production); every other step is a click, a typed value or a link from an email. Each page the
walk stops on is kept as a screenshot in ``test-artifacts/journey/`` (uploaded by CI with the
other artefacts), numbered in the order of the walk.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from feedback.models import PendingResponse
from feedback.services.cycles import cycles_dispatch
from mentorship.models import Organization
from mentorship.tenancy import tenant_scope
from pairings.models import Meeting, Pairing, SessionLog
from programs.models import Participant, Program
from tests.conftest import totp_code
from tests.e2e.conftest import ARTIFACTS, new_page

pytestmark = pytest.mark.browser

PASSWORD = "a long passphrase for the journey"
HR, SPONSOR = "hr@newco.test", "sponsor@newco.test"
JUNIOR, SENIOR = "jo.junior@newco.test", "sam.senior@newco.test"

HEADER = "email,first_name,last_name,side,department,level,manager_email,timezone,offers,wants\n"
# Only Jo will finish the training the template requires of juniors, and the other seniors work
# in Jo's department (the template excludes pairs within one): so the proposal is Jo with Sam.
PEOPLE = HEADER + (
    f"{JUNIOR},Jo,Junior,junior,Marketing,2,,Europe/Paris,AI tools;Social media,Leadership\n"
    "ana.junior@newco.test,Ana,Junior,junior,Sales,2,,Europe/Paris,Data literacy,\n"
    "li.junior@newco.test,Li,Junior,junior,Finance,1,,Europe/Paris,Social media,\n"
    f"{SENIOR},Sam,Senior,senior,Finance,8,,Europe/Paris,Leadership,AI tools;Social media\n"
    "max.senior@newco.test,Max,Senior,senior,Marketing,9,,Europe/Paris,,Data literacy\n"
    "eve.senior@newco.test,Eve,Senior,senior,Marketing,7,,Europe/Paris,,Social media\n"
)


class Camera:
    """Numbered full-page screenshots: the walk's pages in order, one folder per run."""

    def __init__(self) -> None:
        self.folder = ARTIFACTS / "journey"
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    def __call__(self, page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def link_in_mail(to: str, pattern: str) -> str:
    """The path of the newest link matching ``pattern`` in the mail sent to ``to``."""
    for message in reversed(mail.outbox):
        if to in message.to:
            found = re.search(rf"https?://[^/\s]+({pattern})", message.body)
            if found:
                return found.group(1)
    raise AssertionError(f"No mail to {to} with a link like {pattern}")


def join(browser, live_server, email: str, shoot: Camera, who: str):
    """Follow the invitation in the mail, create an account, confirm the address, accept."""
    # Reduced motion: charts are drawn at once, so the screenshots show their final figures.
    page = new_page(browser, live_server, reduced_motion="reduce")
    page.set_default_timeout(15_000)
    page.goto(link_in_mail(email, r"/invitations/[^\s/]+/"))
    expect(page.get_by_role("heading", name="Join NewCo")).to_be_visible()
    shoot(page, f"{who}-invitation")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    page.goto(link_in_mail(email, r"/accounts/confirm-email/[^\s]+"))
    page.get_by_role("button", name="Confirm").click()
    # Confirming signs them in and brings them back to the invitation.
    page.get_by_role("button", name="Accept and join").click()
    return page


def enrol_authenticator(page, shoot: Camera, who: str) -> None:
    """New organisations require a second factor of HR admins and sponsors."""
    page.wait_for_url("**/accounts/2fa/**")
    expect(page.get_by_text("NewCo requires two-factor authentication")).to_be_visible()
    shoot(page, f"{who}-asked-for-two-factor")
    page.get_by_role("link", name="Activate").click()
    # Re-authentication is asked for unless the password was typed in the last five minutes.
    secret_field = page.get_by_label("Authenticator secret")
    confirm = page.get_by_role("heading", name="Confirm Access")
    expect(secret_field.or_(confirm)).to_be_visible()
    if confirm.is_visible():
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    secret = secret_field.input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/accounts/2fa/**")
    shoot(page, f"{who}-two-factor-active")


def complete_training(page, base: str, shoot: Camera, who: str) -> None:
    """Open each training module of the program and mark it done."""
    page.goto(base + "training/")
    shoot(page, f"{who}-training")
    modules = page.locator("main a[href*='/training/']")
    links = [modules.nth(i).get_attribute("href") for i in range(modules.count())]
    for href in dict.fromkeys(links):
        page.goto(href)
        done = page.get_by_role("button", name="Mark as done")
        if done.is_visible():
            done.click()


def test_from_an_empty_organisation_to_a_live_program(
    browser, live_server, transactional_db
) -> None:
    shoot = Camera()
    try:
        walk(browser, live_server, shoot)
    except BaseException:
        # Where each person's browser stood when the walk stopped.
        for number, context in enumerate(browser.contexts):
            for page in context.pages:
                shoot(page, f"failure-{number}")
        raise
    finally:
        for context in browser.contexts:
            context.close()


def walk(browser, live_server, shoot: Camera) -> None:
    call_command("create_organization", "newco", "NewCo", "--hr-admin", HR, stdout=StringIO())
    newco = Organization.objects.get(slug="newco")

    # --- The HR admin joins, sets up a second factor and builds the program ----------------------
    hr = join(browser, live_server, HR, shoot, "hr")
    enrol_authenticator(hr, shoot, "hr")
    hr.goto("/o/newco/")
    expect(hr.get_by_role("heading", level=1)).to_have_text("NewCo")
    shoot(hr, "hr-empty-home")

    hr.get_by_role("link", name="Programs", exact=True).click()
    hr.get_by_role("button", name="New program").click()
    hr.get_by_label("Start from").select_option("digital-fluency")
    hr.get_by_role("button", name="Create program").click()
    hr.wait_for_url("**/edit/")
    today = timezone.localdate()
    hr.get_by_label("Start date").fill(today.isoformat())
    hr.get_by_label("End date").fill((today + timedelta(weeks=24)).isoformat())
    shoot(hr, "hr-program-settings")
    hr.get_by_role("button", name="Save").click()
    expect(hr.get_by_text("saved")).to_be_visible()
    with tenant_scope(newco):
        program = Program.objects.get()
    base = f"/o/newco/programs/{program.slug}/"

    hr.goto(base + "participants/import/")
    hr.get_by_label("CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": PEOPLE.encode()}]
    )
    hr.get_by_role("button", name="Check the file").click()
    expect(hr.get_by_text("6 new participants")).to_be_visible()
    shoot(hr, "hr-import-preview")
    hr.get_by_role("button", name="Import 6 participants").click()
    expect(hr.get_by_text("Import finished: 6 created")).to_be_visible()
    shoot(hr, "hr-import-done")

    # The HR admin invites an executive sponsor from the Members pages.
    hr.goto("/o/newco/invitations/")
    hr.get_by_label("Email address").fill(SPONSOR)
    hr.get_by_label("Role").select_option("sponsor")
    hr.get_by_role("button", name="Send invitation").click()
    expect(hr.get_by_text(f"Invitation sent to {SPONSOR}")).to_be_visible()

    # --- The junior joins through the import's invitation and does the training ---------------
    junior = join(browser, live_server, JUNIOR, shoot, "junior")
    junior.wait_for_url("**/o/newco/")
    shoot(junior, "junior-home")
    complete_training(junior, base, shoot, "junior")

    senior = join(browser, live_server, SENIOR, shoot, "senior")
    senior.wait_for_url("**/o/newco/")
    shoot(senior, "senior-home")
    complete_training(senior, base, shoot, "senior")
    with tenant_scope(newco):
        trained = set(
            Participant.objects.filter(training_done=True).values_list("email", flat=True)
        )
    assert trained == {JUNIOR, SENIOR}

    # --- Enrolment, matching, publishing -----------------------------------------------------
    for target in ("Move to enrolling", "Move to matching"):
        hr.goto(base)
        hr.get_by_role("button", name=target).click()
        hr.locator("main form button[type=submit]").click()
    expect(hr.locator("main .status").first).to_have_text("Matching")
    hr.goto(base + "matching/")
    hr.get_by_role("button", name="Propose pairs").click()
    hr.get_by_text("greedy baseline").first.wait_for()
    shoot(hr, "hr-proposal")
    proposal = hr.locator("#matching-result tbody tr")
    expect(proposal).to_have_count(1)
    expect(proposal.first).to_contain_text("Jo Junior")
    expect(proposal.first).to_contain_text("Sam Senior")
    hr.get_by_text("Publish these").click()
    hr.get_by_role("button", name="Yes, publish and notify the seniors").click()
    expect(hr.get_by_text("1 pair published")).to_be_visible()
    shoot(hr, "hr-published")
    with tenant_scope(newco):
        pairing = Pairing.objects.get()
    pair_url = f"/o/newco/pairs/{pairing.pk}/"

    # --- The senior confirms and both accept the agreement ------------------------------------
    senior.goto("/o/newco/notifications/")
    shoot(senior, "senior-notifications")
    senior.get_by_role("button", name=re.compile("Open.*Your reverse mentor")).first.click()
    senior.wait_for_url(f"**{pair_url}")
    shoot(senior, "senior-proposed-pair")
    senior.get_by_role("button", name="Confirm the pairing").click()
    senior.get_by_role("button", name="I accept the agreement").click()
    junior.goto(pair_url)
    junior.get_by_role("button", name="I accept the agreement").click()
    expect(junior.locator(".status").first).to_have_text("Active")
    shoot(junior, "junior-active-pair")

    hr.goto(base)
    hr.get_by_role("button", name="Move to active").click()
    hr.locator("main form button[type=submit]").click()
    with tenant_scope(newco):
        assert Program.objects.get().status == Program.Status.ACTIVE

    # --- The HR admin schedules a monthly check-in; beat opens it -----------------------------
    hr.goto(base + "feedback/")
    expect(hr.get_by_text("No survey yet")).to_be_visible()
    shoot(hr, "hr-surveys-empty")
    hr.get_by_label(re.compile(r"^Survey\b")).select_option(label="Monthly check-in")
    hr.get_by_label("Opens at (UTC)").fill(timezone.now().strftime("%Y-%m-%dT%H:%M"))
    hr.get_by_label("Repeat every (weeks)").fill("4")
    hr.get_by_role("button", name="Schedule").click()
    expect(hr.get_by_role("cell", name=re.compile("every 4 weeks"))).to_be_visible()
    shoot(hr, "hr-survey-scheduled")
    with tenant_scope(newco):
        cycles_dispatch(organization=newco)

    # --- The junior schedules a meeting, logs a session and answers the check-in --------------
    start = (timezone.now() + timedelta(days=2)).astimezone(timezone.get_current_timezone())
    junior.goto(pair_url + "meetings/")
    junior.get_by_role("button", name="Schedule a meeting").click()
    junior.get_by_label("Date").fill(start.strftime("%Y-%m-%d"))
    junior.locator("input[type=time]").fill("10:00")
    junior.get_by_label("Location").fill("Video call")
    shoot(junior, "junior-schedules")
    junior.get_by_role("button", name="Schedule", exact=True).click()
    with tenant_scope(newco):
        assert Meeting.objects.filter(pairing=pairing).count() == 1
    assert any(SENIOR in m.to and m.attachments for m in mail.outbox)  # the calendar invitation

    junior.goto(pair_url + "sessions/new/")
    junior.get_by_label("Date").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    junior.get_by_label("What I taught").fill("Prompting an AI assistant")
    junior.get_by_label("Private notes (only I ever see them)").fill("Went well")
    shoot(junior, "junior-logs-session")
    junior.get_by_role("button", name="Save the session").click()
    expect(junior.get_by_text("Session logged")).to_be_visible()
    with tenant_scope(newco):
        assert SessionLog.objects.filter(pairing=pairing).count() == 1

    junior.goto(link_in_mail(JUNIOR, r"/o/newco/surveys/\d+/"))
    expect(junior.get_by_text("Your answers are anonymous")).to_be_visible()
    for question, answer in (
        ("How valuable were your sessions this month?", "4"),
        ("How safe did you feel to speak candidly?", "5 – very much"),
        ("How likely are you to recommend the program to a colleague?", "9"),
        ("How often did you meet this month?", "Twice or more"),
    ):
        junior.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    shoot(junior, "junior-check-in")
    junior.get_by_role("button", name="Send my answers").click()
    expect(junior.get_by_text("Thank you! Your answers are saved.")).to_be_visible()
    with tenant_scope(newco):
        assert PendingResponse.objects.count() == 1

    # --- The sponsor joins with a second factor, is given the program, reads the dashboard ----
    sponsor = join(browser, live_server, SPONSOR, shoot, "sponsor")
    enrol_authenticator(sponsor, shoot, "sponsor")
    hr.goto(base)
    choice = hr.get_by_role("combobox", name=re.compile("^Executive sponsor"))
    choice.select_option(choice.locator("option", has_text=SPONSOR).get_attribute("value"))
    hr.get_by_role("button", name="Add sponsor").click()
    sponsor.goto("/o/newco/")
    sponsor.get_by_role("navigation", name="NewCo").get_by_role("link", name="Dashboard").click()
    sponsor.wait_for_url("**/o/newco/dashboard/")
    expect(sponsor.get_by_role("heading", name="At a glance")).to_be_visible()
    expect(sponsor.get_by_role("link", name=program.name)).to_be_visible()
    shoot(sponsor, "sponsor-dashboard")
    sponsor.get_by_role("link", name=program.name).click()
    expect(sponsor.get_by_role("heading", name=f"{program.name}: dashboard")).to_be_visible()
    shoot(sponsor, "sponsor-program-dashboard")
