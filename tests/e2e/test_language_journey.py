"""A participant switches to German from the account menu, and the product speaks German from
then on: home → their pair → log a session, with ``<html lang="de">`` on every page and the
German texts of the catalogue (computed with gettext, not copied here).

The final assertion (German differs from English) needs the compiled catalogues."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from mentorship.models import User
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

MSGIDS = ("Next meeting", "Save the session", "Session logged. Thank you!", "Account")


def german(msgid: str) -> str:
    with translation.override("de"):
        return gettext(msgid)


def test_a_participant_switches_to_german_and_logs_a_session(
    page, live_server, transactional_db
) -> None:
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())
    email = "junior3@acme.example"
    User.objects.filter(email=email).update(language="", browser_language="")
    sign_in(page, email, wait_for="**/o/acme/")
    assert page.locator("html").get_attribute("lang") == "en-gb"

    # The account menu's switch; the page comes back in German, at the same address.
    page.locator("summary", has_text="Account").click()
    page.locator("#language-menu").select_option("de")
    page.locator("form.language-form button[type=submit]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert page.url.endswith("/o/acme/")
    assert User.objects.get(email=email).language == "de"

    # Home.
    expect(page.get_by_role("heading", name=german("Next meeting"))).to_be_visible()
    expect(page.locator("summary", has_text=german("Account"))).to_be_visible()

    # Their pair.
    pair_href = page.evaluate(
        "() => [...document.querySelectorAll('main a')].map(a => a.getAttribute('href'))"
        ".find(h => /\\/pairs\\/\\d+\\/$/.test(h))"
    )
    assert pair_href, "no link to the pair on the home page"
    page.locator(f"main a[href='{pair_href}']").first.click()
    page.wait_for_url("**/o/acme/pairs/*/")
    expect(page.locator("html")).to_have_attribute("lang", "de")

    # Log a session.
    page.locator("main a[href$='/sessions/new/']").first.click()
    page.wait_for_url("**/sessions/new/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.locator("input[name=date]").fill(f"{timezone.localdate() - timedelta(days=2):%Y-%m-%d}")
    page.locator("input[name=minutes]").fill("45")
    page.get_by_role("button", name=german("Save the session")).click()
    expect(page.get_by_text(german("Session logged. Thank you!"))).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")

    # The texts above were German, not English (needs the compiled German catalogue).
    untranslated = [m for m in MSGIDS if german(m) == m]
    assert not untranslated, f"no German translation for {untranslated} (make compilemessages)"
