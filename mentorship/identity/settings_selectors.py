"""Reads of the identity settings pages (HR admins), inside the organisation's scope.

An object named in a URL is fetched within the scope: another organisation's id is a 404, the
same as a missing one."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from mentorship.identity.models import ClaimedDomain, ScimGroup, ScimToken
from mentorship.identity.services import PUBLIC_MAIL_DOMAINS, verified_domains
from mentorship.models import Organization, User


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
    return sorted(verified_domains(user=user) - claimed - PUBLIC_MAIL_DOMAINS)


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
