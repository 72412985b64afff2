"""The demo's single sign-on: acme signs in through a local OpenID Connect provider.

`make run` starts ``oidc-provider-mock`` on ``DEMO_ISSUER`` (http://127.0.0.1:9400) with one
predefined person, a new hire of acme who has no account yet; the demo claims acme's domain and
turns its single sign-on on (not SSO-only, so the demo passwords keep working). Only where
``SSO_ALLOW_INSECURE`` is on (DEBUG): a production site never gets a plain-HTTP provider."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from mentorship.identity.models import SingleSignOn
    from mentorship.models import Organization

DEMO_ISSUER = "http://127.0.0.1:9400"
DEMO_CLIENT_ID = "reverse-mentoring-demo"
DEMO_NEW_HIRE = {
    "sub": "new.hire@acme.example",
    "email": "new.hire@acme.example",
    "email_verified": True,
    "given_name": "Noor",
    "family_name": "Newhire",
    "department": "Data",
    "job_title": "Data analyst",
    "manager_email": "senior1@acme.example",
}


def demo_identity_provider_claims() -> str:
    """The ``--user-claims`` argument `make run` gives the local provider."""
    return json.dumps(DEMO_NEW_HIRE)


def seed_demo_sso(*, organization: Organization, domain: str) -> SingleSignOn | None:
    """Claim ``domain`` for the organisation and point its single sign-on at the local provider
    (idempotent). Runs inside the organisation's scope."""
    # Here, not at the top: `make run` reads the claims above before Django is set up.
    from mentorship.identity import secrets
    from mentorship.identity.models import ClaimedDomain, SingleSignOn

    if not settings.SSO_ALLOW_INSECURE:
        return None
    ClaimedDomain.objects.get_or_create(domain=domain, defaults={"organization": organization})
    mapping = {
        "email": "email",
        "first_name": "given_name",
        "last_name": "family_name",
        "department": "department",
        "title": "job_title",
        "manager_email": "manager_email",
    }
    sso, _ = SingleSignOn.objects.update_or_create(
        organization=organization,
        defaults={
            "provider_id": organization.slug,
            "protocol": SingleSignOn.Protocol.OIDC,
            "status": SingleSignOn.Status.LIVE,
            "issuer": DEMO_ISSUER,
            "client_id": DEMO_CLIENT_ID,
            "client_secret_encrypted": secrets.encrypt("demo-secret"),
            "new_people": SingleSignOn.NewPeople.PARTICIPANT,
            "attribute_mapping": mapping,
        },
    )
    return sso
