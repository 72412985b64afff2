"""An API key opens its own organisation's data and nothing else; a missing, wrong, revoked or
expired key answers 401 with a code that says which; a read key cannot write."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mentorship.api.models import OrganizationAPIKey
from mentorship.models import AuditEvent
from mentorship.services import audit_record
from mentorship.tenancy import tenant_scope
from tests.api.support import api_client, key_for, results
from tests.conftest import Tenant
from tests.queries import assert_queries_do_not_grow

URL = "/api/v1/audit-events/"


def _event(tenant: Tenant, summary: str) -> None:
    with tenant_scope(tenant.organization):
        audit_record(
            organization=tenant.organization,
            action=AuditEvent.Action.SETTINGS_CHANGED,
            summary=summary,
        )


def test_a_key_lists_its_own_organisations_audit_events_only(alpha: Tenant, beta: Tenant) -> None:
    _event(alpha, "Alpha changed a setting")
    _event(beta, "Beta changed a setting")
    summaries = [row["summary"] for row in results(api_client(alpha.organization).get(URL))]
    assert "Alpha changed a setting" in summaries
    assert "Beta changed a setting" not in summaries


def test_missing_unknown_revoked_and_expired_keys_say_why(alpha: Tenant) -> None:
    assert api_client().get(URL).json()["code"] == "missing_key"
    unknown = api_client(key="abcdefgh.notthesecret")
    assert unknown.get(URL).status_code == 401
    assert unknown.get(URL).json()["code"] == "invalid_key"

    plain = key_for(alpha.organization)
    with tenant_scope(alpha.organization):
        key = OrganizationAPIKey.objects.get(prefix=plain.split(".")[0])
        key.expiry_date = timezone.now() - timedelta(seconds=1)
        key.save()
    response = api_client(key=plain).get(URL)
    assert (response.status_code, response.json()["code"]) == (401, "expired_key")
    assert response["WWW-Authenticate"].startswith("Bearer")

    with tenant_scope(alpha.organization):
        key.expiry_date = None
        key.revoked = True
        key.save()
    response = api_client(key=plain).get(URL)
    assert (response.status_code, response.json()["code"]) == (401, "revoked_key")


def test_an_unknown_path_under_the_api_is_a_json_404(alpha: Tenant) -> None:
    response = api_client(alpha.organization).get("/api/v1/nowhere/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_audit_events_list_costs_the_same_with_many_events(alpha: Tenant) -> None:
    client = api_client(alpha.organization)
    client.get(URL)  # the key's "last used" is recorded once a minute

    def grow(count: int) -> None:
        for number in range(count):
            _event(alpha, f"Setting {number} changed")

    # The key; the events with their actors.
    assert_queries_do_not_grow(
        lambda: client.get(f"{URL}?page_size=100"), grow=lambda: grow(40), pinned=2
    )
