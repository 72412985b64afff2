"""Rows as SCIM resources: what the directory sent (kept on the row), with our id, the
``active`` state, group memberships and ``meta``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scim2_models import Context, GroupMembership, Meta, ResponseParameters

from mentorship.identity.models import ScimGroup, ScimUser
from mentorship.identity.scim.resources import (
    GroupMember,
    GroupResource,
    UserResource,
)

# Never kept, never returned (RFC 7643 §4.1.1: "returned" never).
NOT_KEPT = ("id", "meta", "password", "groups", "schemas")

Locate = Callable[[str, str], str]  # (resource type, id) → absolute URL


def kept_resource(resource: UserResource) -> dict[str, Any]:
    """What of a received user to keep on its row."""
    data = resource.model_dump(scim_ctx=Context.DEFAULT)
    for key in NOT_KEPT:
        data.pop(key, None)
    return data


def user_resource(scim_user: ScimUser, locate: Locate) -> UserResource:
    data = dict(scim_user.resource)
    for key in NOT_KEPT:
        data.pop(key, None)
    resource = UserResource.model_validate(data, scim_ctx=Context.DEFAULT)
    resource.id = str(scim_user.scim_id)
    resource.user_name = scim_user.user_name
    resource.external_id = scim_user.external_id or None
    # ``active`` as the directory left it: unassigned stays unassigned (the membership then
    # keeps its state), assigned is the state of the membership we keep.
    resource.active = scim_user.active if "active" in scim_user.resource else None
    groups = list(scim_user.groups.all())
    resource.groups = [
        GroupMembership(
            value=str(g.scim_id),
            ref=locate("Group", str(g.scim_id)),
            display=g.display_name,
            type="direct",
        )
        for g in groups
    ] or None
    resource.meta = Meta(
        resource_type="User",
        created=scim_user.created_at,
        last_modified=scim_user.updated_at,
        location=locate("User", str(scim_user.scim_id)),
    )
    return resource


def group_resource(group: ScimGroup, locate: Locate) -> GroupResource:
    members = [
        GroupMember(value=str(u.scim_id), ref=locate("User", str(u.scim_id)), type="User")
        for u in group.members.all()
    ]
    return GroupResource(
        id=str(group.scim_id),
        external_id=group.external_id or None,
        display_name=group.display_name,
        members=members or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=locate("Group", str(group.scim_id)),
        ),
    )


def dump(resource: Any, parameters: ResponseParameters | None = None) -> dict[str, Any]:
    return resource.model_dump(
        scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters
    )
