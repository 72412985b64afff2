"""Accessibility: the main pages of every role pass axe-core's WCAG 2.1 A and AA rules with no
serious or critical violation; with the keyboard alone, a participant logs a session and answers
a check-in, and an HR admin proposes and publishes pairs.

Each page is audited twice: as loaded in the light colour scheme, then in the dark scheme (Pico
follows the system's) with every <details> open (menus, chart tables, explanations). Some pages are
audited again after an action, to check their error messages and results too. One test per role
visits all its pages and reports every violation at once; all of them, whatever their impact, are
also written to test-artifacts/axe-<role>-<language>.txt. The page audits run in English and
in German (longer words: the layout and labels must still hold); see LANGUAGES.

axe-core is vendored in tests/e2e/vendor (version in VERSION). It is run with ``page.evaluate``,
not added as a <script> element: code evaluated through the DevTools protocol is exempt from the
page's Content-Security-Policy, which refuses inline scripts (see the first test).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import cache
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser

VENDOR = Path(__file__).resolve().parent / "vendor"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
ORG = "/o/acme"

# A page to audit: its path, or its path and what to do there first (submit a form empty...).
Visit = str | tuple[str, Callable[[object], None]]


@cache
def axe_source() -> str:
    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """The page's violations of the WCAG 2.1 A and AA rules, as axe-core reports them."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags},
                                      resultTypes: ["violations"]})
                     .then(results => results.violations)""",
        WCAG_TAGS,
    )


def settle(page) -> None:
    """Wait for CSS transitions to end. Pico fades colours and focus rings in: mid-way, axe would
    measure colours that are neither scheme's, and a focus ring would look absent."""
    page.evaluate(
        """() => Promise.all(document.getAnimations()
             .filter(a => isFinite(a.effect?.getComputedTiming().endTime))  // spinners never end
             .map(a => a.finished.catch(() => null)))  // a cancelled transition rejects"""
    )


def describe(where: str, violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            target = " >> ".join(t if isinstance(t, str) else json.dumps(t) for t in node["target"])
            lines.append(f"    {target}: {' '.join(node['failureSummary'].split())}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return lines


def assert_accessible(page, visits: list[Visit], report: str, language: str = "en-gb") -> None:
    blocking: list[str] = []
    everything: list[str] = []
    for visit in visits:
        path, action = (visit, None) if isinstance(visit, str) else visit
        page.emulate_media(color_scheme="light")
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        lang = page.locator("html").get_attribute("lang")
        assert lang == language, f"{path} is in {lang!r}, not {language!r}"
        where = path
        if action is not None:
            action(page)
            page.wait_for_load_state("networkidle")  # the form's answer
            where = f"{path} after {action.__name__}"
        page.mouse.move(0, 0)  # no hover state left over from a click
        for state in ("light", "dark, details open"):
            if state != "light":
                page.evaluate(
                    "() => document.querySelectorAll('details').forEach(d => d.open = true)"
                )
                page.emulate_media(color_scheme="dark")
            settle(page)
            violations = axe_violations(page)
            everything += describe(f"{where} [{state}]", violations)
            serious = [v for v in violations if v["impact"] in BLOCKING]
            blocking += describe(f"{where} [{state}]", serious)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / report).write_text("\n".join(everything) + "\n", encoding="utf-8")
    assert not blocking, "serious or critical axe-core violations:\n" + "\n".join(blocking)


# Actions before an audit --------------------------------------------------------------------------


def submit_empty(page) -> None:
    """Submit the page's main form untouched, so that its errors show."""
    page.locator("main form").last.locator("button[type=submit]").first.click()


def wrong_password(page) -> None:
    # Fields by name, not label: the same in every language.
    page.locator("input[name=login]").fill("nobody@acme.example")
    page.locator("input[name=password]").fill("not the password")
    page.locator("input[name=password]").press("Enter")


def invalid_email(page) -> None:
    page.locator("main input[name=email]").fill("not an address")
    page.get_by_role("button", name=gettext("Send invitation")).click()


def propose_pairs(page) -> None:
    page.get_by_role("button", name=gettext("Propose pairs")).click()
    page.locator("#matching-result table").wait_for()


# Languages ----------------------------------------------------------------------------------------

# Every page audit runs in English and in German, whose longer words test the layout (labels
# that wrap, buttons that grow). German runs the anonymous, sponsor and participant pages in
# full and the HR admin's most text-heavy pages (GERMAN_HR_PAGES), to keep the run bounded.
LANGUAGES = ["en-gb", "de"]
GERMAN_HR_PAGES = (
    "/",
    "/invitations/",
    "/settings/",
    "/settings/sso/",
    "/programs/pilot/",
    "/programs/digital-fluency/participants/import/",
    "/programs/digital-fluency/matching/",
    "/surveys/",
    "/dashboard/",
)


@pytest.fixture(params=LANGUAGES)
def language(request) -> Iterator[str]:
    """The language of the people the test signs in as (their profile setting), and of the
    gettext calls of the test itself (names of buttons to press)."""
    with translation.override(request.param):
        yield request.param


def speak(language: str, *emails: str) -> None:
    """The demo people ``emails`` read ``language`` (their own setting)."""
    from mentorship.models import User

    User.objects.filter(email__in=emails).update(language="" if language == "en-gb" else language)


def anonymous_speaks(page, live_server, language: str) -> None:
    """A signed-out visitor who chose ``language`` (the footer's switch sets this cookie)."""
    if language != "en-gb":
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )


