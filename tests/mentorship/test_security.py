"""Hardening: a clean ``check --deploy``, security headers and a strict Content-Security-Policy,
no caching of personal data, sessions a user can see and end, re-authentication before account
changes, the operator admin behind allauth's sign-in, and the MFA policy of new organisations."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from allauth.core.internal.httpkit import get_client_ip
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from mentorship.models import Organization
from mentorship.security import NoStoreMiddleware
from tests.conftest import PASSWORD, Tenant, totp_code
from tests.factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def run_with_env(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run a Python command on the production settings module with exactly ``env`` set."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "mentorship.settings",
            "VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def sign_in(email: str, user_agent: str = "Browser A") -> Client:
    """A client signed in through allauth's form, as a browser would be."""
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def age_authentication(client: Client, seconds: float) -> None:
    """Pretend the client's last password entry was ``seconds`` ago."""
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= seconds
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


# --- 1. Deployment settings ----------------------------------------------------------------------


def test_check_deploy_reports_nothing_with_debug_off(tmp_path: Path) -> None:
    result = run_with_env(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.org",
        DATABASE_URL="postgres://user:pass@127.0.0.1:5432/unused",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert "no issues" in result.stdout


PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
    "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
    "s.ALLAUTH_TRUSTED_PROXY_COUNT)"
)


def test_debug_off_means_https_only_and_debug_on_keeps_plain_http_working(
    tmp_path: Path,
) -> None:
    production = run_with_env(
        ["-c", PRINT_SETTINGS],
        tmp_path,
        DEBUG="0",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="example.org",
        TRUSTED_PROXY_COUNT="2",
    )
    assert production.stdout.split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "True",
        "31536000",
        "2",
    ], production.stderr
    development = run_with_env(["-c", PRINT_SETTINGS], tmp_path, DEBUG="1")
    assert development.stdout.split() == [
        "sessionid",
        "csrftoken",
        "False",
        "False",
        "False",
        "0",
        "0",
    ], development.stderr


def test_cookies_are_secure_and_host_only(alpha: Tenant) -> None:
    client = Client()
    csrf = client.get("/accounts/login/").cookies["__Host-csrftoken"]
    response = client.post("/accounts/login/", {"login": alpha.hr.email, "password": PASSWORD})
    session = response.cookies["__Host-sessionid"]
    for cookie in (csrf, session):
        assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]
    assert session["httponly"] and session["samesite"] == "Lax"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_except_the_health_check(db) -> None:
    client = Client()
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/", secure=True).status_code == 200


# --- 2. Headers and the Content-Security-Policy --------------------------------------------------


