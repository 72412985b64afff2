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


@reauthentication_required
def _confirmed(request: HttpRequest) -> None:
    """Passes when allauth's rule is met; raises ``ReauthenticationRequired`` otherwise."""


def needs_reauthentication(request: HttpRequest) -> bool:
    try:
        _confirmed(request)
    except ReauthenticationRequired:
        return True
    return False


def reauthentication_context(request: HttpRequest) -> dict[str, Any]:
    """What a page's "confirm now" note needs (templates/identity/settings/_reauth_note.html)."""
    if not needs_reauthentication(request):
        return {"needs_reauthentication": False}
    return {
        "needs_reauthentication": True,
        "reauthentication_url": reauthentication_url(request, request.path),
    }


def reauthentication_url(request: HttpRequest, next_path: str) -> str:
    """Where this user confirms it is them (password, else second factor), then ``next_path``."""
    methods = get_adapter().get_reauthentication_methods(request.user)
    url = methods[0]["url"] if methods else reverse("account_login")
    return f"{url}?{urlencode({'next': next_path})}"


def reauthentication_redirect(request: HttpRequest) -> HttpResponse | None:
    """None when the session confirmed recently; else the confirmation, then back to this page
    (by GET: the change is submitted again, nothing was done)."""
    if request.method != "POST" or not needs_reauthentication(request):
        return None
    messages.warning(request, "Confirm it is you, then make the change again.")
    return redirect(reauthentication_url(request, request.path))


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
