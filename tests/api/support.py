"""Helpers of the API tests: a client holding an organisation's key."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from mentorship.api.services import api_key_create
from mentorship.models import Organization
from mentorship.tenancy import tenant_scope


def key_for(organization: Organization, *, write: bool = False, name: str = "Tests") -> str:
    with tenant_scope(organization):
        _, plain = api_key_create(organization=organization, name=name, can_write=write, actor=None)
    return plain


def api_client(
    organization: Organization | None = None, *, write: bool = False, key: str = ""
) -> APIClient:
    """A DRF test client sending ``Authorization: Bearer <key>`` (a new key of ``organization``
    unless ``key`` is given; none at all when both are missing)."""
    client = APIClient()
    if organization is not None and not key:
        key = key_for(organization, write=write)
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]