def test_pages_carry_a_strict_content_security_policy_and_the_security_headers(
    alpha: Tenant, client_for
) -> None:
    for client, url in ((Client(), "/accounts/login/"), (client_for(alpha.hr), "/o/alpha/")):
        response = client.get(url)
        assert response.status_code == 200
        policy = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        assert policy == {
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": "'self' data:",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        }
        assert "unsafe" not in response["Content-Security-Policy"]
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@override_settings(
    SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=False
)
def test_https_answers_carry_hsts(db) -> None:
    response = Client().get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # Browsers ignore it over plain HTTP; Django does not send it there.
    assert "Strict-Transport-Security" not in Client().get("/accounts/login/")


def test_htmx_is_told_not_to_inject_its_inline_style(client, db) -> None:
    page = client.get("/accounts/login/").content.decode()
    config = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", page)
    assert config and json.loads(config[1])["includeIndicatorStyles"] is False


# --- 3. No caching of personal data --------------------------------------------------------------


def test_signed_in_and_private_pages_are_never_stored(alpha: Tenant, client_for, client) -> None:
    hr = client_for(alpha.hr)
    for url in ("/o/alpha/", "/o/alpha/members/", "/", "/accounts/email/", "/accounts/sessions/"):
        cache_control = hr.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url
    # Private prefixes, even for anonymous visitors.
    for url in ("/accounts/login/", "/admin/login/", "/invitations/unknown/", "/o/alpha/"):
        assert "no-store" in client.get(url)["Cache-Control"], url


def test_the_personal_calendar_feed_is_never_stored(alpha: Tenant, client_for, client) -> None:
    page = client_for(alpha.participant).post("/o/alpha/calendar/").content.decode()
    start = page.index("http://testserver/calendar/")
    feed = client.get(page[start : page.index('"', start)].removeprefix("http://testserver"))
    assert feed.status_code == 200
    assert "no-store" in feed["Cache-Control"] and "private" in feed["Cache-Control"]


def test_static_files_and_public_answers_keep_their_caching() -> None:
    """Static files and anonymous public paths pass through untouched."""
    from django.contrib.auth.models import AnonymousUser

    def cacheable(request):
        response = HttpResponse("x")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    middleware = NoStoreMiddleware(cacheable)
    factory = RequestFactory()
    static = factory.get(f"{settings.STATIC_URL}css/app.css")
    static.user = UserFactory.build()  # signed in: still cacheable
    public = factory.get("/healthz")
    public.user = AnonymousUser()
    for request in (static, public):
        assert middleware(request)["Cache-Control"] == "public, max-age=3600"


# --- 4. Sessions: see them, end the others -------------------------------------------------------


def test_a_user_sees_both_sessions_and_ends_the_other_one(alpha: Tenant) -> None:
    laptop = sign_in(alpha.hr.email, "Laptop browser")
    phone = sign_in(alpha.hr.email, "Phone browser")
    page = laptop.get("/accounts/sessions/")
    assert page.context["session_count"] == 2
    html = page.content.decode()
    assert "Laptop browser" in html and "Phone browser" in html
    assert 'class="skip-link"' in html  # inside the app's layout

    laptop.post("/accounts/sessions/")
    assert phone.get("/o/alpha/")["Location"].startswith("/accounts/login/")
    assert laptop.get("/o/alpha/").status_code == 200
    assert laptop.get("/accounts/sessions/").context["session_count"] == 1


def test_the_account_menu_links_to_the_sessions_page(alpha: Tenant, client_for) -> None:
    page = client_for(alpha.participant).get("/o/alpha/").content.decode()
    assert '<a href="/accounts/sessions/">Sessions</a>' in page


@override_settings(USERSESSIONS_TRACK_ACTIVITY=True)
def test_last_seen_is_recorded_at_most_once_a_minute(alpha: Tenant, client_for) -> None:
    from django.core.cache import cache

    client = client_for(alpha.participant)  # a session allauth's sign-in did not record
    client.get("/o/alpha/")
    (session,) = UserSession.objects.filter(user=alpha.participant)
    first_seen = session.last_seen_at
    client.get("/o/alpha/")  # within the minute: no write
    session.refresh_from_db()
    assert session.last_seen_at == first_seen
    cache.clear()  # a minute later
    client.get("/o/alpha/")
    session.refresh_from_db()
    assert session.last_seen_at > first_seen


# --- 5. Re-authentication before account changes -------------------------------------------------


def test_adding_an_email_asks_for_the_password_unless_confirmed_in_the_last_five_minutes(
    alpha: Tenant,
) -> None:
    # Even right after signing in: the confirmation is its own step.
    client = sign_in(alpha.hr.email)
    first = client.post("/accounts/email/", {"action_add": "", "email": "first@example.com"})
    assert first["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2Femail%2F"
    assert not EmailAddress.objects.filter(email="first@example.com").exists()
    assert client.post(first["Location"], {"password": "wrong"}).status_code == 200
    assert not EmailAddress.objects.filter(email="first@example.com").exists()
    # The right password resumes the suspended request.
    client.post(first["Location"], {"password": PASSWORD})
    assert EmailAddress.objects.filter(email="first@example.com").exists()

    # Within five minutes of confirming, no second prompt.
    second = client.post("/accounts/email/", {"action_add": "", "email": "second@example.com"})
    assert second["Location"] == "/accounts/email/"
    assert EmailAddress.objects.filter(email="second@example.com").exists()

    age_authentication(client, 301)
    third = client.post("/accounts/email/", {"action_add": "", "email": "third@example.com"})
    assert third["Location"].startswith("/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(email="third@example.com").exists()


def test_activating_mfa_asks_for_the_password_unless_confirmed_in_the_last_five_minutes(
    alpha: Tenant,
) -> None:
    client = sign_in(alpha.hr.email)
    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    client.post(response["Location"], {"password": PASSWORD})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    age_authentication(client, 301)
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith(
        "/accounts/reauthenticate/"
    )


def test_changing_the_password_needs_the_current_one(alpha: Tenant) -> None:
    client = sign_in(alpha.hr.email)
    new = "an entirely new passphrase 7"
    refused = client.post(
        "/accounts/password/change/",
        {"oldpassword": "wrong", "password1": new, "password2": new},
    )
    assert refused.status_code == 200 and "oldpassword" in refused.context["form"].errors
    alpha.hr.refresh_from_db()
    assert alpha.hr.check_password(PASSWORD)
    client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    alpha.hr.refresh_from_db()
    assert alpha.hr.check_password(new)


# --- 6. Rate limits behind proxies ---------------------------------------------------------------


@pytest.mark.parametrize(("count", "expected"), [(0, "192.0.2.1"), (1, "203.0.113.9")])
def test_rate_limits_count_the_client_address_the_trusted_proxy_saw(
    count: int, expected: str
) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.9"
    )
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=count):
        # The left entry is whatever the client claimed; only our proxy's entry is trusted.
        assert get_client_ip(request) == expected


# --- 7. The operator admin signs in through allauth ----------------------------------------------


def test_the_admin_login_is_allauths_login(client, db) -> None:
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    assert client.get("/admin/login/")["Location"] == "/accounts/login/?next=%2Fadmin%2Flogin%2F"
    # Posting credentials to the admin's own form signs nobody in.
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.post("/admin/login/", {"username": operator.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_operators_without_a_second_factor_are_sent_to_enrol_one(client, db) -> None:
    operator = UserFactory(is_staff=True, is_superuser=True)
    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": operator.email, "password": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/2fa/"
    assert "The operator admin needs two-factor authentication" in response.content.decode()
    # Every admin page, not only the index, stays closed until an authenticator is enrolled.
    for url in ("/admin/", "/admin/mentorship/organization/", "/admin/mentorship/user/add/"):
        assert client.get(url, follow=True).redirect_chain[-1][0] == "/accounts/2fa/"
    assert (
        client.post("/admin/mentorship/organization/add/", {"name": "X", "slug": "x"}).status_code
        == 302
    )
    assert not Organization.objects.filter(slug="x").exists()


def test_operators_reach_the_admin_after_both_sign_in_steps(client, db) -> None:
    operator = UserFactory(is_staff=True, is_superuser=True)
    secret = generate_totp_secret()
    TOTP.activate(operator, secret)
    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": operator.email, "password": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302  # the password alone does not open it
    code = totp_code(secret)
    response = client.post("/accounts/2fa/authenticate/", {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert response.status_code == 200
    assert client.get("/admin/mentorship/organization/").status_code == 200


def test_the_admin_login_form_never_signs_anyone_in_not_even_for_the_signed_in(client, db) -> None:
    """Django's own form would sign in any staff account from its password alone."""
    operator = UserFactory(is_staff=True, is_superuser=True)
    secret = generate_totp_secret()
    TOTP.activate(operator, secret)
    other = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(other, generate_totp_secret())
    client.post("/accounts/login/", {"login": operator.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    response = client.post("/admin/login/", {"username": other.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(operator.pk)


def test_signed_in_non_staff_are_refused_the_admin_login(alpha: Tenant, client_for) -> None:
    assert client_for(alpha.hr).get("/admin/login/").status_code == 403


# --- 8. New organisations require a second factor of HR admins and sponsors ----------------------


def test_a_new_organisation_requires_mfa_of_its_hr_admins(db) -> None:
    call_command(
        "create_organization", "newco", "NewCo", "--hr-admin", "hr@newco.test", stdout=StringIO()
    )
    organization = Organization.objects.get(slug="newco")
    assert organization.mfa_required is True
    hr = MembershipFactory(organization=organization, is_hr_admin=True).user
    client = Client()
    client.force_login(hr)
    response = client.get("/o/newco/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/"
    assert "NewCo requires two-factor authentication" in response.content.decode()

    # Enrolled elsewhere: this session, signed in without it, must still show it.
    Authenticator.objects.create(user=hr, type=Authenticator.Type.TOTP, data={"secret": "x"})
    response = client.get("/o/newco/")
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fo%2Fnewco%2F"
