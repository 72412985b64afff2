"""allauth's SAML and OpenID Connect providers, with what per-organisation single sign-on needs
(registered through ``SOCIALACCOUNT_PROVIDERS[...]["provider_class"]``).

SAML: allauth checks the response (signature, audience, recipient, validity window,
``InResponseTo`` against the state it stashed) but not whether the same assertion was used
before. This subclass adds the assertion's id and ``NotOnOrAfter`` to the login's extra data;
the adapter's ``pre_social_login`` records the id once and refuses a second use. Email and
names come from the organisation's own mapping (``mentorship.identity.mapping``).

OpenID Connect: allauth sends state and (configured per app) PKCE, but no ``nonce``. This
subclass sends one, keeps it in the login's stashed state, and the adapter refuses an ID token
that does not carry it back. An address counts as verified only in the organisation's claimed
domains (allauth's ``verified_email`` list); one the provider says it did not verify
(``email_verified: false``) is refused by the adapter.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider as AllauthOpenIDConnectProvider,
)
from allauth.socialaccount.providers.saml.provider import SAMLProvider as AllauthSAMLProvider
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import get_random_string

from mentorship.identity.mapping import map_attributes

ASSERTION_KEY = "_assertion"
# Where the nonce sent with the authorisation request is kept in allauth's stashed state.
NONCE_STATE_KEY = "oidc_nonce"
# The app setting holding the organisation's mapping (profile field → attribute or claim).
MAPPING_SETTING = "profile_mapping"
_EMAIL_NAMEID = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
_SUBJECT_ID = "urn:oasis:names:tc:SAML:attribute:subject-id"


class SAMLProvider(AllauthSAMLProvider):
    # allauth mounts a provider's URLs from its package's "urls" module: allauth's, not ours.
    package = "allauth.socialaccount.providers.saml"

    def extract_extra_data(self, data: Any) -> dict[str, Any]:
        extra = dict(super().extract_extra_data(data))
        extra[ASSERTION_KEY] = {
            "id": data.get_last_assertion_id(),
            "not_on_or_after": data.get_last_assertion_not_on_or_after(),
            # The identity provider the response was checked against: a link made through one
            # provider must not open for another (see the adapter's _check_person).
            "idp": data.get_settings().get_idp_data().get("entityId", ""),
        }
        return extra

    def _extract(self, data: Any) -> dict[str, Any]:
        raw = data.get_attributes()
        mapped = map_attributes(self.app.settings.get(MAPPING_SETTING), raw)
        found: dict[str, Any] = {
            key: mapped[key] for key in ("email", "first_name", "last_name") if mapped[key]
        }
        subject = raw.get(_SUBJECT_ID)
        if subject:
            found["uid"] = subject[0]
        if not found.get("email") and data.get_nameid_format() == _EMAIL_NAMEID:
            found["email"] = (data.get_nameid() or "").strip().lower() or None
        return found


class OpenIDConnectProvider(AllauthOpenIDConnectProvider):
    package = "allauth.socialaccount.providers.openid_connect"

    def redirect(
        self,
        request: HttpRequest,
        process: str,
        next_url: str | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> HttpResponse:
        nonce = get_random_string(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params["nonce"] = nonce
        # Stashed with the state (in the session), so only this browser's callback matches it.
        kwargs[NONCE_STATE_KEY] = nonce
        return super().redirect(
            request, process, next_url=next_url, data=data, auth_params=auth_params, **kwargs
        )

    def claims(self, data: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, overlaid with userinfo's (which may carry more)."""
        return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}

    def extract_common_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        common = super().extract_common_fields(data)
        mapped = map_attributes(self.app.settings.get(MAPPING_SETTING), self.claims(data))
        for key in ("email", "first_name", "last_name"):
            common[key] = mapped[key]
        return common

    def extract_email_addresses(self, data: dict[str, Any]) -> list[EmailAddress]:
        email = map_attributes(self.app.settings.get(MAPPING_SETTING), self.claims(data))["email"]
        if not email:
            return []
        # Not the provider's email_verified (a "true" is not enough): allauth then marks it
        # verified only in a domain the organisation claimed (the app's verified_email list);
        # an explicit "false" is refused before that (the adapter's pre_social_login).
        return [EmailAddress(email=email, verified=False, primary=True)]

    def serialize(self) -> dict[str, Any]:
        # allauth keys a serialised provider by its client id, which is not unique across
        # organisations; the provider id is (a login paused for the second factor resumes it).
        return {"id": self.app.provider_id}
