"""SCIM groups, and the roles a group mapped in Settings grants and takes back."""

from __future__ import annotations

import pytest

from mentorship.identity.models import ScimGroup
from mentorship.identity.scim.services import scim_group_set_role
from mentorship.models import AuditEvent, Membership, Role
from tests.conftest import Tenant
from tests.identity.scim_helpers import GROUP, Scim, token_for, user_body


@pytest.fixture
def scim(alpha: Tenant) -> Scim:
    return Scim(token_for(alpha.organization))


def _user(scim: Scim, email: str) -> str:
    body = user_body(email)
    del body["emails"]  # fixture addresses end in ".test" (see test_scim_deprovisioning)
    return scim.post("/Users", body).json()["id"]


def _group(scim: Scim, name: str, *member_ids: str) -> dict:
    body = {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in member_ids]}
    response = scim.post("/Groups", body)
    assert response.status_code == 201, response.content
    return response.json()


def _roles(tenant: Tenant, email: str) -> list[Role]:
    with tenant.scope():
        return Membership.objects.get(user__email=email).roles


def _map(tenant: Tenant, group_id: str, role: str) -> None:
    with tenant.scope():
        group = ScimGroup.objects.get(scim_id=group_id)
        scim_group_set_role(group=group, role=role, actor=tenant.hr)


def test_group_lifecycle_with_entra_style_member_changes(alpha: Tenant, scim: Scim) -> None:
    ada, bob = _user(scim, "ada@alpha.test"), _user(scim, "bob@alpha.test")
    group = _group(scim, "Engineering", ada)
    assert group["members"] == [
        {"value": ada, "$ref": f"http://testserver/scim/v2/Users/{ada}", "type": "User"}
    ]
    assert group["meta"]["resourceType"] == "Group"
    found = scim.get("/Groups", filter='displayName eq "engineering"').json()
    assert [g["id"] for g in found["Resources"]] == [group["id"]]
    path = f"/Groups/{group['id']}"
    added = scim.patch(path, {"op": "Add", "path": "members", "value": [{"value": bob}]})
    assert {m["value"] for m in added.json()["members"]} == {ada, bob}
    removed = scim.patch(path, {"op": "Remove", "path": "members", "value": [{"value": ada}]})
    assert [m["value"] for m in removed.json()["members"]] == [bob]
    okta = scim.patch(path, {"op": "remove", "path": f'members[value eq "{bob}"]'})
    assert "members" not in okta.json()
    renamed = scim.patch(path, {"op": "replace", "value": {"displayName": "Eng"}})
    assert renamed.json()["displayName"] == "Eng"
    assert scim.get(f"/Users/{ada}").json().get("groups") is None
    put = scim.put(path, {"schemas": [GROUP], "displayName": "Eng", "members": [{"value": ada}]})
    assert [m["value"] for m in put.json()["members"]] == [ada]
    assert scim.get(f"/Users/{ada}").json()["groups"][0]["display"] == "Eng"
    assert scim.delete(path).status_code == 204
    assert scim.get(path).status_code == 404


def test_group_names_are_unique_and_members_must_be_ours(
    alpha: Tenant, beta: Tenant, scim: Scim
) -> None:
    _group(scim, "Admins")
    duplicate = scim.post("/Groups", {"schemas": [GROUP], "displayName": "admins"})
    assert duplicate.status_code == 409 and duplicate.json()["scimType"] == "uniqueness"
    beta_user = _user(Scim(token_for(beta.organization)), "someone@beta.test")
    stranger = scim.post(
        "/Groups", {"schemas": [GROUP], "displayName": "X", "members": [{"value": beta_user}]}
    )
    assert stranger.status_code == 400 and stranger.json()["scimType"] == "invalidValue"
    with alpha.scope():
        assert not ScimGroup.objects.filter(display_name="X").exists()


