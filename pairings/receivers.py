"""Reactions to kernel events; each only calls a service."""

from __future__ import annotations

from typing import Any

from mentorship.models import Membership, User
from mentorship.tenancy import across_all_organizations, tenant_scope
from pairings import meetings


def revoke_calendar_feed(sender: Any, membership: Membership, **kwargs: Any) -> None:
    """A removed member's feed is deleted, not just refused: the membership row is reused if they
    come back, and their old secret URL must not come back with it."""
    # The sender may run outside a request (a command, a task): scope explicitly.
    with tenant_scope(membership.organization):
        meetings.calendar_feed_revoke(membership=membership)


def revoke_feed_of_removed_membership(
    sender: Any, instance: Membership, created: bool, **kwargs: Any
) -> None:
    """Any save that leaves a membership removed (the operator admin's form too, which does not
    go through the removal service) deletes its feed."""
    if instance.removed_at is not None:
        with tenant_scope(instance.organization):
            meetings.calendar_feed_revoke(membership=instance)


def revoke_feeds_of_deactivated_account(
    sender: Any, instance: User, created: bool, **kwargs: Any
) -> None:
    """A deactivated account loses its feeds for good: turned on again, it makes new ones, and
    the old secret URLs stay dead."""
    if instance.is_active or created:
        return
    # On purpose across organisations: the account's memberships, each in its own scope.
    with across_all_organizations():
        memberships = list(Membership.objects.filter(user=instance).select_related("organization"))
    for membership in memberships:
        with tenant_scope(membership.organization):
            meetings.calendar_feed_revoke(membership=membership)
