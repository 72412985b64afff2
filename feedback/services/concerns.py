"""Writes of confidential concerns: participants raise them; HR admins resolve them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback.models import Concern
from mentorship import services as kernel
from mentorship.web import tenant_url
from programs.models import Participant


def concern_raise(*, participant: Participant, kind: str, text: str) -> Concern:
    """A confidential concern: HR admins are told; nobody else sees it."""
    if participant.status not in (Participant.Status.APPROVED, Participant.Status.APPLIED):
        raise ValidationError(_("You are no longer in this program."))
    with transaction.atomic():
        concern = Concern.objects.create(
            organization=participant.organization, participant=participant, kind=kind, text=text
        )
        # Lazy texts: each HR admin reads them in their own language (notification_send).
        kernel.notify_hr_admins(
            organization=participant.organization,
            subject=format_lazy(
                gettext_lazy("A concern was raised in {program}"),
                program=participant.program.name,
            ),
            body=format_lazy(
                # Translators: {kind} is the kind of concern, e.g. "I need help".
                gettext_lazy("{kind}. Open the concerns page to read it."),
                kind=Concern.Kind(concern.kind).label,
            ),
            url=tenant_url(participant.organization, "concerns"),
        )
    return concern


def concern_resolve(*, concern: Concern) -> None:
    if concern.resolved_at is None:
        concern.resolved_at = timezone.now()
        concern.save(update_fields=["resolved_at"])
