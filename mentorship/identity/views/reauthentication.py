"""Recent re-authentication before a change of identity settings.

allauth's ``reauthentication_required`` decides (a password or second factor confirmed within
``ACCOUNT_REAUTHENTICATION_TIMEOUT``, 300 s here; a sign-in alone does not count). What it does
next does not fit these pages, so it is not left to allauth's middleware: that middleware
stashes the POST in the session and, after the confirmation, replays it to the view from
``/accounts/reauthenticate/``, outside ``/o/<slug>/``: with no membership and no tenant scope
the replay would answer 404, and the stash would keep a pasted client secret in the session
meanwhile. Here the person confirms, comes back to the page, and submits again.

Pages are viewed freely; a page with forms offers "confirm now" (``needs_reauthentication``) so
a long form is not typed twice.

An account with no password and no second factor (made by single sign-on) has nothing for
allauth to re-check, and allauth then counts it as recently re-authenticated for ever: a stolen
session cookie would mint SCIM tokens hours later. For such an account, only a sign-in through
the organisation's live single sign-on within ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` counts
(allauth records one per session: method "socialaccount", the provider and the time);
re-authenticating means signing in through that provider again (``sso_start``). Without live
single sign-on there is no way to confirm, and the change is refused until a password is set.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.decorators import reauthentication_required
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from mentorship.identity import selectors as identity_selectors
from mentorship.identity.models import SingleSignOn
from mentorship.identity.sso.step_up import recently_signed_in_through


@reauthentication_required
def _confirmed(request: HttpRequest) -> None:
    """Passes when allauth's rule is met; raises ``ReauthenticationRequired`` otherwise."""


def _has_reauthentication_methods(request: HttpRequest) -> bool:
    """A password or a second factor: something allauth can ask for again. The password first:
    it is on the user row, where the second factors cost a query per kind."""
    if request.user.has_usable_password():
        return True
    return bool(get_adapter().get_reauthentication_methods(request.user))


def _live_sso(request: HttpRequest) -> SingleSignOn | None:
    organization = getattr(request, "organization", None)
    if organization is None:
        return None
    sso = identity_selectors.sso_of_organization(organization=organization)
    return sso if sso is not None and sso.status == SingleSignOn.Status.LIVE else None


def needs_reauthentication(request: HttpRequest) -> bool:
    if not _has_reauthentication_methods(request):
        # allauth would pass such an account unconditionally (see the module's docstring).
        return not recently_signed_in_through(request, _live_sso(request))
    try:
        _confirmed(request)
    except ReauthenticationRequired:
        return True
    return False


def reauthentication_context(request: HttpRequest) -> dict[str, Any]:
    """What a page's "confirm now" note needs (templates/identity/settings/_reauth_note.html).
    ``reauthentication_url`` is None when there is no way to confirm (no password, no second
    factor, no live single sign-on): the note then says to set a password."""
    if not needs_reauthentication(request):
        return {"needs_reauthentication": False}
    return {
        "needs_reauthentication": True,
        "reauthentication_url": reauthentication_url(request, request.path),
    }


def reauthentication_url(request: HttpRequest, next_path: str) -> str | None:
    """Where this user confirms it is them (password, else second factor, else a sign-in
    through the organisation's live single sign-on), then ``next_path``; None when nowhere."""
    methods = get_adapter().get_reauthentication_methods(request.user)
    if methods:
        url = methods[0]["url"]
    else:
        sso = _live_sso(request)
        if sso is None:
            return None
        url = reverse("sso_start", kwargs={"slug": sso.organization.slug})
    return f"{url}?{urlencode({'next': next_path})}"


def reauthentication_redirect(request: HttpRequest) -> HttpResponse | None:
    """None when the session confirmed recently; else the confirmation, then back to this page
    (by GET: the change is submitted again, nothing was done)."""
    if request.method != "POST" or not needs_reauthentication(request):
        return None
    url = reauthentication_url(request, request.path)
    if url is None:
        messages.error(
            request,
            _(
                "This change needs you to confirm it is you, and your account has no password or "
                "second factor to confirm with (and single sign-on is not live). Set a password "
                "under Account first, then make the change again."
            ),
        )
        return redirect(request.path)
    messages.warning(request, _("Confirm it is you, then make the change again."))
    return redirect(url)


def changes_need_reauthentication(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """POSTs to ``view`` need a recent re-authentication. Views that fetch an object from the
    URL call ``reauthentication_redirect`` after the fetch instead, so another organisation's
    id answers 404 whether or not the session confirmed."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return reauthentication_redirect(request) or view(request, *args, **kwargs)

    return wrapper
