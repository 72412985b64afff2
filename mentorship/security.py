"""Security middleware of our own: no caching of personal data, throttled session tracking, and
the operator admin's second factor.

The rest of the hardening is configuration (``settings.py``, "Security"): HTTPS redirect, HSTS,
``__Host-`` cookies, the Content-Security-Policy (django-csp), and allauth's rate limits,
re-authentication and sessions page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions import app_settings as usersessions_settings
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.admin import AdminSite
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from mentorship.authentication import second_factor_redirect, session_passed_second_factor

# Everything under these paths is about a person, signed in or not: organisation pages, account
# pages (sign-in included), the operator admin, invitation links and personal calendar feeds.
PRIVATE_PATH_PREFIXES = ("/o/", "/accounts/", "/admin/", "/invitations/", "/calendar/", "/api/")

# "Last seen" of a session is written at most this often, not on every request.
SESSION_ACTIVITY_INTERVAL_SECONDS = 60


class NoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every response that may hold personal data.

    That is every response to a signed-in user, and every response under
    :data:`PRIVATE_PATH_PREFIXES`: neither the browser's history cache on a shared computer nor a
    proxy may keep a copy. Static files and ``/healthz`` are left as their views set them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path_info
        if path.startswith(settings.STATIC_URL):
            return response
        # request.user again, after the view: signing in or out changes it.
        if path.startswith(PRIVATE_PATH_PREFIXES) or request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class UserSessionActivityMiddleware:
    """allauth's ``UserSessionsMiddleware``, throttled.

    allauth's own records the session's address, browser and "last seen" on every request of a
    signed-in user: a transaction and a write per page view (on SQLite, the database's write
    lock). This one does the same at most once per :data:`SESSION_ACTIVITY_INTERVAL_SECONDS` per
    session, remembered in the shared cache. Sessions started through allauth's sign-in are
    listed from their first request either way (allauth records them on sign-in).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session_key = request.session.session_key
        if usersessions_settings.TRACK_ACTIVITY and session_key and request.user.is_authenticated:
            # A hash: the session key is a credential and has no business in the cache.
            digest = hashlib.sha256(session_key.encode()).hexdigest()
            if cache.add(f"usersession-seen:{digest}", True, SESSION_ACTIVITY_INTERVAL_SECONDS):
                UserSession.objects.create_from_request(request)
        return self.get_response(request)


def protect_operator_admin(site: AdminSite) -> None:
    """Staff reach ``/admin/`` only after allauth's sign-in, in a session that passed a second
    factor.

    The admin reads every organisation's data, so its bar is at least that of an HR admin under
    the strictest policy. allauth's ``secure_admin_login`` sends anonymous visitors of the
    admin's login form to allauth's sign-in (rate limits, email verification, the second-factor
    step for those who have one); it does not make anyone enrol. So ``has_permission`` also asks
    that this session passed a second factor: otherwise every admin page sends staff to the
    login view, which sends them on to *Two-factor authentication* to enrol one, or to confirm
    the one they have, with a message saying why. The account having an authenticator is not
    enough: a session signed in with the password before it was enrolled never showed it.

    Django's own login form is never shown, not even to someone signed in: it would sign in
    whichever staff account's email and password were posted to it, with no second factor.
    """
    site_has_permission = site.has_permission
    allauth_login = secure_admin_login(site.login)

    def has_permission(request: HttpRequest) -> bool:
        return (
            site_has_permission(request)
            and is_mfa_enabled(request.user)
            and session_passed_second_factor(request)
        )

    def login(request: HttpRequest, extra_context: dict[str, object] | None = None) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return allauth_login(request, extra_context)  # to allauth's sign-in
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        refused = second_factor_redirect(
            request,
            why=_("The operator admin needs two-factor authentication."),
            enrol=_("Set it up here, then open /admin/ again."),
            next_url=_admin_next(request),
        )
        return refused or redirect("admin:index")

    site.has_permission = has_permission  # type: ignore[method-assign]
    site.login = login  # type: ignore[method-assign]


def _admin_next(request: HttpRequest) -> str:
    """The admin page that sent here (``?next=``) if it is one of ours, else the admin's index."""
    wanted = request.GET.get("next", "")
    if wanted.startswith("/admin/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("admin:index")
