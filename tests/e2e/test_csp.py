"""The app works under its Content-Security-Policy: no inline script or style anywhere, so
Chromium refuses nothing on the sign-in page, the home pages, the dashboards with their charts,
htmx-driven filters, and the account pages."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

# Records what the policy blocked, whatever the console says about it. Playwright's init scripts
# are exempt from the page's policy.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""

ADMIN_PAGES = [
    "/o/acme/",
    "/o/acme/dashboard/",
    "/o/acme/programs/pilot/dashboard/",
    "/o/acme/programs/digital-fluency/participants/",
    "/o/acme/members/",
    "/accounts/sessions/",
    "/accounts/2fa/",
    "/accounts/email/",
]
PARTICIPANT_PAGES = ["/o/acme/", "/o/acme/pairs/", "/o/acme/programs/"]


def watch(page) -> list[str]:
    """Collect console errors and violations that mention the policy."""
    problems: list[str] = []

    def on_console(message) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            problems.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.add_init_script(RECORD_VIOLATIONS)
    return problems


def visit(page, url: str, problems: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    problems.extend(f"{url}: {v}" for v in page.evaluate("window.__cspViolations"))


def test_nothing_is_refused_by_the_content_security_policy(
    page, live_server, transactional_db
) -> None:
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())
    problems = watch(page)

    visit(page, "/accounts/login/", problems)
    sign_in(page, "admin@acme.example")
    for url in ADMIN_PAGES:
        visit(page, url, problems)
        if url == "/o/acme/dashboard/":
            # Chart.js drew the charts (it styles its canvases through the DOM, which is allowed).
            page.wait_for_selector("figure.chart canvas")
    # An htmx request and swap (the members filter) work too.
    page.goto("/o/acme/members/")
    with page.expect_response(lambda r: "/o/acme/members/" in r.url and "q=" in r.url):
        page.get_by_label("Search by name or email").fill("junior1")
    problems.extend(page.evaluate("window.__cspViolations"))

    page.context.clear_cookies()
    sign_in(page, "junior1@acme.example")
    for url in PARTICIPANT_PAGES:
        visit(page, url, problems)

    assert not problems, "\n".join(problems)
