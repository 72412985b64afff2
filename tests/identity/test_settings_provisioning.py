"""Settings → Provisioning (SCIM): the endpoint's address, tokens shown once, revoked after a
confirmation, and directory groups mapped to roles."""

from __future__ import annotations

import re

import pytest

from mentorship.identity.models import ScimGroup, ScimToken, ScimUser
from mentorship.models import AuditEvent, Membership, Role, hash_token
from tests.conftest import Tenant
from tests.identity.settings_support import reauthenticated

PAGE = "/o/alpha/settings/provisioning/"


@pytest.fixture
def hr(alpha: Tenant, client_for):
    return reauthenticated(client_for(alpha.hr))


def tokens_of(tenant: Tenant) -> list[ScimToken]:
    with tenant.scope():
        return list(ScimToken.objects.all())


def created_token(response) -> str:
    match = re.search(r'<code id="scim-token"[^>]*>(scim_[^<]+)</code>', response.content.decode())
    assert match, response.content.decode()
    return match.group(1)


def test_the_page_shows_the_endpoint_and_empty_states(hr) -> None:
    body = hr.get(PAGE).content.decode()
    assert "http://testserver/scim/v2/" in body
    assert "No tokens yet." in body and "No groups pushed yet." in body


def test_a_new_token_is_shown_once_then_only_its_prefix(alpha: Tenant, hr) -> None:
    response = hr.post(PAGE, {"name": "Okta provisioning"})
    assert response.status_code == 200
    plain = created_token(response)
    assert "shown only this once" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    [token] = tokens_of(alpha)
    assert token.token_hash == hash_token(plain) and token.name == "Okta provisioning"
    assert token.created_by == alpha.hr
    listing = hr.get(PAGE).content.decode()
    assert plain not in listing
    assert f"{token.prefix}…" in listing and "Okta provisioning" in listing
    assert "Never" in listing and "Active" in listing
    with alpha.scope():
        assert AuditEvent.objects.filter(action=AuditEvent.Action.SCIM_TOKEN_CREATED).count() == 1
        assert plain not in "".join(AuditEvent.objects.values_list("summary", flat=True))


def test_a_token_needs_a_name(alpha: Tenant, hr) -> None:
    response = hr.post(PAGE, {"name": "  "})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert tokens_of(alpha) == []


def test_revoking_asks_first_and_stops_the_token(alpha: Tenant, hr) -> None:
    created_token(hr.post(PAGE, {"name": "Entra"}))
    [token] = tokens_of(alpha)
    revoke = f"/o/alpha/settings/provisioning/tokens/{token.pk}/revoke/"
    assert "Revoke the token “Entra”?" in hr.get(revoke).content.decode()
    assert tokens_of(alpha)[0].revoked_at is None
    assert hr.post(revoke)["Location"] == PAGE
    assert tokens_of(alpha)[0].revoked_at is not None
    listing = hr.get(PAGE).content.decode()
    assert "Revoked" in listing and revoke not in listing
    with alpha.scope():
        assert AuditEvent.objects.filter(action=AuditEvent.Action.SCIM_TOKEN_REVOKED).count() == 1


def test_token_changes_need_a_recent_confirmation(alpha: Tenant, client_for, hr) -> None:
    created_token(hr.post(PAGE, {"name": "Entra"}))
    [token] = tokens_of(alpha)
    client = client_for(alpha.hr)
    assert client.post(PAGE, {"name": "Another"})["Location"].startswith(
        "/accounts/reauthenticate/"
    )
    revoke = f"/o/alpha/settings/provisioning/tokens/{token.pk}/revoke/"
    assert client.post(revoke)["Location"].startswith("/accounts/reauthenticate/")
    assert len(tokens_of(alpha)) == 1 and tokens_of(alpha)[0].revoked_at is None


def make_group(tenant: Tenant, name: str = "Leaders", role: str = "") -> ScimGroup:
    with tenant.scope():
        membership = tenant.members[Role.PARTICIPANT]
        user = ScimUser.objects.create(
            organization=tenant.organization,
            membership=membership,
            user_name=membership.user.email,
            user_name_key=membership.user.email,
        )
        group = ScimGroup.objects.create(
            organization=tenant.organization, display_name=name, role=role
        )
        group.members.add(user)
    return group


def test_a_directory_group_is_mapped_to_a_role(alpha: Tenant, hr) -> None:
    group = make_group(alpha)
    body = hr.get(PAGE).content.decode()
    assert "Leaders" in body and "<td>1</td>" in body
    action = f"/o/alpha/settings/provisioning/groups/{group.pk}/role/"
    assert hr.post(action, {"role": "sponsor"})["Location"] == PAGE
    with alpha.scope():
        assert ScimGroup.objects.get().role == "sponsor"
        assert Membership.objects.get(pk=alpha.members[Role.PARTICIPANT].pk).is_sponsor
        assert AuditEvent.objects.filter(action=AuditEvent.Action.GROUP_ROLE_CHANGED).exists()
    assert '<option value="sponsor" selected>' in hr.get(PAGE).content.decode()
    hr.post(action, {"role": ""})
    with alpha.scope():
        assert ScimGroup.objects.get().role == ""


def test_a_group_role_outside_the_list_is_refused(alpha: Tenant, hr) -> None:
    group = make_group(alpha)
    action = f"/o/alpha/settings/provisioning/groups/{group.pk}/role/"
    response = hr.post(action, {"role": "superuser"}, follow=True)
    assert "Choose a role from the list." in response.content.decode()
    with alpha.scope():
        assert ScimGroup.objects.get().role == ""


def test_group_roles_need_a_recent_confirmation(alpha: Tenant, client_for) -> None:
    group = make_group(alpha)
    client = client_for(alpha.hr)
    action = f"/o/alpha/settings/provisioning/groups/{group.pk}/role/"
    assert client.post(action, {"role": "hr_admin"})["Location"].startswith(
        "/accounts/reauthenticate/"
    )
    with alpha.scope():
        assert ScimGroup.objects.get().role == ""


def test_the_page_lists_tokens_and_groups_in_a_fixed_number_of_queries(
    alpha: Tenant, hr, django_assert_max_num_queries
) -> None:
    def populate(n: int, start: int = 0) -> None:
        for i in range(start, start + n):
            hr.post(PAGE, {"name": f"Token {i}"})
            with alpha.scope():
                ScimGroup.objects.create(organization=alpha.organization, display_name=f"G{i}")

    populate(2)
    # Session, user, membership (twice: middleware, menu), unread count, allauth's look at the
    # user's second factors (3, for the re-authentication note), the tokens, the groups and
    # their count (the groups come a page at a time).
    with django_assert_max_num_queries(11):
        hr.get(PAGE)
    populate(8, start=2)
    with django_assert_max_num_queries(11):
        hr.get(PAGE)


def test_directory_groups_come_a_page_at_a_time(alpha: Tenant, hr) -> None:
    """A directory may push thousands of groups: the page lists one page and links the next."""
    from mentorship.identity.models import ScimGroup
    from mentorship.web import PAGE_SIZE

    with alpha.scope():
        ScimGroup.objects.bulk_create(
            ScimGroup(organization=alpha.organization, display_name=f"Group {n:04}")
            for n in range(PAGE_SIZE + 3)
        )
    first = hr.get("/o/alpha/settings/provisioning/").content.decode()
    assert "Group 0000" in first and f"Group {PAGE_SIZE:04}" not in first
    assert 'rel="next"' in first
    second = hr.get("/o/alpha/settings/provisioning/?page=2").content.decode()
    assert f"Group {PAGE_SIZE:04}" in second and "Group 0000" not in second
