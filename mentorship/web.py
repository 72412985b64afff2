"""Small helpers every app's views share (kernel: imports no app)."""

from __future__ import annotations

import re

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

PAGE_SIZE = 25


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

    REMOTE_ADDR only: a forwarded header is trivially forged unless a trusted proxy sets it.
    """
    return request.META.get("REMOTE_ADDR") if request is not None else None


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
