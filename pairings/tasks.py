"""Background work of the pairings app: computing matching proposals."""

from __future__ import annotations

from celery import shared_task

from mentorship.tasks import TenantTask
from pairings import services
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
