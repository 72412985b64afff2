"""Background work of the pairings app: matching proposals and reminders."""

from __future__ import annotations

from celery import shared_task

from mentorship.models import Organization
from mentorship.tasks import ReliableTask, TenantTask
from pairings import reminders, services
from pairings.models import MatchRun


@shared_task(base=TenantTask)
def compute_match_run(*, organization_id: int, run_id: int) -> str:
    """Compute one proposal. Idempotent: a finished run is left as it is."""
    run = MatchRun.objects.select_related("program").get(pk=run_id)
    try:
        return services.match_run_compute(run=run).status
    except Exception:
        MatchRun.objects.filter(pk=run.pk, status=MatchRun.Status.RUNNING).update(
            status=MatchRun.Status.FAILED
        )
        raise


@shared_task(base=ReliableTask)
def dispatch_reminders() -> int:
    """Beat dispatcher: one reminder pass per organisation that has pairs."""
    organizations = reminders.organizations_with_pairs_across_organizations()
    for organization_id in organizations:
        send_due_reminders.delay(organization_id=organization_id)
    return len(organizations)


@shared_task(base=TenantTask)
def send_due_reminders(*, organization_id: int) -> int:
    """Send what is due in one organisation; every send is claimed first, so reruns are safe."""
    return reminders.reminders_send_due(organization=Organization.objects.get(pk=organization_id))
