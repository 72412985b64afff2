"""Reads of single sign-on sign-ins: which configuration a provider id names, which applies to
an address, and the policies (SSO-only, break-glass, the provider's second factor)."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.models import SocialAccount

from mentorship.identity import selectors as identity_selectors
from mentorship.identity.models import SingleSignOn
from mentorship.models import Membership, Organization, User
from mentorship.tenancy import across_all_organizations, tenant_scope

# The factors allauth asks for at sign-in (its MFA stage): recovery codes alone are never asked.
SIGN_IN_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def sso_for_provider_id(*, provider_id: str) -> SingleSignOn | None:
    """The configuration behind an allauth app or a social account (its ``provider_id``).

    Crosses organisations on purpose: a sign-in coming back names its provider before anyone is
    signed in; the id is unique, so it returns that one configuration only."""
    with across_all_organizations():
        return (
            SingleSignOn.objects.select_related("organization")
            .filter(provider_id=provider_id)
            .first()
        )


def live_sso_of_slug(*, slug: str) -> SingleSignOn | None:
    """The live configuration of the organisation with this slug (None for an unknown slug and
    for one without live single sign-on alike). Crosses organisations on purpose: the visitor
    is not signed in, and the slug is all there is."""
    with across_all_organizations():
        return (
            SingleSignOn.objects.select_related("organization")
            .filter(organization__slug=slug, status=SingleSignOn.Status.LIVE)
            .first()
        )


def sso_only_for_email(*, email: str) -> SingleSignOn | None:
    """The live, SSO-only configuration that speaks for this address, if any."""
    sso = identity_selectors.sso_for_email(email=email)
    return sso if sso is not None and sso.sso_only else None


def sso_only_for_account(*, user: User) -> SingleSignOn | None:
    """The live, SSO-only configuration that speaks for any of the account's addresses (its
    verified allauth addresses and ``User.email``): the policy binds the person, so a personal
    address added to the account is no way around it. An address added but never verified
    proves nothing of the person, and counting it would let a typo lock an account out."""
    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    emails = {user.email, *verified}
    for email in sorted(e for e in emails if e):
        sso = sso_only_for_email(email=email)
        if sso is not None:
            return sso
    return None


def live_sso_linked_to(*, user: User) -> list[SingleSignOn]:
    """The live configurations of the organisations ``user`` is an active member of, whose
    provider their account is linked to: where they can sign in again to prove it is them
    (``step_up``). Ordered by organisation name, so the first is stable.

    Crosses organisations on purpose: the account pages (``/accounts/``) belong to no
    organisation, and a person may belong to several; only their own memberships and links
    count, so nothing of an organisation they are not in comes back."""
    with across_all_organizations():
        live = {
            sso.provider_id: sso
            for sso in SingleSignOn.objects.select_related("organization").filter(
                status=SingleSignOn.Status.LIVE,
                organization_id__in=Membership.objects.filter(
                    user=user, removed_at__isnull=True
                ).values("organization_id"),
            )
        }
    linked = set(
        SocialAccount.objects.filter(user=user, provider__in=list(live)).values_list(
            "provider", flat=True
        )
    )
    return sorted(
        (sso for provider_id, sso in live.items() if provider_id in linked),
        key=lambda sso: sso.organization.name,
    )


def break_glass_allowed(*, sso: SingleSignOn, user: User | None) -> bool:
    """Whether ``user`` may still sign in with a password despite SSO-only: the organisation
    keeps break-glass on, they are an active HR admin of it, and their account has a second
    factor that allauth will ask for after the password."""
    if user is None or not sso.break_glass:
        return False
    with tenant_scope(sso.organization):
        is_hr_admin = Membership.objects.filter(
            organization=sso.organization, user=user, removed_at__isnull=True, is_hr_admin=True
        ).exists()
    return is_hr_admin and is_mfa_enabled(user, SIGN_IN_FACTORS)


def idp_second_factor_accepted(*, organization: Organization, provider_ids: Iterable[str]) -> bool:
    """Whether one of the providers this session signed in through is ``organization``'s own,
    live, with the policy "accept the identity provider's second factor" on."""
    ids = [p for p in provider_ids if p]
    if not ids:
        return False
    with tenant_scope(organization):
        return SingleSignOn.objects.filter(
            organization=organization,
            provider_id__in=ids,
            status=SingleSignOn.Status.LIVE,
            accept_idp_mfa=True,
        ).exists()


def link_issuer(extra_data: object) -> str:
    """Which provider a social account's data came from: the ID token's ``iss`` (OpenID
    Connect), the IdP entity ID the SAML response was checked against; '' when unknown."""
    if not isinstance(extra_data, dict):
        return ""
    token = extra_data.get("id_token")
    if isinstance(token, dict) and token.get("iss"):
        return str(token["iss"])
    assertion = extra_data.get("_assertion")
    if isinstance(assertion, dict) and assertion.get("idp"):
        return str(assertion["idp"])
    return ""


def stored_link_issuer(*, pk: int) -> str:
    """The issuer of a social account as stored, before a save replaces its data."""
    stored = SocialAccount.objects.filter(pk=pk).values_list("extra_data", flat=True).first()
    return link_issuer(stored)
