"""Writes of a program's executive sponsors."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mentorship.models import Membership
from programs.models import (
    Program,
    ProgramSponsor,
)


def program_sponsor_add(*, program: Program, membership: Membership) -> ProgramSponsor:
    if not membership.is_sponsor or membership.removed_at is not None:
        raise ValidationError(_("Only members with the executive sponsor role can sponsor."))
    sponsor, _created = ProgramSponsor.objects.get_or_create(
        organization=program.organization, program=program, membership=membership
    )
    return sponsor


def program_sponsor_remove(*, program: Program, membership_id: int) -> None:
    ProgramSponsor.objects.filter(program=program, membership_id=membership_id).delete()
