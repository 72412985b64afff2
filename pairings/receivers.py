"""Reactions to kernel events; each only calls a service."""

from __future__ import annotations

from typing import Any

from mentorship.models import Membership
from mentorship.tenancy import tenant_scope
from pairings import meetings


def revoke_calendar_feed(sender: Any, membership: Membership, **kwargs: Any) -> None:
    """A removed member's feed is deleted, not just refused: the membership row is reused if they
    come back, and their old secret URL must not come back with it."""
    # The sender may run outside a request (a command, a task): scope explicitly.
    with tenant_scope(membership.organization):
        meetings.calendar_feed_revoke(membership=membership)