def test_a_mapped_group_grants_its_role_and_takes_it_back(alpha: Tenant, scim: Scim) -> None:
    ada = _user(scim, "participant@alpha.test")
    sponsors = _group(scim, "Sponsors")
    _map(alpha, sponsors["id"], Role.SPONSOR)
    path = f"/Groups/{sponsors['id']}"
    scim.patch(path, {"op": "add", "path": "members", "value": [{"value": ada}]})
    assert _roles(alpha, "participant@alpha.test") == [Role.SPONSOR, Role.PARTICIPANT]
    scim.patch(path, {"op": "remove", "path": f'members[value eq "{ada}"]'})
    assert _roles(alpha, "participant@alpha.test") == [Role.PARTICIPANT]
    with alpha.scope():
        summaries = list(
            AuditEvent.objects.filter(action=AuditEvent.Action.GROUP_ROLE_CHANGED).values_list(
                "summary", flat=True
            )
        )
    assert any("was given Executive sponsor" in s for s in summaries)
    assert any("lost Executive sponsor" in s for s in summaries)


def test_mapping_an_existing_group_grants_and_unmapping_removes(alpha: Tenant, scim: Scim) -> None:
    ada = _user(scim, "participant@alpha.test")
    group = _group(scim, "Leaders", ada)
    _map(alpha, group["id"], Role.SPONSOR)
    assert Role.SPONSOR in _roles(alpha, "participant@alpha.test")
    _map(alpha, group["id"], "")
    assert _roles(alpha, "participant@alpha.test") == [Role.PARTICIPANT]


def test_another_mapped_group_keeps_the_role(alpha: Tenant, scim: Scim) -> None:
    ada = _user(scim, "participant@alpha.test")
    first, second = _group(scim, "A", ada), _group(scim, "B", ada)
    _map(alpha, first["id"], Role.SPONSOR)
    _map(alpha, second["id"], Role.SPONSOR)
    scim.delete(f"/Groups/{first['id']}")
    assert Role.SPONSOR in _roles(alpha, "participant@alpha.test")


def test_the_last_hr_admin_keeps_the_role_on_leaving_the_group(alpha: Tenant, scim: Scim) -> None:
    with alpha.scope():
        Membership.objects.filter(user=alpha.hr).update(is_participant=True)
    hr = _user(scim, alpha.hr.email)
    admins = _group(scim, "HR", hr)
    _map(alpha, admins["id"], Role.HR_ADMIN)
    scim.patch(f"/Groups/{admins['id']}", {"op": "replace", "path": "members", "value": []})
    assert _roles(alpha, alpha.hr.email) == [Role.HR_ADMIN, Role.PARTICIPANT]
    with alpha.scope():
        assert AuditEvent.objects.filter(
            action=AuditEvent.Action.GROUP_ROLE_CHANGED, summary__contains="only HR admin"
        ).exists()


def test_a_member_is_never_left_without_a_role(alpha: Tenant, scim: Scim) -> None:
    sponsor = _user(scim, alpha.sponsor.email)  # a sponsor, nothing else
    group = _group(scim, "Sponsors", sponsor)
    _map(alpha, group["id"], Role.SPONSOR)
    scim.delete(f"/Groups/{group['id']}")
    assert _roles(alpha, alpha.sponsor.email) == [Role.SPONSOR]


def test_a_deprovisioned_member_gets_no_role_from_a_group(alpha: Tenant, scim: Scim) -> None:
    ada = _user(scim, "participant@alpha.test")
    scim.patch(f"/Users/{ada}", {"op": "replace", "value": {"active": False}})
    admins = _group(scim, "HR", ada)
    _map(alpha, admins["id"], Role.HR_ADMIN)
    with alpha.scope():
        membership = Membership.objects.get(user__email="participant@alpha.test")
    assert not membership.is_active and not membership.is_hr_admin


def test_a_group_without_a_name_is_refused(scim: Scim) -> None:
    response = scim.post("/Groups", {"schemas": [GROUP], "members": []})
    assert response.status_code == 400


def test_member_display_names_sent_by_providers_are_accepted(alpha: Tenant, scim: Scim) -> None:
    """Okta and Entra ID send ``display`` with members; we do not keep it, and do not refuse."""
    ada = _user(scim, "participant@alpha.test")
    created = scim.post(
        "/Groups",
        {"schemas": [GROUP], "displayName": "G", "members": [{"value": ada, "display": "Ada"}]},
    )
    assert created.status_code == 201, created.content
    path = f"/Groups/{created.json()['id']}"
    patched = scim.patch(
        path, {"op": "add", "path": "members", "value": [{"value": ada, "display": "Ada L"}]}
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["members"] == created.json()["members"]
