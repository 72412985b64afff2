"""In Chromium, an HR admin connects their own systems: creates a read-write API key in
Settings → API keys (shown once), lists the participants with it from an HTTP client, sees its
last use, and adds a webhook endpoint in Settings → Webhooks (its signing secret shown once).
The API documentation renders under the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from mentorship.api.models import OrganizationAPIKey
from mentorship.events.models import EventType, WebhookEndpoint
from programs.models import Program
from tests.conftest import PASSWORD, make_tenant
from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import BLOCKING, axe_violations
from tests.e2e.test_csp import watch
from tests.factories import ParticipantFactory, ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def assert_accessible(page) -> None:
    """No serious or critical violation of WCAG 2.1 A and AA (axe-core) on the page."""
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"{page.url}: " + "; ".join(
        f"{v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']]}" for v in blocking
    )


def test_hr_creates_a_key_uses_it_and_adds_a_webhook(
    page, live_server, transactional_db: None
) -> None:
    alpha = make_tenant("alpha")
    with alpha.scope():
        program = ProgramFactory(organization=alpha.organization, status=Program.Status.ENROLLING)
        ParticipantFactory(program=program, email="noor@alpha.test", first_name="Noor")

    sign_in(page, alpha.hr.email)
    page.goto("/o/alpha/settings/")
    page.get_by_role("link", name="API keys", exact=True).click()
    page.wait_for_url("**/o/alpha/settings/api-keys/")
    expect(page.get_by_text("No API keys yet.")).to_be_visible()
    # Keys are secrets: the page asks for the password again (a sign-in alone does not count).
    page.get_by_role("link", name="Confirm now").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/o/alpha/settings/api-keys/")
    assert_accessible(page)

    page.get_by_label("Key name").fill("HR data warehouse")
    page.get_by_role("radio", name=re.compile("Read-write")).check()
    page.get_by_role("button", name="Create the key").click()
    expect(page.get_by_role("heading", name="API key “HR data warehouse” created")).to_be_visible()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    assert_accessible(page)
    secret = (page.locator("#api-key").text_content() or "").strip()
    with alpha.scope():
        key = OrganizationAPIKey.objects.get()
    assert key.can_write and key.is_valid(secret)

    page.get_by_role("button", name="I have copied it").click()
    page.wait_for_url("**/o/alpha/settings/api-keys/")
    assert secret not in page.content()
    row = page.get_by_role("row", name=re.compile("HR data warehouse"))
    expect(row.get_by_role("cell", name="Read-write")).to_be_visible()
    expect(row.get_by_role("cell", name="Never")).to_be_visible()
    assert_accessible(page)

    # The system that holds the key lists the participants.
    response = requests.get(
        f"{live_server.url}/api/v1/participants/",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert [p["email"] for p in response.json()["results"]] == ["noor@alpha.test"]
    # ... and its use shows in Settings.
    page.reload()
    expect(row.get_by_role("cell", name="Never")).to_have_count(0)
    # Revoking asks first; kept here.
    page.get_by_role("link", name="Revoke HR data warehouse").click()
    expect(
        page.get_by_role("heading", name="Revoke the API key “HR data warehouse”?")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Keep it").click()
    expect(row.get_by_role("cell", name="Active")).to_be_visible()

    # A webhook endpoint, from the same Settings.
    page.get_by_role("link", name="All settings").click()
    page.get_by_role("link", name="Webhooks", exact=True).click()
    page.wait_for_url("**/o/alpha/settings/webhooks/")
    # An address that needs no DNS lookup (the URL is checked when it is saved).
    page.get_by_label("Endpoint URL").fill("https://8.8.8.8/hooks/mentoring")
    page.get_by_label("Description").fill("Slack bridge")
    page.get_by_label(EventType.PAIRING_ACTIVE.label).check()
    page.get_by_role("button", name="Add the endpoint").click()
    signing_secret = page.get_by_text(re.compile(r"^whsec_"))
    expect(signing_secret).to_be_visible()
    with alpha.scope():
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == "https://8.8.8.8/hooks/mentoring"
    assert endpoint.event_types == [EventType.PAIRING_ACTIVE]


def test_the_api_documentation_renders_under_the_content_security_policy(
    page, live_server, transactional_db: None
) -> None:
    problems = watch(page)
    page.goto("/api/v1/docs/")
    # Swagger UI fetched the schema and drew an operation of each resource.
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.get_by_text("/api/v1/participants/").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    problems.extend(page.evaluate("window.__cspViolations"))
    assert not problems, "\n".join(problems)
