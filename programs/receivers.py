"""Reactions to kernel events; each only calls a service."""

from __future__ import annotations

from typing import Any

from mentorship.models import Membership
from programs.services import participants as participant_services


def link_participants(sender: Any, membership: Membership, **kwargs: Any) -> None:
    participant_services.participants_link_membership(membership=membership)


def apply_directory_attributes(
    sender: Any, membership: Membership, attributes: dict[str, Any], **kwargs: Any
) -> None:
    participant_services.participants_apply_directory(membership=membership, attributes=attributes)