@pytest.fixture
def demo(transactional_db) -> dict[str, int]:
    """The demo, with the digital-fluency check-in opened so that junior3 has a survey to answer;
    returns the ids the pages need."""
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())
    from feedback.models import FeedbackCycle, SurveyInvitation
    from feedback.services import cycles as services
    from mentorship.models import Organization
    from mentorship.tenancy import tenant_scope
    from pairings.models import Pairing

    acme = Organization.objects.get(slug="acme")
    with tenant_scope(acme):
        services.cycles_dispatch(organization=acme)
        pair = Pairing.objects.get(program__slug="pilot", mentor__email="junior3@acme.example")
        closed = (
            FeedbackCycle.objects.filter(program__slug="pilot", status=FeedbackCycle.Status.CLOSED)
            .order_by("opens_at")
            .first()
        )
        survey = SurveyInvitation.objects.get(
            cycle__program__slug="digital-fluency", participant__email="junior3@acme.example"
        )
        meeting = pair.meetings.order_by("starts_at").first()
    return {"pair": pair.pk, "cycle": closed.pk, "survey": survey.pk, "meeting": meeting.pk}


def test_axe_runs_under_a_policy_that_refuses_inline_scripts(
    page, live_server, transactional_db
) -> None:
    def strict(route) -> None:
        response = route.fetch()
        policy = "default-src 'self'; script-src 'self'; style-src 'self'"
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": policy}
        )

    page.route("**/accounts/login/", strict)
    page.goto("/accounts/login/")
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(content="window.inlineRan = true")
    assert isinstance(axe_violations(page), list)
    vendored = re.search(r"^axe-core +(\S+)", (VENDOR / "VERSION").read_text(), re.MULTILINE)
    assert page.evaluate("() => axe.version") == vendored.group(1)


def test_anonymous_pages(page, live_server, transactional_db, language) -> None:
    anonymous_speaks(page, live_server, language)
    visits: list[Visit] = [
        "/accounts/login/",
        ("/accounts/login/", wrong_password),
        "/accounts/signup/",
        ("/accounts/signup/", submit_empty),
        "/accounts/password/reset/",
        "/sso/",
        ("/sso/", submit_empty),
    ]
    assert_accessible(page, visits, f"axe-anonymous-{language}.txt", language)


def test_hr_admin_pages(page, live_server, demo, language) -> None:
    speak(language, "admin@acme.example")
    sign_in(page, "admin@acme.example")
    visits: list[Visit] = [
        f"{ORG}/",
        f"{ORG}/members/",
        f"{ORG}/invitations/",
        (f"{ORG}/invitations/", invalid_email),
        f"{ORG}/notifications/",
        f"{ORG}/audit/",
        f"{ORG}/settings/",
        f"{ORG}/settings/sso/",
        f"{ORG}/settings/sso/?protocol=saml",
        f"{ORG}/settings/domains/",
        f"{ORG}/settings/provisioning/",
        f"{ORG}/programs/",
        f"{ORG}/programs/pilot/",
        f"{ORG}/programs/pilot/session-plan/",
        f"{ORG}/programs/pilot/session-plan/new/",
        (f"{ORG}/programs/pilot/session-plan/new/", submit_empty),
        f"{ORG}/programs/digital-fluency/participants/",
        f"{ORG}/programs/digital-fluency/participants/import/",
        f"{ORG}/programs/digital-fluency/matching/",
        (f"{ORG}/programs/digital-fluency/matching/", propose_pairs),
        f"{ORG}/topics/",
        f"{ORG}/surveys/",
        f"{ORG}/programs/pilot/feedback/",
        f"{ORG}/programs/pilot/feedback/{demo['cycle']}/",
        f"{ORG}/concerns/",
        f"{ORG}/dashboard/",
        f"{ORG}/programs/pilot/dashboard/",
        f"{ORG}/pairs/{demo['pair']}/",
    ]
    if language != "en-gb":
        chosen = {f"{ORG}{p}" for p in GERMAN_HR_PAGES}
        visits = [v for v in visits if (v if isinstance(v, str) else v[0]) in chosen]
    assert_accessible(page, visits, f"axe-hr-admin-{language}.txt", language)


