"""Reads of the SCIM endpoint, inside the token's organisation scope: a resource of another
organisation is not found, exactly like a missing one."""

from __future__ import annotations

import contextlib
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch, Q, QuerySet

from mentorship.identity.models import ScimGroup, ScimUser
from mentorship.identity.scim.filters import user_name_key
from mentorship.identity.scim.protocol import not_found


def scim_users() -> QuerySet[ScimUser]:
    """Users with what their representation needs, in a fixed number of queries."""
    return ScimUser.objects.select_related("membership__user").prefetch_related(
        Prefetch("groups", queryset=ScimGroup.objects.only("scim_id", "display_name"))
    )


def scim_groups() -> QuerySet[ScimGroup]:
    return ScimGroup.objects.prefetch_related(
        Prefetch("members", queryset=ScimUser.objects.only("scim_id"))
    )


def _scim_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise not_found() from exc


def scim_user_get(*, scim_id: str, for_update: bool = False) -> ScimUser:
    qs = scim_users()
    if for_update:
        qs = ScimUser.objects.select_related("membership__user").select_for_update(of=("self",))
    user = qs.filter(scim_id=_scim_uuid(scim_id)).first()
    if user is None:
        raise not_found()
    return user


def scim_group_get(*, scim_id: str, for_update: bool = False) -> ScimGroup:
    qs = ScimGroup.objects.select_for_update() if for_update else scim_groups()
    group = qs.filter(scim_id=_scim_uuid(scim_id)).first()
    if group is None:
        raise not_found()
    return group


def scim_users_by_ids(values: list[str]) -> dict[str, ScimUser]:
    """The organisation's users among ``values`` (SCIM ids), keyed by id as text."""
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return {str(u.scim_id): u for u in ScimUser.objects.filter(scim_id__in=ids)}


def user_name_taken(*, user_name: str, excluding: ScimUser | None = None) -> bool:
    qs = ScimUser.objects.filter(user_name_key=user_name_key(user_name))
    return (qs.exclude(pk=excluding.pk) if excluding else qs).exists()


def external_id_taken(*, external_id: str, excluding: ScimUser | None = None) -> bool:
    if not external_id:
        return False
    qs = ScimUser.objects.filter(external_id=external_id)
    return (qs.exclude(pk=excluding.pk) if excluding else qs).exists()


def group_name_taken(*, display_name: str, excluding: ScimGroup | None = None) -> bool:
    qs = ScimGroup.objects.filter(display_name__iexact=display_name)
    return (qs.exclude(pk=excluding.pk) if excluding else qs).exists()


def manager_email(value: str) -> str:
    """The address of the manager the directory names: one of our SCIM users (by id, then
    externalId, then userName), else the value itself when it is an address, else ""."""
    value = value.strip()
    if not value:
        return ""
    condition = Q(external_id=value) | Q(user_name_key=user_name_key(value))
    with contextlib.suppress(ValueError):
        condition |= Q(scim_id=uuid.UUID(value))
    found = list(ScimUser.objects.select_related("membership__user").filter(condition)[:3])
    found.sort(key=lambda u: (str(u.scim_id) != value, u.external_id != value))
    if found:
        return found[0].membership.user.email
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value.lower()


def groups_granting(*, scim_user: ScimUser, role: str, excluding: ScimGroup) -> bool:
    """Whether another group the user is in still grants ``role``."""
    return scim_user.groups.filter(role=role).exclude(pk=excluding.pk).exists()
