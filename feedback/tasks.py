"""Background work of the feedback app: the cycles' dispatch."""

from __future__ import annotations

from celery import shared_task

from feedback import services
from feedback.models import FeedbackCycle
from mentorship.models import Organization
from mentorship.tasks import ReliableTask, TenantTask
from mentorship.tenancy import across_all_organizations


@shared_task(base=ReliableTask)
def dispatch_feedback_cycles() -> int:
    """Beat dispatcher: one pass per organisation with cycles still to open, remind or close."""
    with across_all_organizations():
        organizations = list(
            FeedbackCycle.objects.exclude(status=FeedbackCycle.Status.CLOSED)
            .values_list("organization_id", flat=True)
            # Without this, the model's ordering joins the DISTINCT: one pass per cycle.
            .order_by()
            .distinct()
        )
    for organization_id in organizations:
        run_feedback_cycles.delay(organization_id=organization_id)
    return len(organizations)


@shared_task(base=TenantTask)
def run_feedback_cycles(*, organization_id: int) -> dict[str, int]:
    return services.cycles_dispatch(organization=Organization.objects.get(pk=organization_id))
