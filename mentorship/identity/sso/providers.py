"""allauth's SAML provider, keeping what replay protection needs.

allauth checks the response (signature, audience, recipient, validity window, ``InResponseTo``
against the state it stashed) but not whether the same assertion was used before. This
subclass adds the assertion's id and ``NotOnOrAfter`` to the login's extra data; the adapter's
``pre_social_login`` records the id once and refuses a second use."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.providers.saml.provider import SAMLProvider as AllauthSAMLProvider

ASSERTION_KEY = "_assertion"


class SAMLProvider(AllauthSAMLProvider):
    def extract_extra_data(self, data: Any) -> dict[str, Any]:
        extra = dict(super().extract_extra_data(data))
        extra[ASSERTION_KEY] = {
            "id": data.get_last_assertion_id(),
            "not_on_or_after": data.get_last_assertion_not_on_or_after(),
        }
        return extra


provider_classes = [SAMLProvider]
