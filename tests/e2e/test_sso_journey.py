"""In Chromium, the whole of single sign-on as an organisation meets it: its HR admin claims
the domain, connects the OpenID Connect provider (a real one, in a thread), tests it, turns it
on and requires it; a new employee of the domain signs in through the provider and lands as a
participant whose department and manager come from the provider's claims; their password
sign-in is refused with the way in named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from mentorship.identity.models import ClaimedDomain, SingleSignOn
from mentorship.models import Membership, User
from programs.models import Participant
from tests.conftest import PASSWORD, make_tenant
from tests.e2e.conftest import new_page, sign_in
from tests.factories import ParticipantFactory, ProgramFactory
from tests.identity.conftest import oidc_server, oidc_user  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_hr_sets_up_sso_and_a_new_employee_signs_in_through_it(
    browser,
    live_server,
    page,
    transactional_db: None,
    oidc_server: str,  # noqa: F811
    oidc_user: Callable[[str, dict], None],  # noqa: F811
    settings: object,
) -> None:
    # The live server and the provider speak plain HTTP on loopback, as under `make run`.
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"  # type: ignore[attr-defined]
    settings.SSO_ALLOW_INSECURE = True  # type: ignore[attr-defined]
    alpha = make_tenant("alpha")
    with alpha.scope():
        # HR imported the new hire into a program before they had an account.
        program = ProgramFactory(organization=alpha.organization, status="enrolling")
        ParticipantFactory(
            program=program,
            email="noor@alpha.test",
            first_name="Noor",
            last_name="Newhire",
            side="junior",
            department="Unknown",
        )
    oidc_user("hr", {"email": alpha.hr.email, "given_name": "Avery"})
    oidc_user(
        "noor",
        {
            "email": "noor@alpha.test",
            "given_name": "Noor",
            "family_name": "Newhire",
            "department": "Data",
            "title": "Data analyst",
            "manager_email": "manager@alpha.test",
        },
    )

    # The HR admin claims the domain of their own address.
    sign_in(page, alpha.hr.email)
    page.goto("/o/alpha/settings/domains/")
    # Identity settings ask for the password again (a sign-in alone does not count).
    page.get_by_role("link", name="Confirm now").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/o/alpha/settings/domains/")
    page.get_by_role("textbox", name="Domain").fill("alpha.test")
    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_role("cell", name="alpha.test", exact=True)).to_be_visible()

    # ... connects the provider (its discovery document is fetched and checked on save) ...
    page.goto("/o/alpha/settings/sso/?protocol=oidc")
    page.get_by_label("Issuer URL").fill(oidc_server)
    page.get_by_label("Client ID").fill("mentoring")
    page.get_by_label("Client secret").fill("s3cret-value")
    page.get_by_role("button", name="Save OpenID Connect connection").click()
    expect(page.get_by_text("Saved, not tested")).to_be_visible()
    assert "s3cret-value" not in page.content()

    # ... tests it: through the provider and back, still signed in as themselves ...
    page.get_by_role("button", name="Test the connection").click()
    page.wait_for_url(f"{oidc_server}/oauth2/authorize**")
    page.get_by_placeholder("sub").fill("hr")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url("**/o/alpha/settings/sso/**")
    expect(page.get_by_text("Tested, not live").first).to_be_visible()
    expect(page.get_by_role("main").get_by_text(alpha.hr.email).first).to_be_visible()

    # ... turns it on, and requires it for the domain.
    page.get_by_role("button", name="Go live").click()
    expect(page.get_by_text("Live", exact=True).first).to_be_visible()
    page.get_by_label("Require single sign-on").check()
    page.get_by_role("button", name="Save policies").click()
    with alpha.scope():
        sso = SingleSignOn.objects.get(organization=alpha.organization)
        assert sso.status == SingleSignOn.Status.LIVE and sso.sso_only
        assert ClaimedDomain.objects.filter(domain="alpha.test").exists()

    # A new employee: sign-in page → single sign-on → the provider → their organisation.
    newcomer = new_page(browser, live_server)
    newcomer.goto("/accounts/login/")
    newcomer.get_by_role("link", name="Sign in with single sign-on").click()
    newcomer.get_by_label("Work email address").fill("noor@alpha.test")
    newcomer.get_by_role("button", name="Continue").click()
    newcomer.wait_for_url(f"{oidc_server}/oauth2/authorize**")
    newcomer.get_by_placeholder("sub").fill("noor")
    newcomer.get_by_role("button", name="Authorize").click()
    newcomer.wait_for_url("**/o/alpha/")
    user = User.objects.get(email="noor@alpha.test")
    with alpha.scope():
        membership = Membership.objects.get(user=user)
        assert membership.is_participant
        assert not (membership.is_hr_admin or membership.is_sponsor)
        record = Participant.objects.get(program=program, email="noor@alpha.test")
        assert record.membership_id == membership.pk
        assert (record.department, record.title, record.manager_email) == (
            "Data",
            "Data analyst",
            "manager@alpha.test",
        )

    # Their password sign-in is refused, and the way in is named.
    stranger = new_page(browser, live_server)
    stranger.goto("/accounts/login/")
    stranger.get_by_label("Email").fill("noor@alpha.test")
    stranger.get_by_label("Password").fill("any password at all")
    stranger.get_by_label("Password").press("Enter")
    expect(stranger.get_by_text("Alpha signs in through single sign-on")).to_be_visible()
    assert "/accounts/login/" in stranger.url
