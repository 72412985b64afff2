"""Signing in through an organisation's identity provider: home-realm discovery (``/sso/``, the
person types their address) and ``/o/<slug>/sso/`` (a link that names the organisation). Both
are outside any organisation's pages: nobody is signed in yet.

Three of allauth's SAML pages are shadowed here (our routes come before ``accounts/``):

- the ACS's second step (``acs/finish/``), which parses the SAML response: one that is not
  XML, is empty, or carries a DTD makes python3-saml raise what allauth does not catch. It is
  answered as any failed sign-in, not a server error anyone could cause at will;
- single logout (``sls/``): allauth's answers an unsigned, forgeable ``LogoutRequest`` by
  signing the visitor out (a link or an image elsewhere would do it), so there is none;
- our metadata (``metadata/``), which then must not advertise it: allauth's, without the
  ``SingleLogoutService`` (an IdP would otherwise send its logouts to a 404)."""

from __future__ import annotations

import binascii
import logging

from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.openid_connect import views as allauth_oidc
from allauth.socialaccount.providers.saml import views as allauth_saml
from allauth.socialaccount.providers.saml.utils import build_saml_config, get_app_or_404
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from lxml import etree
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden, NotSupportedError

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

logger = logging.getLogger(__name__)

NO_SSO_MESSAGE = gettext_lazy("No single sign-on for this address: sign in with your password.")
# What python3-saml raises on a response it cannot read (its hardened parser refuses a DTD and
# entities; base64 that is not). ValueError last: the others are its subclasses but for lxml's.
UNREADABLE_SAML = (
    DTDForbidden,
    EntitiesForbidden,
    NotSupportedError,
    etree.XMLSyntaxError,
    binascii.Error,
    ValueError,
)


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


def saml_finish_acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's ``finish_acs``, with an unreadable SAML response refused like an altered one
    (allauth's "Single sign-on failed" page; a connection test returns to Settings with it).
    Logged as a warning, not an error: anyone can send one, and it should page nobody."""
    try:
        return allauth_saml.finish_acs(request, organization_slug=organization_slug)
    except UNREADABLE_SAML as exc:
        logger.warning("Unreadable SAML response for %s: %r", organization_slug, exc)
        provider = get_app_or_404(request, organization_slug).get_provider(request)
        return render_authentication_error(
            request,
            provider,
            exception=exc,
            extra_context={
                "saml_errors": ["invalid_response"],
                # Translators: completes "The test did not sign in: …" (a connection test).
                "saml_last_error_reason": _("the SAML response could not be read"),
            },
        )


def oidc_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OpenID Connect callback, with a provider whose discovery document changed
    since the sign-in started (an endpoint missing, not a JSON object) answered like one that
    cannot be reached (502), not a server error. allauth catches network errors only."""
    try:
        return allauth_oidc.callback(request, provider_id=provider_id)
    except (KeyError, TypeError, AttributeError) as exc:
        sso = selectors.sso_for_provider_id(provider_id=provider_id)
        if sso is None:
            raise
        logger.warning("Unusable answer from the provider of %s", provider_id, exc_info=exc)
        return unreachable_page(request, sso=sso)


def saml_single_logout(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """No single logout: our metadata offers none, and allauth's would act on a forged,
    unsigned request. People sign out here; their provider's session is its own."""
    raise Http404("No single logout")


def saml_metadata(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's SP metadata without single logout (there is none, see above). Served in every
    state of the configuration (``adapter.usable``): the IdP's admin imports it first."""
    provider = get_app_or_404(request, organization_slug).get_provider(request)
    config = build_saml_config(request, provider.app.settings, organization_slug)
    config["sp"].pop("singleLogoutService", None)
    saml_settings = OneLogin_Saml2_Settings(settings=config, sp_validation_only=True)
    metadata = saml_settings.get_sp_metadata()
    errors = saml_settings.validate_metadata(metadata)
    if errors:  # as allauth answers: our own configuration is broken, not the visitor's doing
        return JsonResponse({"errors": errors}, status=500)
    return HttpResponse(content=metadata, content_type="text/xml")