def test_sponsor_pages(page, live_server, demo, language) -> None:
    speak(language, "sponsor@acme.example")
    sign_in(page, "sponsor@acme.example")
    visits: list[Visit] = [
        f"{ORG}/",
        f"{ORG}/dashboard/",
        f"{ORG}/programs/pilot/dashboard/",
        f"{ORG}/programs/pilot/feedback/{demo['cycle']}/",
    ]
    assert_accessible(page, visits, f"axe-sponsor-{language}.txt", language)


def test_participant_pages(page, live_server, demo, language) -> None:
    speak(language, "junior3@acme.example")
    sign_in(page, "junior3@acme.example")
    pair = f"{ORG}/pairs/{demo['pair']}"
    visits: list[Visit] = [
        f"{ORG}/",
        f"{ORG}/pairs/",
        f"{pair}/",
        f"{pair}/meetings/",
        f"{pair}/sessions/new/",
        (f"{pair}/sessions/new/", submit_empty),
        f"{pair}/meetings/{demo['meeting']}/",
        f"{pair}/find-a-time/",
        (f"{pair}/find-a-time/", submit_empty),
        f"{ORG}/programs/pilot/me/",
        f"{ORG}/programs/pilot/me/availability/",
        f"{ORG}/programs/pilot/session-plan/",
        f"{ORG}/calendar/busy/",
        f"{ORG}/surveys/{demo['survey']}/",
        (f"{ORG}/surveys/{demo['survey']}/", submit_empty),
        f"{ORG}/concerns/new/",
        (f"{ORG}/concerns/new/", submit_empty),
        f"{ORG}/calendar/",
        "/accounts/2fa/",
    ]
    assert_accessible(page, visits, f"axe-participant-{language}.txt", language)


# Keyboard only ------------------------------------------------------------------------------------

FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
  return {
    tag: e.tagName.toLowerCase(),
    id: e.id,
    type: e.type || "",
    name: (e.getAttribute("aria-label") || label || e.innerText || "").trim().replace(/\\s+/g, " "),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow,
  };
}"""
SHADOW = re.compile(r"rgba?\(([^)]*)\) (-?[\d.]+)px (-?[\d.]+)px (-?[\d.]+)px(?: (-?[\d.]+)px)?")


def focused(page) -> dict:
    settle(page)  # focus rings fade in
    return page.evaluate(FOCUSED)


def draws_a_ring(box_shadow: str) -> bool:
    """Whether a computed box-shadow draws something: a colour not fully transparent, with a blur
    or a spread."""
    for colour, _x, _y, blur, spread in SHADOW.findall(box_shadow):
        channels = colour.split(",")
        alpha = float(channels[3]) if len(channels) == 4 else 1.0
        if alpha > 0 and (float(blur) > 0 or float(spread or 0) > 0):
            return True
    return False


def assert_focus_visible(element: dict) -> None:
    assert element["outline"] or draws_a_ring(element["shadow"]), f"no visible focus on {element}"


def tab_to(page, matches: Callable[[dict], bool], what: str, limit: int = 40) -> dict:
    """Press Tab until the focused element matches; every element passed on the way must show
    that it has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        assert_focus_visible(element)
        if matches(element):
            return element
    raise AssertionError(f"{what} not reached in {limit} presses of Tab")


def named(text: str) -> Callable[[dict], bool]:
    return lambda e: e["name"].rstrip(":* ").startswith(text)


