"""allauth's social-account adapter, per organisation.

allauth reads its apps (one per identity provider) from ``list_apps``. Here they are built from
each organisation's ``SingleSignOn`` on demand, never stored: secrets stay encrypted in our
table, and nothing lists every organisation's provider on the sign-in page (``list_apps``
without a provider or client id answers nothing).

``pre_social_login`` runs after allauth has checked the provider's answer (SAML signature,
audience, recipient, validity, ``InResponseTo``; OpenID Connect state, PKCE, ID token) and
before anyone is signed in. It refuses a replayed SAML assertion and an OpenID Connect answer
without our nonce, ends a connection test there (nobody is signed in by a test), and refuses,
unless the provider's account for this person is already linked, an address outside the
organisation's claimed domains and one the OpenID Connect provider says it did not verify.
allauth's own fetches from a provider go through a fenced session (``fetch``). What a
completed sign-in gives the person (just-in-time membership, directory attributes) is in
``receivers``."""

from __future__ import annotations

import logging
from typing import Any

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mentorship.identity import secrets
from mentorship.identity import selectors as identity_selectors
from mentorship.identity.mapping import map_attributes
from mentorship.identity.models import ClaimedDomain, SingleSignOn
from mentorship.identity.sso import selectors, services
from mentorship.identity.sso.fetch import guarded_session
from mentorship.identity.sso.providers import ASSERTION_KEY, MAPPING_SETTING, NONCE_STATE_KEY
from mentorship.models import Membership
from mentorship.tenancy import across_all_organizations, tenant_scope

logger = logging.getLogger(__name__)

# The session key naming the provider an HR admin is testing (its ``provider_id``): a draft
# configuration signs in only that session, and only to show what it received.
TESTING_SESSION_KEY = "sso_testing"
ALLAUTH_PROVIDER = {
    SingleSignOn.Protocol.SAML: "saml",
    SingleSignOn.Protocol.OIDC: "openid_connect",
}


def sso_for_app(*, provider: str | None, client_id: str | None) -> SingleSignOn | None:
    """The configuration allauth asks for: SAML by the client id in its URLs, OpenID Connect
    (and any social account, whose ``provider`` is the app's provider id) by its provider id.
    A bare "openid_connect" with a client id is not enough: client ids are the providers',
    not unique across organisations. Crosses organisations on purpose: the callback URL names
    the provider before anyone is signed in; it returns that one configuration only."""
    if provider == "saml" and client_id:
        lookup = {"provider_id": client_id, "protocol": SingleSignOn.Protocol.SAML}
    elif provider and provider not in ("saml", "openid_connect"):
        lookup = {"provider_id": provider}
    else:
        return None
    with across_all_organizations():
        return SingleSignOn.objects.select_related("organization").filter(**lookup).first()


def usable(request: HttpRequest | None, sso: SingleSignOn) -> bool:
    """Live for everyone; a draft or tested one only for the session testing it. Our SAML
    metadata is served in every state: the provider's admin imports it before anything can be
    tested, and it holds nothing secret (our entity ID, ACS URL and public certificate)."""
    if sso.is_live:
        return True
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "saml_metadata":
        return True
    return is_testing(request, sso)


def is_testing(request: HttpRequest | None, sso: SingleSignOn) -> bool:
    session = getattr(request, "session", None)
    return session is not None and session.get(TESTING_SESSION_KEY) == sso.provider_id


def social_app(request: HttpRequest | None, sso: SingleSignOn) -> SocialApp:
    """An unsaved allauth app for ``sso``, with its secrets decrypted for this request only."""
    with across_all_organizations():
        domains = list(
            ClaimedDomain.objects.filter(organization_id=sso.organization_id).values_list(
                "domain", flat=True
            )
        )
    common: dict[str, Any] = {
        # An address counts as verified, and may sign in to the account that has it, only in a
        # domain this organisation claimed: its provider speaks for those and no other.
        "verified_email": domains,
        "email_authentication": True,
        MAPPING_SETTING: dict(sso.attribute_mapping or {}),
    }
    if sso.protocol == SingleSignOn.Protocol.SAML:
        metadata_url = settings.SITE_URL + reverse(
            "saml_metadata", kwargs={"organization_slug": sso.provider_id}
        )
        return SocialApp(
            provider="saml",
            provider_id=sso.provider_id,
            client_id=sso.provider_id,
            name=sso.organization.name,
            settings={
                **common,
                "idp": {
                    "entity_id": sso.idp_entity_id,
                    "sso_url": sso.idp_sso_url,
                    "x509cert": sso.idp_certificate,
                },
                "sp": {"entity_id": metadata_url},
                "advanced": {
                    # Strict: python3-saml checks audience, destination, recipient, validity
                    # window and issuer, and refuses a response with no valid signature.
                    "strict": True,
                    "reject_idp_initiated_sso": True,
                    "x509cert": sso.sp_certificate,
                    "private_key": secrets.decrypt(sso.sp_private_key_encrypted),
                    "allow_single_label_domains": settings.SSO_ALLOW_INSECURE,
                    "reject_deprecated_algorithm": True,
                },
            },
        )
    return SocialApp(
        provider="openid_connect",
        provider_id=sso.provider_id,
        name=sso.organization.name,
        client_id=sso.client_id,
        secret=secrets.decrypt(sso.client_secret_encrypted),
        settings={**common, "server_url": sso.issuer, "oauth_pkce_enabled": True},
    )


