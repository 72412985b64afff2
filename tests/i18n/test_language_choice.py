"""Which language a page speaks, seen through real pages: the person's own setting, then the
language cookie (signed out), then the browser's ``Accept-Language``, then the organisation's
default (an HR setting), then English. The switch in the account menu (and the footer when
signed out) sets the first or the second and comes back to the same page. Emails follow
:func:`mentorship.i18n.language_for`: setting → browser language recorded at sign-in →
organisation default → English.

These tests read ``<html lang>``, ``Content-Language`` and ``Vary``: no catalogue is needed.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from mentorship.i18n import language_for
from mentorship.models import Organization, User
from tests.conftest import PASSWORD, Tenant

COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]*)"', response.content.decode())
    assert match, "no <html lang> on the page"
    return match.group(1)


def speaks(response) -> str:
    """The page's language, checked to agree between the markup and the header."""
    assert response.status_code == 200, response.status_code
    lang = html_lang(response)
    assert response["Content-Language"] == lang
    return lang


def set_language(user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def set_default(organization: Organization, language: str) -> None:
    Organization.objects.filter(pk=organization.pk).update(default_language=language)


# The order, through pages -----------------------------------------------------------------------


def test_english_when_nothing_says_otherwise(alpha: Tenant, client_for) -> None:
    assert speaks(client_for(alpha.participant).get("/o/alpha/")) == "en-gb"
    assert speaks(Client().get("/accounts/login/")) == "en-gb"


def test_the_profile_setting_beats_cookie_browser_and_organisation(
    alpha: Tenant, client_for
) -> None:
    set_default(alpha.organization, "es")
    set_language(alpha.participant, "de")
    client = client_for(alpha.participant)
    client.cookies[COOKIE] = "fr"
    response = client.get("/o/alpha/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert speaks(response) == "de"


def test_the_cookie_beats_the_browser_when_no_profile_setting(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.participant)
    client.cookies[COOKIE] = "es"
    assert speaks(client.get("/o/alpha/", HTTP_ACCEPT_LANGUAGE="de")) == "es"
    anonymous = Client()
    anonymous.cookies[COOKIE] = "es"
    assert speaks(anonymous.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de")) == "es"


def test_the_browser_beats_the_organisation_default(alpha: Tenant, client_for) -> None:
    set_default(alpha.organization, "es")
    client = client_for(alpha.participant)
    assert speaks(client.get("/o/alpha/", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5")) == "fr"
    # A browser asking only for languages the product does not speak counts as asking nothing.
    assert speaks(client.get("/o/alpha/", HTTP_ACCEPT_LANGUAGE="ja,zh;q=0.8")) == "es"


def test_the_organisation_default_applies_inside_the_organisation_only(
    alpha: Tenant, client_for
) -> None:
    set_default(alpha.organization, "de")
    client = client_for(alpha.participant)
    assert speaks(client.get("/o/alpha/")) == "de"
    # Outside any organisation (account pages) nothing names an organisation: English.
    assert speaks(client.get("/accounts/sign-ins/")) == "en-gb"


def test_pages_vary_on_accept_language_and_cookie(alpha: Tenant, client_for) -> None:
    for response in (
        client_for(alpha.participant).get("/o/alpha/"),
        Client().get("/accounts/login/"),
    ):
        vary = {v.strip().lower() for v in response["Vary"].split(",")}
        assert {"accept-language", "cookie"} <= vary, response["Vary"]


def test_htmx_partials_vary_too(alpha: Tenant, client_for) -> None:
    response = client_for(alpha.hr).get("/o/alpha/members/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary, response["Vary"]


# The switch -------------------------------------------------------------------------------------


def test_the_switch_form_is_in_the_account_menu_and_the_signed_out_footer(
    alpha: Tenant, client_for
) -> None:
    signed_in = client_for(alpha.participant).get("/o/alpha/").content.decode()
    assert 'id="language-menu"' in signed_in and 'id="language-footer"' not in signed_in
    signed_out = Client().get("/accounts/login/").content.decode()
    assert 'id="language-footer"' in signed_out
    for name in ("English", "Français", "Deutsch", "Español"):
        assert f">{name}</option>" in signed_out


def test_signed_in_switch_saves_the_profile_and_the_next_page_follows(
    alpha: Tenant, client_for
) -> None:
    client = client_for(alpha.participant)
    response = client.post("/accounts/language/", {"language": "fr", "next": "/o/alpha/pairs/"})
    assert response.status_code == 302
    assert response["Location"] == "/o/alpha/pairs/"
    alpha.participant.refresh_from_db()
    assert alpha.participant.language == "fr"
    assert speaks(client.get("/o/alpha/", HTTP_ACCEPT_LANGUAGE="de")) == "fr"
    # Another browser of the same person (no cookie) follows the profile too.
    other = client_for(alpha.participant)
    assert speaks(other.get("/o/alpha/", HTTP_ACCEPT_LANGUAGE="de")) == "fr"
    # Back to automatic: the browser's language again.
    client.post("/accounts/language/", {"language": "", "next": "/o/alpha/"})
    alpha.participant.refresh_from_db()
    assert alpha.participant.language == ""
    client.cookies.pop(COOKIE, None)
    assert speaks(client.get("/o/alpha/", HTTP_ACCEPT_LANGUAGE="de")) == "de"


def test_signed_out_switch_sets_a_cookie(db: None) -> None:
    client = Client()
    response = client.post("/accounts/language/", {"language": "es", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies[COOKIE].value == "es"
    assert response.cookies[COOKIE]["httponly"]
    assert speaks(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de")) == "es"


def test_htmx_switch_refreshes_the_whole_page(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.participant)
    response = client.post(
        "/accounts/language/", {"language": "de", "next": "/o/alpha/"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    alpha.participant.refresh_from_db()
    assert alpha.participant.language == "de"


@pytest.mark.parametrize(
    "unsafe",
    ["https://evil.example/", "//evil.example/path", "javascript:alert(1)", "http://evil.example"],
)
def test_an_unsafe_next_goes_home(unsafe: str, db: None) -> None:
    response = Client().post("/accounts/language/", {"language": "fr", "next": unsafe})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_an_unsupported_language_is_ignored(alpha: Tenant, client_for) -> None:
    set_language(alpha.participant, "de")
    client = client_for(alpha.participant)
    response = client.post("/accounts/language/", {"language": "xx", "next": "/o/alpha/"})
    assert response.status_code == 302 and response["Location"] == "/o/alpha/"
    assert COOKIE not in response.cookies
    alpha.participant.refresh_from_db()
    assert alpha.participant.language == "de"
    anonymous = Client().post("/accounts/language/", {"language": "klingon", "next": "/"})
    assert COOKIE not in anonymous.cookies


def test_the_switch_answers_post_only(db: None) -> None:
    assert Client().get("/accounts/language/").status_code == 405


def test_a_forged_cookie_is_ignored(db: None) -> None:
    client = Client()
    client.cookies[COOKIE] = "xx"
    assert speaks(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es")) == "es"


# Sign-in records the browser's language ---------------------------------------------------------


def test_sign_in_records_the_browsers_language(alpha: Tenant) -> None:
    user = alpha.participant
    client = Client(HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5")
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    user.refresh_from_db()
    assert user.browser_language == "es"
    assert user.language == ""  # a recorded browser language is not a choice
    # A browser asking for nothing the product speaks records nothing.
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    user.refresh_from_db()
    assert user.browser_language == ""


# HR's default language --------------------------------------------------------------------------


def test_hr_sets_the_default_language_on_the_settings_page(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.hr)
    page = client.get("/o/alpha/settings/").content.decode()
    assert 'name="default_language"' in page
    response = client.post(
        "/o/alpha/settings/",
        {"name": "Alpha", "anonymity_threshold": 5, "mfa_required": "", "default_language": "fr"},
    )
    assert response.status_code == 302
    alpha.organization.refresh_from_db()
    assert alpha.organization.default_language == "fr"
    # The participant, with no setting and a browser asking for nothing, now reads French.
    assert speaks(client_for(alpha.participant).get("/o/alpha/")) == "fr"
    selected = re.search(
        r'<option value="fr"[^>]*selected', client.get("/o/alpha/settings/").content.decode()
    )
    assert selected, "the settings page shows the saved default"


def test_hr_cannot_set_an_unsupported_default(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.hr)
    response = client.post(
        "/o/alpha/settings/",
        {"name": "Alpha", "anonymity_threshold": 5, "mfa_required": "", "default_language": "xx"},
    )
    assert response.status_code == 200  # the form again, with its error
    assert response.context["form"].errors.get("default_language")
    alpha.organization.refresh_from_db()
    assert alpha.organization.default_language == "en-gb"


def test_only_hr_sees_the_settings_page(alpha: Tenant, client_for) -> None:
    assert client_for(alpha.sponsor).get("/o/alpha/settings/").status_code == 404


# language_for: what emails and notifications are written in ------------------------------------


def test_language_for_order(alpha: Tenant) -> None:
    user, organization = alpha.participant, alpha.organization
    organization.default_language = "es"
    user.language, user.browser_language = "de", "fr"
    assert language_for(user, organization) == "de"
    user.language = ""
    assert language_for(user, organization) == "fr"
    user.browser_language = ""
    assert language_for(user, organization) == "es"
    organization.default_language = ""
    assert language_for(user, organization) == "en-gb"
    assert language_for(user, None) == "en-gb"
    assert language_for(None, None) == "en-gb"
    user.language = "xx"  # a value no longer offered falls through
    organization.default_language = "fr"
    assert language_for(user, organization) == "fr"
    assert language_for(None, organization) == "fr"
