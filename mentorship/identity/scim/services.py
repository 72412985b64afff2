"""Writes of SCIM groups, and the roles a group mapped in Settings grants.

A group mapped to a role gives that role to its members' memberships, and takes it back when
they leave the group, unless another mapped group still grants it. Every change is audited
(``GROUP_ROLE_CHANGED``). Two things are never done, and are audited instead: taking the role of
the organisation's last HR admin, and leaving a member with no role at all. A removed member
gets nothing from a group: coming back (re-activation) restores the participant role only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from scim2_models import PatchOp

from mentorship import services as kernel
from mentorship.identity.models import ScimGroup, ScimUser
from mentorship.identity.scim import selectors
from mentorship.identity.scim.protocol import ScimError, patched, replaced
from mentorship.identity.scim.render import Locate, group_resource
from mentorship.identity.scim.resources import GroupResource
from mentorship.models import AuditEvent, Membership, Organization, Role, User


def _audit(membership: Membership, summary: str, actor: User | None) -> None:
    kernel.audit_record(
        organization=membership.organization,
        action=AuditEvent.Action.GROUP_ROLE_CHANGED,
        summary=summary,
        actor=actor,
    )


def _grant(scim_user: ScimUser, role: str, group: ScimGroup, actor: User | None) -> None:
    membership = scim_user.membership
    if not membership.is_active or membership.has_role(Role(role)):
        return
    kernel.membership_set_roles(
        membership=membership,
        roles=[*membership.roles, Role(role)],
        actor=actor,  # type: ignore[arg-type]  # the directory acts with no person behind it
    )
    _audit(
        membership,
        f"{membership.user.email} was given {Role(role).english_label} by the directory group "
        f"“{group.display_name}”",
        actor,
    )


def _revoke(scim_user: ScimUser, role: str, group: ScimGroup, actor: User | None) -> None:
    membership = scim_user.membership
    if not membership.is_active or not membership.has_role(Role(role)):
        return
    if selectors.groups_granting(scim_user=scim_user, role=role, excluding=group):
        return
    label = Role(role).english_label
    remaining = [r for r in membership.roles if r != role]
    why = ""
    if not remaining:
        why = "a member needs at least one role"
    else:
        try:
            kernel.membership_set_roles(
                membership=membership,
                roles=remaining,
                actor=actor,  # type: ignore[arg-type]
            )
        except ValidationError:
            membership.refresh_from_db()
            why = "they are the organisation's only HR admin"
    if why:
        summary = f"{membership.user.email} kept {label} after leaving the directory group "
        _audit(membership, f"{summary}“{group.display_name}”: {why}", actor)
    else:
        _audit(
            membership,
            f"{membership.user.email} lost {label} on leaving the directory group "
            f"“{group.display_name}”",
            actor,
        )


def scim_group_set_role(*, group: ScimGroup, role: str, actor: User | None) -> ScimGroup:
    """Map the group to ``role`` ("" for none): its members gain the new role and lose the old
    one (where no other mapped group grants it)."""
    if role and role not in Role.values:
        raise ValidationError(_("Choose a role."))
    with transaction.atomic():
        group = ScimGroup.objects.select_for_update().get(pk=group.pk)
        old = group.role
        if old == role:
            return group
        group.role = role
        group.save(update_fields=["role"])
        kernel.audit_record(
            organization=group.organization,
            action=AuditEvent.Action.GROUP_ROLE_CHANGED,
            summary=f"The directory group “{group.display_name}” now grants "
            f"{Role(role).english_label if role else 'no role'}",
            actor=actor,
        )
        for scim_user in group.members.select_related("membership__user"):
            if old:
                _revoke(scim_user, old, group, actor)
            if role:
                _grant(scim_user, role, group, actor)
    return group


def _members(resource: GroupResource) -> list[ScimUser]:
    """The users a group resource names; an id that is not one of ours is refused (the same
    way whether it is missing or another organisation's)."""
    values = [str(m.value or "") for m in resource.members or []]
    found = selectors.scim_users_by_ids(values)
    unknown = [v for v in values if v not in found]
    if unknown:
        raise ScimError(400, f"No such user: {unknown[0][:64]}.", "invalidValue")
    return list({u.pk: u for u in found.values()}.values())


def _set_members(group: ScimGroup, members: list[ScimUser], actor: User | None) -> None:
    before = {u.pk: u for u in group.members.select_related("membership__user")}
    after = {u.pk: u for u in members}
    added = [u for pk, u in after.items() if pk not in before]
    removed = [u for pk, u in before.items() if pk not in after]
    if added:
        group.members.add(*added)
    if removed:
        group.members.remove(*removed)
    if group.role:
        for scim_user in removed:
            _revoke(scim_user, group.role, group, actor)
        for scim_user in added:
            _grant(scim_user, group.role, group, actor)


def _save(group: ScimGroup, resource: GroupResource) -> None:
    name = (resource.display_name or "").strip()
    if not name:
        raise ScimError(400, "displayName is required.", "invalidValue")
    limit = ScimGroup._meta.get_field("display_name").max_length
    if len(name) > limit or len(resource.external_id or "") > limit:
        raise ScimError(400, f"displayName and externalId hold {limit} characters.", "invalidValue")
    if selectors.group_name_taken(display_name=name, excluding=group if group.pk else None):
        raise ScimError(409, "Another group has this displayName.", "uniqueness")
    group.display_name = name
    group.external_id = resource.external_id or ""
    group.updated_at = timezone.now()
    group.save()


def scim_group_create(*, organization: Organization, resource: GroupResource) -> ScimGroup:
    try:
        with transaction.atomic():
            members = _members(resource)
            now = timezone.now()
            group = ScimGroup(organization=organization, created_at=now, updated_at=now)
            _save(group, resource)
            _set_members(group, members, None)
    except IntegrityError as exc:
        raise ScimError(409, "Another group has this displayName.", "uniqueness") from exc
    return group


def _replace_state(group: ScimGroup, resource: GroupResource) -> ScimGroup:
    try:
        with transaction.atomic():
            members = _members(resource)
            _save(group, resource)
            _set_members(group, members, None)
    except IntegrityError as exc:
        raise ScimError(409, "Another group has this displayName.", "uniqueness") from exc
    return group


def scim_group_replace(*, group: ScimGroup, resource: GroupResource, locate: Locate) -> ScimGroup:
    replaced(resource, group_resource(group, locate))
    return _replace_state(group, resource)


def scim_group_patch(*, group: ScimGroup, patch: PatchOp, locate: Locate) -> ScimGroup:
    """Applied to the whole group as it stands (members included), then stored."""
    resource = group_resource(group, locate)
    patched(patch, resource)
    return _replace_state(group, resource)


def scim_group_delete(*, group: ScimGroup) -> None:
    """Forget the group; its members lose the role it granted (the same rules as leaving)."""
    with transaction.atomic():
        _set_members(group, [], None)
        group.delete()
