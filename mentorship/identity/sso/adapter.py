"""allauth's social-account adapter, per organisation.

allauth reads its apps (one per identity provider) from ``list_apps``. Here they are built from
each organisation's ``SingleSignOn`` on demand, never stored: secrets stay encrypted in our
table, and nothing lists every organisation's provider on the sign-in page (``list_apps``
without a provider or client id answers nothing)."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from mentorship.identity import secrets
from mentorship.identity.models import ClaimedDomain, SingleSignOn
from mentorship.tenancy import across_all_organizations

# The session key naming the provider an HR admin is testing (its ``provider_id``): a draft
# configuration signs in only that session, and only to show what it received.
TESTING_SESSION_KEY = "sso_testing"
ALLAUTH_PROVIDER = {
    SingleSignOn.Protocol.SAML: "saml",
    SingleSignOn.Protocol.OIDC: "openid_connect",
}


def sso_for_app(*, provider: str | None, client_id: str | None) -> SingleSignOn | None:
    """The configuration allauth asks for: SAML by the client id in its URLs, OpenID Connect by
    its provider id. Crosses organisations on purpose: the callback URL names the provider
    before anyone is signed in; it returns that one configuration only."""
    if provider == "saml" and client_id:
        lookup = {"provider_id": client_id, "protocol": SingleSignOn.Protocol.SAML}
    elif provider and provider not in ("saml", "openid_connect"):
        lookup = {"provider_id": provider, "protocol": SingleSignOn.Protocol.OIDC}
    else:
        return None
    with across_all_organizations():
        return SingleSignOn.objects.select_related("organization").filter(**lookup).first()


def usable(request: HttpRequest | None, sso: SingleSignOn) -> bool:
    """Live for everyone; a draft or tested one only for the session testing it."""
    if sso.is_live:
        return True
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
                "attribute_mapping": saml_attribute_mapping(sso),
                "advanced": {
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


def saml_attribute_mapping(sso: SingleSignOn) -> dict[str, list[str]]:
    """allauth's mapping (email, first and last name) from ours; the profile fields matching
    reads (department, title, manager, level) are read from the raw attributes by the adapter."""
    mapping: dict[str, list[str]] = {}
    for field in ("email", "first_name", "last_name"):
        name = (sso.attribute_mapping or {}).get(field)
        if name:
            mapping[field] = [name]
    return mapping


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        sso = sso_for_app(provider=provider, client_id=client_id)
        if sso is None or not usable(request, sso):
            return []
        return [social_app(request, sso)]
