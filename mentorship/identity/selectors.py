"""Reads of enterprise identity."""

from __future__ import annotations

from django.db.models import QuerySet

from mentorship.identity.models import ClaimedDomain, SingleSignOn
from mentorship.models import Membership, Organization, User
from mentorship.tenancy import across_all_organizations


def email_domain(email: str) -> str:
    """The lower-case domain of an address in its ASCII (IDNA) form, as claimed domains are
    stored ('' when there is none): anna@bücher.example is in xn--bcher-kva.example. A domain
    IDNA cannot encode is returned lower-cased (it matches no claim, which were all encoded)."""
    if "@" not in email:
        return ""
    return domain_ascii(email.rpartition("@")[2])


def domain_ascii(domain: str) -> str:
    domain = domain.strip().lower().rstrip(".")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def domain_owner(*, domain: str) -> Organization | None:
    """The organisation that claimed ``domain``, if any.

    Crosses organisations on purpose: a domain belongs to at most one, and the sign-in page
    must find it before anyone is signed in. Returns the organisation only, never its rows."""
    with across_all_organizations():
        claim = (
            ClaimedDomain.objects.select_related("organization")
            .filter(domain=domain_ascii(domain))
            .first()
        )
    return claim.organization if claim is not None else None


def sso_for_email(*, email: str) -> SingleSignOn | None:
    """The live single sign-on of the organisation that claimed the address's domain."""
    domain = email_domain(email)
    if not domain:
        return None
    with across_all_organizations():
        return (
            SingleSignOn.objects.select_related("organization")
            .filter(
                status=SingleSignOn.Status.LIVE,
                organization__in=ClaimedDomain.objects.filter(domain=domain).values("organization"),
            )
            .first()
        )


def sso_of_organization(*, organization: Organization) -> SingleSignOn | None:
    """The organisation's configuration (in any state), read in its scope."""
    return SingleSignOn.objects.filter(organization=organization).first()


def claimed_domains(*, organization: Organization) -> QuerySet[ClaimedDomain]:
    return ClaimedDomain.objects.filter(organization=organization).order_by("domain")


def is_claimed_by(*, organization: Organization, email: str) -> bool:
    """Whether the address is in one of the organisation's claimed domains."""
    domain = email_domain(email)
    return (
        bool(domain)
        and ClaimedDomain.objects.filter(organization=organization, domain=domain).exists()
    )


def account_is_elsewhere(*, user: User, organization: Organization) -> bool:
    """Whether an existing account may not be taken in by ``organization``'s directory on the
    strength of its address alone: an operator's account, or one with no membership here and
    an active one in another organisation. A domain claim is checked when it is made; this
    holds for people who arrive in the domain later.

    Crosses organisations on purpose (the other memberships decide); answers yes or no."""
    if user.is_staff or user.is_superuser:
        return True
    with across_all_organizations():
        memberships = Membership.objects.filter(user=user)
        if memberships.filter(organization=organization).exists():
            return False
        return memberships.filter(removed_at__isnull=True).exists()
