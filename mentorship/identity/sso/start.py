"""Starting a sign-in through an organisation's identity provider, from our own pages (home-realm
discovery, ``/o/<slug>/sso/``, the connection test).

allauth's provider builds the request (SAML ``AuthnRequest`` with its id stashed for
``InResponseTo``; OpenID Connect state, PKCE and our nonce) and stashes the state in the
session. Its answer is a redirect to the provider; we hand it to the browser as a page that
moves on by itself (and a link) instead: the sign-in page's ``form-action 'self'`` policy
would stop a browser from following a form submission's redirect to another site."""

from __future__ import annotations

import logging

import requests
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import AuthProcess
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from onelogin.saml2.errors import OneLogin_Saml2_Error

from mentorship.identity.models import SingleSignOn
from mentorship.identity.sso.adapter import ALLAUTH_PROVIDER

logger = logging.getLogger(__name__)


class ProviderUnreachable(Exception):
    """The provider could not be asked (its discovery document did not come, our configuration
    cannot be read): the caller says so instead of failing with a server error."""


def unreachable_page(request: HttpRequest, *, sso: SingleSignOn) -> HttpResponse:
    """What a person sees when their organisation's provider cannot be reached: 502 (the
    provider, not this site, failed), and the way in that still works."""
    return render(
        request,
        "identity/sso/unreachable.html",
        {"organization": sso.organization, "break_glass": sso.break_glass},
        status=502,
    )


def safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    """``candidate`` when it is a page of this site, else None (an absolute URL elsewhere, a
    scheme-relative one, a ``javascript:`` one)."""
    if candidate and get_account_adapter(request).is_safe_url(candidate):
        return candidate
    return None


def sign_in_start(
    request: HttpRequest, *, sso: SingleSignOn, next_url: str | None = None
) -> HttpResponse:
    """The response that sends the browser to ``sso``'s provider (which must be usable by this
    request: live, or the session testing it). Raises ``ProviderUnreachable``."""
    protocol = ALLAUTH_PROVIDER[SingleSignOn.Protocol(sso.protocol)]
    if protocol == "saml":
        provider = get_adapter(request).get_provider(
            request, provider="saml", client_id=sso.provider_id
        )
    else:
        provider = get_adapter(request).get_provider(request, provider=sso.provider_id)
    # python3-saml builds our URLs from the Host header, which HTTP/1.0 clients may omit: the
    # host Django accepted (ALLOWED_HOSTS) stands in for it.
    request.META.setdefault("HTTP_HOST", request.get_host())
    try:
        response = provider.redirect(
            request, process=AuthProcess.LOGIN, next_url=safe_next(request, next_url)
        )
    except (
        requests.RequestException,  # FetchRefused included: an address our fence refused
        OneLogin_Saml2_Error,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
    ) as exc:
        # ValueError: a stored secret no configured key decrypts (mentorship.identity.secrets),
        # or a discovery answer that is not JSON. KeyError, TypeError, AttributeError: allauth
        # reads the discovery document as it comes; one that changed since the save (no
        # endpoints, a list, a string) breaks it there.
        logger.warning("single sign-on of %s cannot start: %s", sso.provider_id, exc)
        raise ProviderUnreachable(str(exc)) from exc
    if not isinstance(response, HttpResponseRedirect):
        return response  # allauth's error page (e.g. the provider's discovery failed)
    return render(
        request,
        "identity/sso/continue.html",
        {"provider_url": response["Location"], "organization": sso.organization},
    )
