"""Step-up for accounts with nothing to re-authenticate with.

An account made by single sign-on has no usable password and no second factor. allauth's
``reauthentication_required`` passes such an account as if it had just re-authenticated (it
has no flow to offer), so its own pages to set a password, add a second factor or an address
would take a stolen session cookie's word: the thief sets a password, re-authenticates with
it, and from then on changes single sign-on or mints SCIM tokens.

``PasswordlessStepUpMiddleware`` closes those pages for such an account unless this session
signed in through the single sign-on of one of its organisations within
``ACCOUNT_REAUTHENTICATION_TIMEOUT`` (the rule ``recently_signed_in_through``, shared with the
identity settings pages in ``views/reauthentication.py``); otherwise it sends the person to
sign in through that provider again, and back. Setting a password is refused outright for an
account bound by SSO-only: its way in is the provider.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from mentorship.identity.models import SingleSignOn
from mentorship.identity.sso import selectors

SET_PASSWORD = "account_set_password"
ACTIVATE_TOTP = "mfa_activate_totp"
# allauth's pages that give an account a new way in (or an address to reset one through).
GUARDED_URL_NAMES = frozenset(
    {
        SET_PASSWORD,
        ACTIVATE_TOTP,
        "mfa_add_webauthn",
        "mfa_generate_recovery_codes",
        "account_email",
    }
)
# Showing the TOTP page already hands out the secret (kept in the session for the POST).
GUARDED_ON_EVERY_METHOD = frozenset({ACTIVATE_TOTP})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def recently_signed_in_through(request: HttpRequest, sso: SingleSignOn | None) -> bool:
    """Whether this session signed in through ``sso``'s provider within the timeout (allauth
    records one entry per sign-in: method "socialaccount", the provider and the time)."""
    if sso is None:
        return False
    now = time.time()
    return any(
        record.get("method") == "socialaccount"
        and record.get("provider") == sso.provider_id
        and isinstance(record.get("at"), int | float)
        and now - record["at"] < account_settings.REAUTHENTICATION_TIMEOUT
        for record in get_authentication_records(request, request.user)
        if isinstance(record, dict)
    )


class PasswordlessStepUpMiddleware:
    """See the module's docstring. Placed after allauth's ``AccountMiddleware`` (it needs the
    user and the messages). It acts in ``process_view``, where Django has already resolved
    ``request.path_info`` (``request.resolver_match``), so no other request pays a resolve."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        url_name = match.url_name if match is not None else None
        if url_name not in GUARDED_URL_NAMES:
            return None
        if url_name not in GUARDED_ON_EVERY_METHOD and request.method in SAFE_METHODS:
            return None
        user = request.user
        # A password is on the user row; checked before the second factors, which cost a query.
        if not user.is_authenticated or user.has_usable_password():
            return None
        if url_name == SET_PASSWORD:
            bound = selectors.sso_only_for_account(user=user)
            if bound is not None:
                return _sso_only_refusal(request, bound)
        if is_mfa_enabled(user):
            return None  # allauth asks for the second factor itself.
        linked = selectors.live_sso_linked_to(user=user)
        if any(recently_signed_in_through(request, sso) for sso in linked):
            return None
        if not linked:
            return _no_way_to_confirm(request)
        organization = linked[0].organization
        messages.warning(
            request,
            _(
                "Confirm it is you through %(organization)s's sign-in first. You will come back "
                "here."
            )
            % {"organization": organization.name},
        )
        start = reverse("sso_start", kwargs={"slug": organization.slug})
        return redirect(f"{start}?{urlencode({'next': request.path})}")


def _sso_only_refusal(request: HttpRequest, sso: SingleSignOn) -> HttpResponse:
    return render(
        request,
        "identity/sso/step_up_refused.html",
        {
            "heading": _("This account cannot have a password"),
            "message": _(
                "%(organization)s signs in through single sign-on only, and one of your "
                "addresses is in its domains: your way in is its sign-in."
            )
            % {"organization": sso.organization.name},
            "organization": sso.organization,
        },
        status=403,
    )


def _no_way_to_confirm(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "identity/sso/step_up_refused.html",
        {
            "heading": _("Confirm it is you first"),
            "message": _(
                "This change needs you to confirm it is you, and your account has no password, "
                "no second factor and no organisation's single sign-on to confirm with. Ask an "
                "HR admin of your organisation for help, or sign out and use “Forgot your "
                "password?” on the sign-in page: the link goes to your address."
            ),
            "organization": None,
        },
        status=403,
    )
