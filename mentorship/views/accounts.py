"""The person's own account pages beside allauth's: their sign-ins and their language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from mentorship import selectors, services
from mentorship.forms import LanguageForm
from mentorship.web import paginate


@require_GET
@login_required
def sign_ins(request: HttpRequest) -> HttpResponse:
    """The signed-in person's sign-ins and failed attempts on their account, with addresses.

    Theirs alone: no organisation sees them (it records only that they entered it)."""
    page = paginate(request, selectors.sign_ins_of_user(user=request.user))
    return render(request, "mentorship/sign_ins.html", {"page": page})


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the reader's language and come back to the same page.

    Signed in, it is the profile setting (emails follow it too); signed out, a cookie. From
    htmx, a full refresh: swapping one partial would leave a page in two languages."""
    form = LanguageForm(request.POST)
    language = form.cleaned_data["language"] if form.is_valid() else None
    target = (request.POST.get("next") or request.headers.get("referer") or "/").strip()
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response: HttpResponse = (
        HttpResponseClientRefresh() if request.htmx else HttpResponseRedirect(target)
    )
    if language is None:
        return response
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=language)
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response
