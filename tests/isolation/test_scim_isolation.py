"""Every route of the SCIM endpoint, requested with organisation alpha's token and organisation
beta's ids: beta's users and groups are not found (404, as missing ones), never listed, never
changed. Without a token every route answers 401. A route this suite does not know fails it:
a new route is covered the moment it exists, or the suite says what to teach it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from mentorship.identity.models import ScimGroup, ScimUser
from mentorship.identity.urls import scim_patterns as urlpatterns
from mentorship.models import Membership
from tests.conftest import Tenant
from tests.identity.scim_helpers import BASE, GROUP, PATCH, Scim, token_for, user_body


@dataclass
class World:
    alpha: Scim
    beta_user: dict
    beta_group: dict


def _beta_world(beta: Tenant) -> tuple[dict, dict]:
    scim = Scim(token_for(beta.organization))
    body = user_body("someone@example.com", externalId="beta-ext")
    user = scim.post("/Users", body).json()
    group = scim.post(
        "/Groups",
        {"schemas": [GROUP], "displayName": "Beta admins", "members": [{"value": user["id"]}]},
    ).json()
    return user, group


def _beta_unchanged(beta: Tenant, world: World) -> None:
    with beta.scope():
        user = ScimUser.objects.get(scim_id=world.beta_user["id"])
        group = ScimGroup.objects.get(scim_id=world.beta_group["id"])
        assert user.user_name == "someone@example.com" and user.active
        assert Membership.objects.get(pk=user.membership_id).is_active
        assert group.display_name == "Beta admins"
        assert list(group.members.all()) == [user]


def _no_tenant_data(world: World, path: str) -> None:
    """Discovery documents: the same for every organisation."""
    response = world.alpha.get(path)
    assert response.status_code == 200
    assert "someone@example.com" not in response.content.decode()


def _collection(kind: str) -> Callable[[World, str], None]:
    def check(world: World, path: str) -> None:
        beta = world.beta_user if kind == "Users" else world.beta_group
        listed = world.alpha.get(path, count=200).content.decode()
        assert beta["id"] not in listed and "someone@example.com" not in listed
        by_name = (
            'userName eq "someone@example.com"'
            if kind == "Users"
            else 'displayName eq "Beta admins"'
        )
        assert world.alpha.get(path, filter=by_name).json()["totalResults"] == 0
        by_id = world.alpha.get(path, filter=f'id eq "{beta["id"]}"')
        assert by_id.json()["totalResults"] == 0
        assert world.alpha.get(path, filter='externalId eq "beta-ext"').json()["totalResults"] == 0

    return check


def _detail(kind: str) -> Callable[[World, str], None]:
    def check(world: World, path: str) -> None:
        beta_id = (world.beta_user if kind == "Users" else world.beta_group)["id"]
        path = path.replace("PLACEHOLDER", beta_id)
        body = user_body("taken@example.com") if kind == "Users" else {"schemas": [GROUP]}
        if kind == "Groups":
            body["displayName"] = "Hijacked"
        patch_ops = (
            [{"op": "replace", "value": {"active": False}}]
            if kind == "Users"
            else [{"op": "replace", "path": "members", "value": []}]
        )
        for method, payload in (
            ("get", None),
            ("put", body),
            ("patch", {"schemas": [PATCH], "Operations": patch_ops}),
            ("delete", None),
        ):
            response = world.alpha.request(method, path, payload)
            assert response.status_code == 404, (method, path, response.content)
            assert response.json()["detail"] == "No such resource."

    return check


def _search(world: World, path: str) -> None:
    response = world.alpha.request("post", path, {"filter": 'userName eq "someone@example.com"'})
    assert response.status_code == 501
    assert "someone@example.com" not in response.content.decode()


def _unknown(world: World, path: str) -> None:
    response = world.alpha.get(f"/Users/{world.beta_user['id']}/extra")
    assert response.status_code == 404


# Route name → how it is requested, and why that proves isolation. Teach new routes here.
ROUTES: dict[str, tuple[str, Callable[[World, str], None]]] = {
    "scim_service_provider_config": ("", _no_tenant_data),
    "scim_resource_types": ("", _no_tenant_data),
    "scim_resource_type": ("name=User", _no_tenant_data),
    "scim_schemas": ("", _no_tenant_data),
    "scim_schema": ("schema_id=urn:ietf:params:scim:schemas:core:2.0:User", _no_tenant_data),
    "scim_users": ("", _collection("Users")),
    "scim_user": ("scim_id=PLACEHOLDER", _detail("Users")),
    "scim_groups": ("", _collection("Groups")),
    "scim_group": ("scim_id=PLACEHOLDER", _detail("Groups")),
    "scim_search": ("", _search),
    "scim_unknown": ("", _unknown),
}


def _path(name: str) -> str:
    kwargs_text, _ = ROUTES[name]
    kwargs = dict(part.split("=", 1) for part in kwargs_text.split(",") if part)
    if name == "scim_unknown":
        return "/nowhere"
    return reverse(name, kwargs=kwargs or None).removeprefix(BASE)


def test_every_scim_route_is_known_to_this_suite() -> None:
    names = [pattern.name for pattern in urlpatterns]
    assert all(names), "every SCIM route needs a name"
    unknown = sorted(set(names) - set(ROUTES))
    assert not unknown, f"teach tests/isolation/test_scim_isolation.py these routes: {unknown}"


@pytest.mark.parametrize("name", [p.name for p in urlpatterns])
def test_alpha_token_cannot_reach_beta(alpha: Tenant, beta: Tenant, name: str) -> None:
    beta_user, beta_group = _beta_world(beta)
    world = World(Scim(token_for(alpha.organization)), beta_user, beta_group)
    _, check = ROUTES[name]
    check(world, _path(name))
    _beta_unchanged(beta, world)


@pytest.mark.parametrize("name", [p.name for p in urlpatterns])
def test_no_route_answers_without_a_token(alpha: Tenant, name: str) -> None:
    path = _path(name).replace("PLACEHOLDER", "00000000-0000-0000-0000-000000000000")
    anonymous = Scim(None)
    for method in ("get", "post", "put", "patch", "delete"):
        response = anonymous.request(method, path, {} if method != "get" else None)
        assert response.status_code == 401, (method, path)
        assert response["WWW-Authenticate"].startswith("Bearer")
