"""Reads of the identity settings pages (HR admins), inside the organisation's scope.

An object named in a URL is fetched within the scope: another organisation's id is a 404, the
same as a missing one. One read crosses organisations on purpose (``domain_has_people_elsewhere``,
for a self-claim of a domain) and answers only yes or no."""

from __future__ import annotations

import contextlib

from allauth.account.models import EmailAddress
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from mentorship.identity.models import ClaimedDomain, ScimGroup, ScimToken
from mentorship.models import Membership, Organization, User
from mentorship.tenancy import across_all_organizations

# Free mail brands, by the label an address's domain is registered under (hotmail in
# hotmail.co.uk, gmx in gmx.at): providers run the same brand under many country domains, so a
# list of exact domains always misses some, and whoever claimed one would speak for strangers.
PUBLIC_MAIL_BRANDS = frozenset(
    {
        "gmail", "googlemail", "hotmail", "outlook", "live", "msn", "windowslive", "passport",
        "yahoo", "ymail", "rocketmail", "aol", "aim", "icloud", "me", "mac", "gmx", "web",
        "mail", "email", "inbox", "yandex", "ya", "rambler", "proton", "protonmail", "pm",
        "zoho", "zohomail", "tutanota", "tuta", "tutamail", "fastmail", "hey", "btinternet",
        "virginmedia", "ntlworld", "talktalk", "orange", "free", "sfr", "laposte", "wanadoo",
        "t-online", "freenet", "arcor", "libero", "virgilio", "tiscali", "qq", "163", "126",
        "yeah", "sina", "sohu", "naver", "daum", "hanmail", "rediffmail", "seznam", "onet",
        "interia", "bigpond", "optusnet", "sympatico", "sbcglobal", "bellsouth", "earthlink",
        "juno", "netzero", "lycos", "hushmail", "mailfence", "disroot", "posteo", "runbox",
    }
)  # fmt: skip
# The second-level labels under which country domains sell names (co.uk, com.au, co.jp, ne.jp):
# under a two-letter country code, the registrable label is the one before these.
_SECOND_LEVELS = frozenset(
    {"co", "com", "net", "org", "ne", "or", "ac", "gov", "edu", "ltd", "plc", "gen", "biz"}
)


def registrable_label(domain: str) -> str:
    """The label a domain is registered under: ``hotmail`` for mail.hotmail.co.uk."""
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVELS:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]


def is_public_mail_domain(domain: str) -> bool:
    """Whether anyone can get an address in ``domain`` (a free mail brand's domain)."""
    return registrable_label(domain) in PUBLIC_MAIL_BRANDS


def idna_domain(domain: str) -> str:
    """The ASCII (IDNA) form in which claimed domains are stored; as typed when it has none."""
    domain = domain.strip().lower().rstrip(".")
    try:
        return domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return domain


def verified_domains(*, user: User) -> set[str]:
    """The domains (IDNA form) of ``user``'s verified email addresses."""
    emails = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return {idna_domain(e.rpartition("@")[2]) for e in emails}


def domain_has_people_elsewhere(*, domain: str, organization: Organization) -> bool:
    """Whether an address in ``domain`` (an allauth address or a user's own) belongs to an
    active member of another organisation.

    Crosses organisations on purpose: an HR admin's self-claim must not make their identity
    provider speak for another organisation's people, and only the other organisations'
    memberships can tell. Answers yes or no, never who or where."""
    forms = {domain}
    with contextlib.suppress(UnicodeError):  # not IDNA: the typed form is the only one
        forms.add(domain.encode("ascii").decode("idna"))  # addresses may be kept in Unicode
    in_domain = Q()
    for form in forms:
        in_domain |= Q(email__iendswith=f"@{form}")  # the same field name on both models
    people = User.objects.filter(
        in_domain | Q(pk__in=EmailAddress.objects.filter(in_domain).values("user"))
    )
    with across_all_organizations():
        return (
            Membership.objects.filter(user__in=people, removed_at__isnull=True)
            .exclude(organization=organization)
            .exists()
        )


def claimed_domain_get(*, domain_id: int) -> ClaimedDomain:
    try:
        return ClaimedDomain.objects.get(pk=domain_id)
    except ClaimedDomain.DoesNotExist as exc:
        raise Http404("No such domain") from exc


def claimable_domains(*, organization: Organization, user: User) -> list[str]:
    """The domains of the user's verified addresses that the organisation could claim."""
    claimed = set(
        ClaimedDomain.objects.filter(organization=organization).values_list("domain", flat=True)
    )
    return sorted(d for d in verified_domains(user=user) - claimed if not is_public_mail_domain(d))


def scim_tokens_list(*, organization: Organization) -> QuerySet[ScimToken]:
    return ScimToken.objects.filter(organization=organization).select_related("created_by")


def scim_token_get(*, token_id: int) -> ScimToken:
    try:
        return ScimToken.objects.get(pk=token_id)
    except ScimToken.DoesNotExist as exc:
        raise Http404("No such token") from exc


def scim_groups_list(*, organization: Organization) -> QuerySet[ScimGroup]:
    """The directory's groups with their member counts (one query)."""
    return ScimGroup.objects.filter(organization=organization).annotate(
        member_count=Count("members")
    )


def scim_group_get(*, group_id: int) -> ScimGroup:
    try:
        return ScimGroup.objects.get(pk=group_id)
    except ScimGroup.DoesNotExist as exc:
        raise Http404("No such group") from exc