def raw_attributes(sso: SingleSignOn, sociallogin: SocialLogin) -> dict[str, Any]:
    """What the provider said of the person: SAML attributes (name → values) or the ID token's
    claims overlaid with userinfo's."""
    extra = sociallogin.account.extra_data or {}
    if sso.protocol == SingleSignOn.Protocol.SAML:
        return {k: v for k, v in extra.items() if k != ASSERTION_KEY}
    return {**(extra.get("id_token") or {}), **(extra.get("userinfo") or {})}


def mapped_attributes(sso: SingleSignOn, sociallogin: SocialLogin) -> dict[str, Any]:
    return map_attributes(sso.attribute_mapping, raw_attributes(sso, sociallogin))


def _says_unverified(sociallogin: SocialLogin) -> bool:
    """Whether the ID token or userinfo says ``email_verified`` is false (some providers send
    the string "false"). A provider that says nothing is not taken to deny it: many (Entra)
    never send the claim, and the address must be in a claimed domain anyway."""
    extra = sociallogin.account.extra_data or {}
    for source in ("id_token", "userinfo"):
        claims = extra.get(source)
        if isinstance(claims, dict) and "email_verified" in claims:
            value = claims["email_verified"]
            if value is False or (isinstance(value, str) and value.strip().lower() == "false"):
                return True
    return False


