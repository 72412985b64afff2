"""Signing in through an organisation's identity provider: home-realm discovery (``/sso/``, the
person types their address) and ``/o/<slug>/sso/`` (a link that names the organisation). Both
are outside any organisation's pages: nobody is signed in yet."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from mentorship.identity import selectors as identity_selectors
from mentorship.identity.sso import selectors
from mentorship.identity.sso.forms import DiscoveryForm
from mentorship.identity.sso.start import (
    ProviderUnreachable,
    safe_next,
    sign_in_start,
    unreachable_page,
)
from mentorship.web import posted

NO_SSO_MESSAGE = "No single sign-on for this address: sign in with your password."


@require_http_methods(["GET", "POST"])
def sso_discover(request: HttpRequest) -> HttpResponse:
    """An address in a domain whose organisation has live single sign-on goes to its provider;
    any other address gets the same message, so the page tells nothing of who owns a domain
    beyond what the provider's own page shows."""
    form = DiscoveryForm(posted(request), initial={"email": request.GET.get("email", "")})
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if form.is_valid():
        sso = identity_selectors.sso_for_email(email=form.cleaned_data["email"])
        if sso is not None:
            try:
                return sign_in_start(request, sso=sso, next_url=next_url)
            except ProviderUnreachable:
                return unreachable_page(request, sso=sso)
        form.add_error("email", NO_SSO_MESSAGE)
    return render(request, "identity/sso/discover.html", {"form": form, "next": next_url or ""})


@require_http_methods(["GET", "POST"])
def sso_start(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's own way in. An unknown slug and an organisation without live single
    sign-on are the same 404. GET shows a button (allauth starts a sign-in only on POST, so a
    link or an image elsewhere cannot start one)."""
    sso = selectors.live_sso_of_slug(slug=slug)
    if sso is None:
        raise Http404("No single sign-on here")
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        try:
            return sign_in_start(request, sso=sso, next_url=next_url)
        except ProviderUnreachable:
            return unreachable_page(request, sso=sso)
    return render(
        request,
        "identity/sso/start.html",
        {"organization": sso.organization, "next": next_url or ""},
    )
