"""SCIM filters (parsed by scim2-models) turned into database conditions.

Only what identity providers send is supported: ``eq`` on the attributes they look people and
groups up by, joined with ``and`` / ``or``. Anything else is refused with ``invalidFilter``
rather than answered wrongly: a filter we ignored would return everyone, and a provider that
believes nobody matches creates duplicates. The values go to the ORM as parameters, never into
SQL text.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.db.models import Q
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    ValuePath,
)

from mentorship.identity.models import ScimGroup
from mentorship.identity.scim.protocol import ScimError
from mentorship.identity.scim.resources import GROUP_URN, USER_URN

Leaf = Callable[[str], Q]


def user_name_key(user_name: str) -> str:
    """userName is not case-exact (RFC 7643 §4.1.1): compared through this key."""
    return user_name.strip().casefold()


def _id(value: str) -> Q:
    try:
        return Q(scim_id=uuid.UUID(value))
    except ValueError:
        return Q(pk__in=[])  # not an id of ours: matches nothing


def _group_member(value: str) -> Q:
    try:
        scim_id = uuid.UUID(value)
    except ValueError:
        return Q(pk__in=[])
    through = ScimGroup.members.through.objects.filter(scimuser__scim_id=scim_id)
    return Q(pk__in=through.values("scimgroup_id"))


USER_LEAVES: dict[tuple[str, str | None], Leaf] = {
    ("id", None): _id,
    ("username", None): lambda v: Q(user_name_key=user_name_key(v)),
    ("externalid", None): lambda v: Q(external_id=v),
    # The address the account was made for: what a provider looks a person up by.
    ("emails", "value"): lambda v: Q(membership__user__email__iexact=v.strip()),
}

GROUP_LEAVES: dict[tuple[str, str | None], Leaf] = {
    ("id", None): _id,
    ("displayname", None): lambda v: Q(display_name__iexact=v),
    ("externalid", None): lambda v: Q(external_id=v),
    ("members", "value"): _group_member,
}


def _invalid(node: object) -> ScimError:
    return ScimError(
        400,
        f"Unsupported filter: {str(node)[:200]}. Supported: 'eq' on userName, externalId, "
        "emails.value, id (users); displayName, externalId, id, members.value (groups); "
        "joined with 'and' / 'or'.",
        "invalidFilter",
    )


def _leaf(attr: AttrPath, leaves: dict[tuple[str, str | None], Leaf], core: str) -> Leaf | None:
    if attr.uri is not None and attr.uri.casefold() != core.casefold():
        return None
    sub = attr.sub_attr.casefold() if attr.sub_attr else None
    return leaves.get((attr.attr.casefold(), sub))


def _comparison(node: Comparison, leaves: dict, core: str) -> Q:
    leaf = _leaf(node.attr_path, leaves, core)
    if leaf is None or node.op != CompareOperator.eq or not isinstance(node.value, str):
        raise _invalid(node)
    return leaf(node.value)


def _value_path(node: ValuePath, leaves: dict, core: str) -> Q:
    """``emails[type eq "work" and value eq "…"]`` and ``members[value eq "…"]``: the ``value``
    comparison decides; ``type`` / ``primary`` only qualify which entry it is (an account has
    one address, so they cannot make a difference)."""
    terms = (
        node.val_filter.terms
        if isinstance(node.val_filter, LogicalExpr) and node.val_filter.op == LogicalOperator.and_
        else (node.val_filter,)
    )
    found: Q | None = None
    for term in terms:
        if not isinstance(term, Comparison) or term.attr_path.sub_attr or term.attr_path.uri:
            raise _invalid(node)
        name = term.attr_path.attr.casefold()
        if name == "value" and found is None:
            path = AttrPath(node.attr_path.attr, "value", node.attr_path.uri)
            found = _comparison(Comparison(path, term.op, term.value), leaves, core)
        elif name not in ("type", "primary") or term.op != CompareOperator.eq:
            raise _invalid(node)
    if found is None or node.sub_attr:
        raise _invalid(node)
    return found


def _condition(node: FilterNode, leaves: dict, core: str, depth: int = 0) -> Q:
    if depth > 10:
        raise _invalid(node)
    if isinstance(node, Comparison):
        return _comparison(node, leaves, core)
    if isinstance(node, ValuePath):
        return _value_path(node, leaves, core)
    if isinstance(node, LogicalExpr) and node.terms:
        conditions = [_condition(term, leaves, core, depth + 1) for term in node.terms]
        combined = conditions[0]
        for condition in conditions[1:]:
            combined = (
                combined & condition if node.op == LogicalOperator.and_ else combined | condition
            )
        return combined
    raise _invalid(node)


def user_condition(node: FilterNode) -> Q:
    return _condition(node, USER_LEAVES, USER_URN)


def group_condition(node: FilterNode) -> Q:
    return _condition(node, GROUP_LEAVES, GROUP_URN)
