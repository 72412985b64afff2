"""Writes of confidential concerns: participants raise them; HR admins resolve them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from feedback.models import Concern
from mentorship import services as kernel
from mentorship.web import tenant_url
from programs.models import Participant


def concern_raise(*, participant: Participant, kind: str, text: str) -> Concern:
    """A confidential concern: HR admins are told; nobody else sees it."""
    if participant.status not in (Participant.Status.APPROVED, Participant.Status.APPLIED):
        raise ValidationError("You are no longer in this program.")
    with transaction.atomic():
        concern = Concern.objects.create(
            organization=participant.organization, participant=participant, kind=kind, text=text
        )
        kernel.notify_hr_admins(
            organization=participant.organization,
            subject=f"A concern was raised in {participant.program.name}",
            body=f"{concern.get_kind_display()}. Open the concerns page to read it.",
            url=tenant_url(participant.organization, "concerns"),
        )
    return concern


def concern_resolve(*, concern: Concern) -> None:
    if concern.resolved_at is None:
        concern.resolved_at = timezone.now()
        concern.save(update_fields=["resolved_at"])
