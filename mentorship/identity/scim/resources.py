"""What the SCIM endpoint speaks: its resource models (scim2-models, adjusted where the RFC's
own schema and real identity providers disagree with the library's defaults) and what the
discovery endpoints publish about them."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    Context,
    ETag,
    Extension,
    Filter,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    Schema,
    ScimPolicy,
    ServiceProviderConfig,
    Sort,
    User,
)

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
MAX_RESULTS = 200  # per page: a larger ``count`` is served as this many (RFC 7644 §3.4.2.4)


class Manager(ComplexAttribute):
    """The manager of the Enterprise User extension. RFC 7643 §8.7.1 makes neither sub-attribute
    required, and Entra ID and Okta send ``{"value": …}`` alone (scim2-models requires
    ``$ref``, which would refuse them)."""

    value: Annotated[str | None, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, CaseExact.true] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display_name: Annotated[str | None, Mutability.read_only] = None


class EnterpriseUser(Extension):
    __schema__ = URN(ENTERPRISE_URN)

    employee_number: str | None = None
    cost_center: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None
    manager: Manager | None = None


class GroupMember(ComplexAttribute):
    """A member of a group: one of the organisation's SCIM users (groups do not nest here).

    ``display`` is read-only: it is the directory's label for the member, which we do not keep
    (RFC 7643 §2.4 gives it no meaning beyond display), so a client's is dropped, not refused."""

    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])
    display: Annotated[str | None, Mutability.read_only] = None


class Group(Resource[Any]):
    __schema__ = URN(GROUP_URN)

    display_name: Annotated[str | None, Required.true] = None
    members: list[GroupMember] | None = None

    Members: ClassVar[type[ComplexAttribute]] = GroupMember


UserResource = User[EnterpriseUser]
GroupResource = Group

# Okta and Entra ID depart from the RFC in known ways: Entra writes "Add"/"Replace" (the library
# already ignores the case of ``op``), sends ``remove`` with a value naming what to remove, and
# adds to ``emails[type eq "work"].value`` before any work address exists. Unknown attributes
# stay refused (400 invalidSyntax): silently dropping them would hide a mapping mistake.
POLICY = ScimPolicy(
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def without_member_display(patch: Any) -> Any:
    """A group PATCH body without the members' ``display`` labels. Okta and Entra ID send them;
    they are read-only here (see ``GroupMember``), which a PATCH would refuse where a POST or
    a PUT drops them."""
    if not isinstance(patch, dict) or not isinstance(patch.get("Operations"), list):
        return patch

    def strip(value: Any) -> Any:
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, dict):
            cleaned = {k: v for k, v in value.items() if k.casefold() != "display"}
            if isinstance(cleaned.get("members"), list):
                cleaned["members"] = strip(cleaned["members"])
            return cleaned
        return value

    for operation in patch["Operations"]:
        if not isinstance(operation, dict):
            continue
        path = str(operation.get("path") or "").casefold()
        if path.startswith("members") and "value" in operation:
            operation["value"] = strip(operation["value"])
        elif not path and isinstance(operation.get("value"), dict):
            members = operation["value"].get("members")
            if isinstance(members, list):
                operation["value"]["members"] = strip(members)
    return patch


def service_provider_config(*, documentation_uri: str | None = None) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=documentation_uri,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A provisioning token made by an HR admin in Settings, sent as "
                "'Authorization: Bearer scim_…'.",
                primary=True,
            )
        ],
    )


def resource_types() -> list[ResourceType]:
    user = ResourceType.from_resource(UserResource)
    user.description = "People of the organisation; each is one membership."
    group = ResourceType.from_resource(GroupResource)
    group.description = "Directory groups; Settings may map one to a role."
    return [user, group]


def _required_emails(schema: Schema) -> Schema:
    """The User schema as we publish it: an account is made for an email address, so
    ``emails`` (and its ``value``) are required. A request whose ``userName`` is itself an
    address is accepted without them (Entra ID's user principal name), a leniency the schema
    cannot express."""
    for attribute in schema.attributes or []:
        if attribute.name == "emails":
            attribute.required = Required.true
            for sub in attribute.sub_attributes or []:
                if sub.name == "value":
                    sub.required = Required.true
    return schema


def schemas() -> list[Schema]:
    user = _required_emails(User.to_schema())
    enterprise = EnterpriseUser.to_schema()
    group = Group.to_schema()
    return [user, enterprise, group]


def schema_ids() -> list[str]:
    return [USER_URN, ENTERPRISE_URN, GROUP_URN]


def dump(obj: Any, *, context: Context = Context.RESOURCE_QUERY_RESPONSE, **kwargs: Any) -> dict:
    """A model as SCIM JSON (camelCase, no nulls, what the context returns)."""
    return obj.model_dump(scim_ctx=context, **kwargs)
