"""Reactions to other apps' events; each only calls a service."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from feedback import release_plans, selectors
from feedback.services import cycles as cycle_services
from feedback.services import templates as template_services
from mentorship.tenancy import tenant_scope
from programs.models import Program


def open_end_of_program_survey(sender: Any, program: Program, **kwargs: Any) -> None:
    """When a program closes, everyone gets the "End of program" survey (with the final
    self-rating per objective topic that gives the pre/post change)."""
    # Sent after commit, possibly outside the request: enter the program's scope explicitly.
    with tenant_scope(program.organization):
        template_services.templates_ensure_builtin(organization=program.organization)
        template = selectors.template_builtin(key="end-of-program")
        cycle = cycle_services.cycle_create_for_closed_program(
            program=program, template=template, opens_at=timezone.now()
        )
        cycle_services.cycles_dispatch(organization=program.organization, only=cycle)


def wake_open_cycles(sender: Any, program: Program, **kwargs: Any) -> None:
    """Newly approved participants are invited to the program's open surveys on the next pass."""
    cycle_services.cycles_wake(program=program)


def narrow_release_plans(sender: Any, organization: Any, k: int, **kwargs: Any) -> None:
    """A raised k narrows every closed survey's plan now (a lowered one changes nothing:
    plans are never widened)."""
    with tenant_scope(organization):
        release_plans.plans_narrow_all(k=k)