def skip_to_main(page) -> None:
    """The skip link is the first thing Tab reaches, and it moves the focus to <main>."""
    first = tab_to(page, lambda e: True, "the first focusable element", limit=1)
    assert first["tag"] == "a" and first["name"] == "Skip to main content", first
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def keyboard_sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    skip_to_main(page)
    tab_to(page, named("Email"), "Email")
    page.keyboard.type(email)
    tab_to(page, named("Password"), "Password")
    page.keyboard.type(PASSWORD)
    tab_to(page, lambda e: e["tag"] == "button" and e["name"] == "Sign In", "Sign In")
    page.keyboard.press("Space")
    page.wait_for_url(f"**{ORG}/")


def test_a_participant_logs_a_session_with_the_keyboard_alone(page, live_server, demo) -> None:
    keyboard_sign_in(page, "junior3@acme.example")

    skip_to_main(page)
    tab_to(page, named("Log a session with"), "Log a session")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{ORG}/pairs/{demo['pair']}/sessions/new/")

    # The date field takes the locale's order: ask the browser which that is.
    day = timezone.localdate() - timedelta(days=1)
    order = page.evaluate(
        "() => new Intl.DateTimeFormat(navigator.language).formatToParts(new Date(2001, 10, 22))"
        ".filter(p => p.type !== 'literal').map(p => p.type)"
    )
    parts = {"day": f"{day:%d}", "month": f"{day:%m}", "year": f"{day:%Y}"}
    tab_to(page, named("Date"), "Date")
    page.keyboard.type("".join(parts[p] for p in order))
    tab_to(page, lambda e: e["type"] == "checkbox", "the first topic")
    page.keyboard.press("Space")
    tab_to(page, named("What I taught"), "What I taught")
    page.keyboard.type("Keyboard shortcuts in the team chat")
    tab_to(page, named("Save the session"), "Save the session")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").filter(has_text="Session logged. Thank you!")).to_be_visible()
    from mentorship.models import Organization
    from mentorship.tenancy import tenant_scope
    from pairings.models import SessionLog

    with tenant_scope(Organization.objects.get(slug="acme")):
        log = SessionLog.objects.get(taught="Keyboard shortcuts in the team chat")
        assert (log.date, log.minutes, log.topics.count()) == (day, 60, 1)


def test_a_participant_answers_a_check_in_with_the_keyboard_alone(page, live_server, demo) -> None:
    keyboard_sign_in(page, "junior3@acme.example")
    page.goto(f"{ORG}/surveys/{demo['survey']}/")  # the link from the check-in email
    skip_to_main(page)
    # A radio group is one stop of Tab; the arrow keys move within it and choose.
    for question, steps in (
        ("How valuable were your sessions this month?", 3),  # 1 → 4
        ("How safe did you feel to speak candidly?", 4),  # 1 → 5
        ("How likely are you to recommend the program to a colleague?", 9),  # 0 → 9
        ("How often did you meet this month?", 2),  # Not at all → Twice or more
    ):
        tab_to(page, lambda e: e["type"] == "radio", question)
        for _ in range(steps):
            page.keyboard.press("ArrowRight")
        group = page.get_by_role("group", name=question)
        assert group.locator("input:checked").count() == 1, question
    tab_to(page, named("What would make the program better?"), "the open question")
    page.keyboard.type("More time")
    tab_to(page, named("Send my answers"), "Send my answers")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Thank you! Your answers are saved.")).to_be_visible()

    from feedback.models import PendingResponse
    from mentorship.models import Organization
    from mentorship.tenancy import tenant_scope

    with tenant_scope(Organization.objects.get(slug="acme")):
        [pending] = PendingResponse.objects.filter(cycle__program__slug="digital-fluency")
    assert sorted(str(v) for v in pending.payload.values() if v not in ("", [], None)) == sorted(
        ["4", "5", "9", "Twice or more", "More time"]
    ), pending.payload


def test_an_hr_admin_proposes_and_publishes_pairs_with_the_keyboard_alone(
    page, live_server, demo
) -> None:
    keyboard_sign_in(page, "admin@acme.example")
    page.goto(f"{ORG}/programs/digital-fluency/matching/")
    skip_to_main(page)
    tab_to(page, named("Propose pairs"), "Propose pairs")
    page.keyboard.press("Enter")
    page.locator("#matching-result table").wait_for()
    tab_to(page, named("Publish these"), "Publish these", limit=200)
    page.keyboard.press("Enter")  # opens the confirmation
    tab_to(page, named("Yes, publish and notify the seniors"), "the confirmation")
    page.keyboard.press("Enter")
    expect(page.get_by_text("pairs published")).to_be_visible()
