"""Background work of the feedback app: the cycles' dispatch."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from feedback import selectors
from feedback.services import cycles as cycle_services
from mentorship.models import Organization
from mentorship.tasks import ReliableTask, TenantTask
from mentorship.tenancy import across_all_organizations


@shared_task(base=ReliableTask)
def dispatch_feedback_cycles() -> int:
    """Beat dispatcher: one pass per organisation with a cycle to open, remind or close now."""
    with across_all_organizations():
        organizations = selectors.organizations_with_cycles_due(now=timezone.now())
    for organization_id in organizations:
        run_feedback_cycles.delay(organization_id=organization_id)
    return len(organizations)


@shared_task(base=TenantTask)
def run_feedback_cycles(*, organization_id: int) -> dict[str, int]:
    return cycle_services.cycles_dispatch(organization=Organization.objects.get(pk=organization_id))
