"""Writes of SCIM users. A SCIM user is one membership of the token's organisation; accounts
and memberships are made and ended by ``mentorship.identity.provisioning``, the path single
sign-on takes too, so the rules are the same whichever way a person arrives.

The account is the one of the address the user was created with. A later change of address in
the directory is kept on the SCIM resource but does not move the membership to another account:
that would hand the person's history, private notes of their pair included, to whoever holds the
new address. (Re-provision the user to change it.) Names on the account are filled only where
empty: an account may belong to several organisations, and one directory does not rename it for
the others.

``active`` acts on its changes only: false ends the membership, true after false brings it back.
A member an HR admin removed in the app stays removed while the directory keeps saying
``active: true`` (the removal was a person's decision); the directory re-activates them by
sending false, then true, or by deleting and re-creating the user.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from scim2_models import PatchOp

from mentorship.identity import provisioning
from mentorship.identity.models import DirectoryProfile, ScimUser
from mentorship.identity.scim import selectors
from mentorship.identity.scim.filters import user_name_key
from mentorship.identity.scim.protocol import ScimError, patched, replaced
from mentorship.identity.scim.render import Locate, kept_resource, user_resource
from mentorship.identity.scim.resources import EnterpriseUser, UserResource
from mentorship.models import Organization
from mentorship.web import error_text

SOURCE = "SCIM"


def _address(resource: UserResource) -> str:
    """The address to make the account for: the primary email, else a work one, else any, else
    the userName when it is an address."""
    emails = sorted(
        resource.emails or [],
        key=lambda e: (not e.primary, str(getattr(e.type, "value", e.type) or "") != "work"),
    )
    for candidate in [*(str(e.value or "") for e in emails), resource.user_name or ""]:
        candidate = candidate.strip().lower()
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    raise ScimError(
        400, "An email address is needed (emails, or a userName that is one).", "invalidValue"
    )


def _clip(value: str | None, field: str) -> str:
    limit = DirectoryProfile._meta.get_field(field).max_length
    return (value or "").strip()[:limit]


def _attributes(resource: UserResource) -> provisioning.DirectoryAttributes:
    """What the resource says of the person, as the directory profile keeps it. Absent values
    are "" (the resource is the whole state): a department the directory dropped is dropped."""
    extension = resource[EnterpriseUser]
    manager = extension.manager if extension else None
    return provisioning.DirectoryAttributes(
        department=_clip(extension.department if extension else None, "department"),
        title=_clip(resource.title, "title"),
        manager_email=selectors.manager_email(manager.value or "") if manager else "",
        employee_number=_clip(extension.employee_number if extension else None, "employee_number"),
    )


def _check_unique(resource: UserResource, scim_user: ScimUser | None) -> None:
    limit = ScimUser._meta.get_field("user_name").max_length
    if len(resource.user_name or "") > limit or len(resource.external_id or "") > limit:
        raise ScimError(400, f"userName and externalId hold {limit} characters.", "invalidValue")
    if selectors.user_name_taken(user_name=resource.user_name or "", excluding=scim_user):
        raise ScimError(409, "Another user has this userName.", "uniqueness")
    if selectors.external_id_taken(external_id=resource.external_id or "", excluding=scim_user):
        raise ScimError(409, "Another user has this externalId.", "uniqueness")


def _refused(exc: ValidationError) -> ScimError:
    """A rule of the organisation refused the change (the last HR admin cannot go)."""
    return ScimError(409, error_text(exc), "mutability")


def scim_user_create(*, organization: Organization, resource: UserResource) -> ScimUser:
    if not (resource.user_name or "").strip():
        raise ScimError(400, "userName is required.", "invalidValue")
    email = _address(resource)
    try:
        with transaction.atomic():
            _check_unique(resource, None)
            name = resource.name
            try:
                user = provisioning.user_for_email(
                    organization=organization,
                    email=email,
                    first_name=(name.given_name or "") if name else "",
                    last_name=(name.family_name or "") if name else "",
                )
            except provisioning.AccountNotOurs as exc:
                raise ScimError(409, str(exc), "uniqueness") from exc
            if ScimUser.objects.filter(membership__user=user).exists():
                raise ScimError(
                    409, f"{email} is already provisioned as another user.", "uniqueness"
                )
            membership = provisioning.member_provision(
                organization=organization,
                user=user,
                attributes=_attributes(resource),
                source=SOURCE,
            )
            now = timezone.now()
            scim_user = ScimUser.objects.create(
                organization=organization,
                membership=membership,
                external_id=resource.external_id or "",
                user_name=resource.user_name.strip(),
                user_name_key=user_name_key(resource.user_name),
                active=resource.active is not False,
                resource=kept_resource(resource),
                created_at=now,
                updated_at=now,
            )
            if not scim_user.active:
                provisioning.member_deprovision(membership=membership, source=SOURCE)
    except ValidationError as exc:
        raise _refused(exc) from exc
    except IntegrityError as exc:  # a concurrent create of the same user
        raise ScimError(409, "This user already exists.", "uniqueness") from exc
    return scim_user


def _apply(scim_user: ScimUser, resource: UserResource) -> ScimUser:
    """Make the row, the membership and the directory profile what ``resource`` says."""
    if not (resource.user_name or "").strip():
        raise ScimError(400, "userName is required.", "invalidValue")
    try:
        with transaction.atomic():
            _check_unique(resource, scim_user)
            membership = scim_user.membership
            # Unassigned (removed, or left out of a PUT): the state stays as it is.
            active = scim_user.active if resource.active is None else resource.active
            if active and not scim_user.active:
                # Back from deprovisioning: a participant again, nothing more.
                provisioning.member_provision(
                    organization=scim_user.organization, user=membership.user, source=SOURCE
                )
                membership.refresh_from_db()
            provisioning.directory_profile_update(
                membership=membership, attributes=_attributes(resource)
            )
            if scim_user.active and not active:
                provisioning.member_deprovision(membership=membership, source=SOURCE)
            scim_user.user_name = resource.user_name.strip()
            scim_user.user_name_key = user_name_key(resource.user_name)
            scim_user.external_id = resource.external_id or ""
            scim_user.active = active
            scim_user.resource = kept_resource(resource)
            scim_user.updated_at = timezone.now()
            scim_user.save()
    except ValidationError as exc:
        raise _refused(exc) from exc
    except IntegrityError as exc:
        raise ScimError(409, "Another user has this userName or externalId.", "uniqueness") from exc
    return scim_user


def scim_user_replace(*, scim_user: ScimUser, resource: UserResource, locate: Locate) -> ScimUser:
    """PUT: the resource becomes what was sent (read-only attributes kept, immutable checked)."""
    replaced(resource, user_resource(scim_user, locate))
    return _apply(scim_user, resource)


def scim_user_patch(*, scim_user: ScimUser, patch: PatchOp, locate: Locate) -> ScimUser:
    resource = user_resource(scim_user, locate)
    patched(patch, resource)
    return _apply(scim_user, resource)


def scim_user_delete(*, scim_user: ScimUser) -> None:
    """End the membership (history kept) and forget the SCIM user: its id answers 404 from now
    on, and the same person may be provisioned again."""
    try:
        with transaction.atomic():
            provisioning.member_deprovision(membership=scim_user.membership, source=SOURCE)
            scim_user.delete()
    except ValidationError as exc:
        raise _refused(exc) from exc
