"""Which language a person reads: on pages (the request's) and in what is sent to them (the
recipient's, also from Celery workers).

Order, for a request: the person's own setting (profile) → the browser's ``Accept-Language`` →
the organisation's default (an HR setting, once the URL names an organisation) → English.
For a recipient: their own setting → the browser language recorded at their last sign-in → the
organisation's default → English. URLs carry no language prefix, so links in emails work in
every language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import trans_real

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from mentorship.models import Organization, User

DEFAULT_LANGUAGE: str = settings.LANGUAGE_CODE


def supported(code: str | None) -> str | None:
    """The supported language for ``code`` ("fr-CA" → "fr"), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def browser_language(request: HttpRequest) -> str | None:
    """The first supported language of the browser's ``Accept-Language``, or None (not the
    site default: the caller decides what comes next)."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        found = supported(code)
        if found:
            return found
    return None


def cookie_language(request: HttpRequest) -> str | None:
    return supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))


def language_for(user: User | None, organization: Organization | None = None) -> str:
    """The language to write to ``user`` in (emails, notifications, invitations)."""
    for code in (
        getattr(user, "language", "") if user is not None else "",
        getattr(user, "browser_language", "") if user is not None else "",
        getattr(organization, "default_language", "") if organization is not None else "",
    ):
        found = supported(code)
        if found:
            return found
    return DEFAULT_LANGUAGE


@contextmanager
def recipient_language(
    user: User | None, organization: Organization | None = None
) -> Iterator[str]:
    """Compose what is sent to ``user`` inside this block: gettext, date formats and templates
    then speak the recipient's language, whoever (or whichever worker) sends it."""
    language = language_for(user, organization)
    with translation.override(language):
        yield language


def in_language(text: Any, language: str) -> str:
    """``str(text)`` in ``language``: resolves lazy translations (``gettext_lazy``,
    ``format_lazy``) for a recipient rather than for whoever triggered the send."""
    with translation.override(language):
        return str(text)


class LanguageMiddleware:
    """Activates the reader's language for the request. Runs after authentication; the tenancy
    middleware applies the organisation's default where this finds nothing better
    (:func:`apply_organization_default`). Responses vary on ``Accept-Language`` and ``Cookie``
    (the session and the anonymous language cookie), so no cache serves a page, or an htmx
    partial, in someone else's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = None
        if user is not None and user.is_authenticated:
            chosen = supported(getattr(user, "language", ""))
        chosen = chosen or cookie_language(request) or browser_language(request)
        request.language_chosen = chosen is not None  # type: ignore[attr-defined]
        language = chosen or DEFAULT_LANGUAGE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        translation.deactivate()
        return response


def apply_organization_default(request: HttpRequest, organization: Organization) -> None:
    """Inside an organisation, its default language stands in for a person with no setting
    and no supported browser language."""
    if getattr(request, "language_chosen", True):
        return
    language = supported(organization.default_language)
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
