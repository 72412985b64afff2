"""Settings → API keys: HR admins only, a key shown once and then only its prefix, read or
read-write, an optional expiry, its last use, revoked after a confirmation; changes need a
recent re-authentication and are audited."""

from __future__ import annotations

import re
from datetime import UTC, date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mentorship.api.models import OrganizationAPIKey
from mentorship.models import AuditEvent, Role
from tests.api.support import api_client
from tests.conftest import Tenant
from tests.identity.settings_support import reauthenticated

PAGE = "/o/alpha/settings/api-keys/"


@pytest.fixture
def hr(alpha: Tenant, client_for) -> Client:
    return reauthenticated(client_for(alpha.hr))


def keys_of(tenant: Tenant) -> list[OrganizationAPIKey]:
    with tenant.scope():
        return list(OrganizationAPIKey.objects.order_by("created"))


def created_key(response) -> str:
    body = response.content.decode()
    match = re.search(r'<code id="api-key"[^>]*>([^<]+)</code>', body)
    assert match, body
    return match.group(1)


def revoke_url(key: OrganizationAPIKey) -> str:
    return f"{PAGE}{key.prefix}/revoke/"


def test_only_hr_admins_reach_the_page(alpha: Tenant, client_for) -> None:
    for role in (Role.SPONSOR, Role.PARTICIPANT):
        client = reauthenticated(client_for(alpha.user(role)))
        assert client.get(PAGE).status_code == 404
        assert client.post(PAGE, {"name": "Mine", "access": "read-write"}).status_code == 404
    assert keys_of(alpha) == []


def test_the_empty_page_explains_and_points_to_the_docs(hr: Client) -> None:
    body = hr.get(PAGE).content.decode()
    assert "No API keys yet." in body
    assert 'href="http://testserver/api/v1/docs/"' in body
    assert "Authorization: Bearer &lt;key&gt;" in body


def test_a_new_key_is_shown_once_then_only_its_prefix(alpha: Tenant, hr: Client) -> None:
    response = hr.post(PAGE, {"name": "Data warehouse", "access": "read-write"})
    assert response.status_code == 200
    plain = created_key(response)
    assert "shown only this once" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    [key] = keys_of(alpha)
    assert plain.startswith(f"{key.prefix}.") and key.is_valid(plain)
    assert (key.name, key.can_write, key.created_by, key.expiry_date) == (
        "Data warehouse",
        True,
        alpha.hr,
        None,
    )
    listing = hr.get(PAGE).content.decode()
    assert plain not in listing
    assert f"{key.prefix}…" in listing and "Data warehouse" in listing
    assert "Read-write" in listing and "Never" in listing and "Active" in listing
    with alpha.scope():
        event = AuditEvent.objects.get(action=AuditEvent.Action.API_KEY_CREATED)
        assert event.actor == alpha.hr and plain.split(".")[1] not in event.summary


def test_the_key_works_with_the_access_it_was_given(alpha: Tenant, hr: Client) -> None:
    reader = created_key(hr.post(PAGE, {"name": "Reader", "access": "read"}))
    writer = created_key(hr.post(PAGE, {"name": "Writer", "access": "read-write"}))
    assert [k.can_write for k in keys_of(alpha)] == [False, True]
    assert api_client(key=reader).get("/api/v1/audit-events/").status_code == 200
    assert api_client(key=writer).get("/api/v1/audit-events/").status_code == 200


def test_last_use_is_shown(alpha: Tenant, hr: Client) -> None:
    plain = created_key(hr.post(PAGE, {"name": "Script", "access": "read"}))
    api_client(key=plain).get("/api/v1/audit-events/")
    [key] = keys_of(alpha)
    assert key.last_used_at is not None
    listing = hr.get(PAGE).content.decode()
    local = timezone.localtime(key.last_used_at)
    assert f"{local:%-d %b %Y, %H:%M}" in listing and "Never" not in listing


