"""Small helpers every app's views share (kernel: imports no app)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

if TYPE_CHECKING:
    from mentorship.models import Organization

PAGE_SIZE = 25
# The invitation a visitor opened before signing in (its token): after sign-up or sign-in, the
# home page sends them back to it.
PENDING_INVITATION_SESSION_KEY = "pending_invitation_token"


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data when the form was submitted, else None (an unbound form).

    Not ``request.POST or None``: an empty submission is falsy and would skip validation.
    """
    return request.POST if request.method == "POST" else None


def posted_number(request: HttpRequest, name: str, max_digits: int = 18) -> int | None:
    """A whole number posted as ``name`` (an id, a position), or None when it is not one.

    Not ``str.isdigit()``: it accepts "²", which ``int()`` refuses, and a 5,000-digit id would
    overflow the database's integer: both a 500 from a hand-made request. 18 digits fit a
    64-bit key; pass fewer for a 32-bit column."""
    value = request.POST.get(name, "")
    return int(value) if re.fullmatch(rf"[0-9]{{1,{max_digits}}}", value) else None


def client_ip(request: HttpRequest | None) -> str | None:
    """The address recorded with a sign-in or an audit event.

    REMOTE_ADDR, unless the operator says how many proxies of theirs stand in front
    (``TRUSTED_PROXY_COUNT``, which allauth's rate limits read too): then the address the
    nearest of them saw, counted from the right of X-Forwarded-For, since what lies further
    left is whatever the client wrote. A header shorter than that count is not believed.
    """
    if request is None:
        return None
    trusted = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    forwarded = [ip.strip() for ip in request.headers.get("x-forwarded-for", "").split(",")]
    if trusted > 0 and len(forwarded) >= trusted:
        try:
            return str(ipaddress.ip_address(forwarded[-trusted]))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def render_page_or_partial(
    request: HttpRequest, page: str, partial: str, context: dict
) -> HttpResponse:
    """The fragment for htmx swaps; the whole page otherwise, including when htmx restores
    history (back button) and needs a full document. Caches keep the two apart."""
    wants_partial = bool(request.htmx) and not request.htmx.history_restore_request
    response = render(request, partial if wants_partial else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def error_text(exc: ValidationError) -> str:
    """Every message of a refused write, in order, as one line for a page, a flash message or a
    command's error (a ``ValidationError`` may carry several)."""
    return " ".join(exc.messages)


def absolute_url(path: str) -> str:
    """The full address of a path of this site, for emails and calendar files."""
    return f"{settings.SITE_URL}{path}"


def tenant_url(organization: Organization, name: str, **kwargs: Any) -> str:
    """The path of an organisation's page, for links stored in notifications and emails: from the
    URL's name, so a moved page cannot leave a stale hand-built ``/o/…`` link behind."""
    return reverse(name, kwargs={"org_slug": organization.slug, **kwargs})


def confirm_then_act(
    request: HttpRequest,
    *,
    template: str,
    context: dict[str, Any],
    act: Callable[[], HttpResponse],
) -> HttpResponse:
    """The page that asks before an action that cannot be taken back, and the action.

    GET shows ``template``; POST calls ``act`` (a service call and the response after it). A
    refused action (``ValidationError``; the service's transaction has written nothing) shows the
    page again with the reason in ``error``.
    """
    error = ""
    if request.method == "POST":
        try:
            return act()
        except ValidationError as exc:
            error = error_text(exc)
    return render(request, template, {**context, "error": error})
