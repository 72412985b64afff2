"""Reads of API keys for Settings."""

from __future__ import annotations

from django.db.models import QuerySet

from mentorship.api.models import OrganizationAPIKey
from mentorship.models import Organization


def api_keys_for_organization(*, organization: Organization) -> QuerySet[OrganizationAPIKey]:
    return OrganizationAPIKey.objects.filter(organization=organization).select_related("created_by")


def api_key_get(*, organization: Organization, prefix: str) -> OrganizationAPIKey | None:
    """By its prefix (unique, shown in Settings): the primary key holds the hash."""
    return api_keys_for_organization(organization=organization).filter(prefix=prefix).first()