def test_an_expiry_date_ends_the_key_with_that_day(alpha: Tenant, hr: Client) -> None:
    day = date.today() + timedelta(days=30)
    plain = created_key(
        hr.post(PAGE, {"name": "Audit", "access": "read", "expires_on": day.isoformat()})
    )
    [key] = keys_of(alpha)
    assert key.expiry_date is not None
    assert key.expiry_date.astimezone(UTC).date() == day
    assert f"expires {day:%-d %b %Y}" in hr.get(PAGE).content.decode()
    assert api_client(key=plain).get("/api/v1/audit-events/").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "  ", "access": "read"}, "This field is required."),
        ({"name": "x" * 51, "access": "read"}, "at most 50 characters"),
        ({"name": "Key", "access": "admin"}, "Select a valid choice."),
        ({"name": "Key"}, "This field is required."),
        ({"name": "Key", "access": "read", "expires_on": "2001-01-01"}, "in the past"),
        ({"name": "Key", "access": "read", "expires_on": "2026-02-30"}, "Enter a valid date."),
    ],
)
def test_bad_input_is_refused_with_the_reason(
    alpha: Tenant, hr: Client, data: dict[str, str], message: str
) -> None:
    response = hr.post(PAGE, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'id="api-key"' not in response.content.decode()
    assert keys_of(alpha) == []


def test_revoking_asks_first_and_stops_the_key(alpha: Tenant, hr: Client) -> None:
    plain = created_key(hr.post(PAGE, {"name": "Old system", "access": "read"}))
    [key] = keys_of(alpha)
    page = hr.get(revoke_url(key)).content.decode()
    assert "Revoke the API key “Old system”?" in page and f"{key.prefix}…" in page
    assert not keys_of(alpha)[0].revoked
    assert hr.post(revoke_url(key))["Location"] == PAGE
    [key] = keys_of(alpha)
    assert key.revoked and key.revoked_at is not None
    response = api_client(key=plain).get("/api/v1/audit-events/")
    assert (response.status_code, response.json()["code"]) == (401, "revoked_key")
    listing = hr.get(PAGE).content.decode()
    assert "Revoked" in listing and revoke_url(key) not in listing
    # A second click changes nothing and says so.
    again = hr.post(revoke_url(key), follow=True)
    assert "already revoked" in again.content.decode()
    with alpha.scope():
        assert AuditEvent.objects.filter(action=AuditEvent.Action.API_KEY_REVOKED).count() == 1


def test_unknown_prefixes_answer_404(hr: Client) -> None:
    assert hr.get(f"{PAGE}nosuchky/revoke/").status_code == 404
    assert hr.post(f"{PAGE}nosuchky/revoke/").status_code == 404


def test_key_changes_need_a_recent_confirmation(alpha: Tenant, client_for, hr: Client) -> None:
    created_key(hr.post(PAGE, {"name": "Warehouse", "access": "read"}))
    [key] = keys_of(alpha)
    client = client_for(alpha.hr)
    body = client.get(PAGE).content.decode()
    assert "Confirm now" in body
    response = client.post(PAGE, {"name": "Another", "access": "read-write"})
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert client.post(revoke_url(key))["Location"].startswith("/accounts/reauthenticate/")
    assert len(keys_of(alpha)) == 1 and not keys_of(alpha)[0].revoked


def test_settings_link_to_api_keys_webhooks_and_the_docs(hr: Client) -> None:
    body = hr.get("/o/alpha/settings/").content.decode()
    assert 'href="/o/alpha/settings/api-keys/"' in body
    assert 'href="/o/alpha/settings/webhooks/"' in body
    assert 'href="/api/v1/docs/"' in body


def test_the_page_lists_keys_in_a_fixed_number_of_queries(
    alpha: Tenant, hr: Client, django_assert_num_queries
) -> None:
    def populate(n: int, start: int = 0) -> None:
        for i in range(start, start + n):
            hr.post(PAGE, {"name": f"Key {i}", "access": "read"})

    populate(2)
    # Session, user, membership (twice: middleware, menu), unread count, allauth's look at the
    # user's second factors (3, for the re-authentication note) and the keys with their makers.
    with django_assert_num_queries(9):
        hr.get(PAGE)
    populate(8, start=2)
    with django_assert_num_queries(9):
        hr.get(PAGE)
