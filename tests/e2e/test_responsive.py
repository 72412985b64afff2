"""The main pages fit a phone screen: nothing makes the page itself scroll sideways (wide
tables scroll inside their own box). In English and in German, whose long words are the test
of a layout."""

from __future__ import annotations

import pytest

from mentorship.models import AuditEvent, User
from tests.conftest import PASSWORD, make_tenant
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser

PAGES = ["", "members/", "invitations/", "notifications/", "audit/"]


@pytest.mark.parametrize("language", ["en-gb", "de"])
def test_main_pages_fit_a_390px_wide_screen(
    browser, live_server, transactional_db, language: str
) -> None:
    tenant = make_tenant("alpha")
    User.objects.filter(pk=tenant.hr.pk).update(language="" if language == "en-gb" else language)
    for _ in range(5):
        MembershipFactory(organization=tenant.organization, is_participant=True)
    with tenant.scope():
        AuditEvent.objects.create(
            organization=tenant.organization,
            action="roles_changed",
            summary="a rather long summary of what changed " * 3,
            actor=tenant.hr,
        )
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenant.hr.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/o/alpha/")
    for suffix in PAGES:
        page.goto(f"/o/alpha/{suffix}")
        assert page.locator("html").get_attribute("lang") == language
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"/o/alpha/{suffix} ({language}) is {width}px wide on a 390px screen"
    context.close()