class SignInRefused(Exception):
    """A provider's answer we do not accept: ``reason`` for the audit log, ``message`` for the
    person (who may be an attacker: it says what to do, not what was checked)."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message or _("Your organisation's identity provider could not sign you in.")


def refused_response(request: HttpRequest, sso: SingleSignOn | None, message: str) -> HttpResponse:
    return render(
        request,
        "identity/sso/refused.html",
        {"message": message, "organization": sso.organization if sso else None},
        status=403,
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        sso = sso_for_app(provider=provider, client_id=client_id)
        if sso is None or not usable(request, sso):
            return []
        return [social_app(request, sso)]

    def get_requests_session(self) -> requests.Session:
        """allauth fetches a provider's discovery document, token, userinfo and keys with this:
        fenced like the save of the issuer (``fetch``)."""
        return guarded_session()

    def is_email_verified(self, provider: Any, email: str) -> bool:
        """allauth's rule (an address in the app's ``verified_email`` domains), with domains
        compared in their ASCII (IDNA) form, as claimed domains are stored: allauth compares
        the address's domain as the provider sent it."""
        app = getattr(provider, "app", None)
        domains = app.settings.get("verified_email") if app is not None else None
        if isinstance(domains, list):
            return identity_selectors.email_domain(email) in domains
        return super().is_email_verified(provider, email)

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        sso = selectors.sso_for_provider_id(provider_id=sociallogin.provider.app.provider_id)
        if sso is None:  # its configuration was deleted mid-flight
            raise ImmediateHttpResponse(refused_response(request, None, SignInRefused("").message))
        testing = is_testing(request, sso)
        with tenant_scope(sso.organization):
            try:
                self._check_answer(sso, sociallogin)
                if testing:
                    raise ImmediateHttpResponse(self._end_test(request, sso, sociallogin))
                self._check_person(sso, sociallogin)
            except SignInRefused as refused:
                if testing:
                    raise ImmediateHttpResponse(
                        self._end_test(request, sso, sociallogin, error=refused.reason)
                    ) from refused
                logger.warning("Single sign-on refused (%s): %s", sso.provider_id, refused.reason)
                services.sign_in_refused_record(sso=sso, reason=refused.reason)
                raise ImmediateHttpResponse(
                    refused_response(request, sso, refused.message)
                ) from refused

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: dict | None = None,
    ) -> None:
        """A connection test that fails (the provider refused, or its answer did not pass our
        checks) returns to Settings with the reason; other failures get allauth's page."""
        app = getattr(provider, "app", None)
        sso = sso_for_app(provider=getattr(app, "provider_id", None), client_id=None)
        if sso is None or not is_testing(request, sso):
            return
        context = extra_context or {}
        reason = context.get("saml_last_error_reason") or (str(exception) if exception else "")
        request.session.pop(TESTING_SESSION_KEY, None)
        messages.error(
            request,
            _("The test did not sign in: %(reason)s") % {"reason": reason}
            if reason
            else _(
                "The test did not sign in: the identity provider answered with an error "
                "(%(error)s)."
            )
            % {"error": error},
        )
        raise ImmediateHttpResponse(
            redirect(reverse("sso_settings", kwargs={"org_slug": sso.organization.slug}))
        )

    # --- the checks ------------------------------------------------------------------------

    def _check_answer(self, sso: SingleSignOn, sociallogin: SocialLogin) -> None:
        """What allauth does not check of the exchange itself."""
        extra = sociallogin.account.extra_data or {}
        if sso.protocol == SingleSignOn.Protocol.SAML:
            assertion = extra.get(ASSERTION_KEY) or {}
            if not assertion.get("id"):
                raise SignInRefused("the SAML response carried no assertion id")
            if not services.assertion_consume(
                sso=sso,
                assertion_id=str(assertion["id"]),
                not_on_or_after=assertion.get("not_on_or_after"),
            ):
                raise SignInRefused(f"SAML assertion {str(assertion['id'])[:80]} was replayed")
        else:
            sent = sociallogin.state.get(NONCE_STATE_KEY)
            received = (extra.get("id_token") or {}).get("nonce")
            if not sent or sent != received:
                raise SignInRefused("the ID token did not carry the nonce of this sign-in")

    def _check_person(self, sso: SingleSignOn, sociallogin: SocialLogin) -> None:
        if not sso.is_live:
            raise SignInRefused("single sign-on is not live")
        if sociallogin.account.pk is not None:
            previous = getattr(sociallogin.account, "_previous_issuer", "")
            current = selectors.link_issuer(sociallogin.account.extra_data)
            if previous and current and previous != current:
                # Linked through the organisation's previous provider: its subject ids mean
                # nothing to this one. Forget the link; the next sign-in is matched by address.
                services.stale_link_forget(sso=sso, account_pk=sociallogin.account.pk)
                raise SignInRefused(
                    f"the account was linked through another provider ({previous[:80]})",
                    _(
                        "%(organization)s has changed its identity provider: sign in once more "
                        "to connect your account to the new one."
                    )
                    % {"organization": sso.organization.name},
                )
            # Linked before (same provider, same subject): the person is known to it, even if
            # their address has since moved out of the claimed domains.
            return
        if sso.protocol == SingleSignOn.Protocol.OIDC and _says_unverified(sociallogin):
            # Not linked yet, so the address decides which account this is: one the provider
            # itself did not verify (a self-service profile edit, a mutable claim) must adopt
            # no account and make none, whatever its domain.
            raise SignInRefused(
                "the provider said it had not verified the address (email_verified: false)",
                _(
                    "%(organization)s's identity provider has not verified your email address, "
                    "so it cannot sign you in here. Ask your IT team to verify it."
                )
                % {"organization": sso.organization.name},
            )
        email = (sociallogin.user.email if sociallogin.user else "") or ""
        if not email or not identity_selectors.is_claimed_by(
            organization=sso.organization, email=email
        ):
            domain = identity_selectors.email_domain(email) or "no address"
            raise SignInRefused(
                f"the address's domain ({domain}) is not one the organisation claimed",
                _(
                    "%(organization)s's identity provider vouched for an address outside "
                    "%(organization)s's domains, so it cannot sign you in here. Ask your IT team "
                    "to check the address your account sends."
                )
                % {"organization": sso.organization.name},
            )
        existing = sociallogin.user if sociallogin.user and sociallogin.user.pk else None
        if existing is not None and identity_selectors.account_is_elsewhere(
            user=existing, organization=sso.organization
        ):
            # Matched by address only, to an account that works elsewhere and not here (or an
            # operator's): a domain claim must not hand it to this organisation's provider.
            raise SignInRefused(
                "the address's account belongs to other organisations and not to this one",
                _(
                    "An account with this address already works with another organisation. Sign "
                    "in with it as before, and ask %(organization)s's HR team to invite it."
                )
                % {"organization": sso.organization.name},
            )

    def _end_test(
        self, request: HttpRequest, sso: SingleSignOn, sociallogin: SocialLogin, error: str = ""
    ) -> HttpResponse:
        """A connection test came back: nobody is signed in and no account changes; what was
        received is kept for the HR admin who started it, who returns to Settings."""
        request.session.pop(TESTING_SESSION_KEY, None)
        settings_url = reverse("sso_settings", kwargs={"org_slug": sso.organization.slug})
        user = request.user
        is_admin = (
            user.is_authenticated
            and Membership.objects.filter(
                organization=sso.organization, user=user, removed_at__isnull=True, is_hr_admin=True
            ).exists()
        )
        if not is_admin:
            return refused_response(request, sso, _("This connection test is not yours to finish."))
        if error:
            # Translators: %(reason)s is a technical reason, in English (as the audit log has it).
            messages.error(request, _("The test did not sign in: %(reason)s.") % {"reason": error})
            return redirect(settings_url)
        mapped = mapped_attributes(sso, sociallogin)
        services.sso_test_record(
            sso=sso,
            actor=user,
            subject=sociallogin.account.uid,
            received=raw_attributes(sso, sociallogin),
            mapped=mapped,
            claimed=bool(mapped["email"])
            and identity_selectors.is_claimed_by(
                organization=sso.organization, email=mapped["email"]
            ),
        )
        messages.success(request, _("The identity provider signed you in: here is what it sent."))
        return redirect(settings_url)
