"""Background work of the programs app."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from mentorship import services as kernel
from mentorship.models import AuditEvent
from mentorship.tasks import TenantTask
from programs.models import ImportJob


def progress_key(job_id: int) -> str:
    return f"programs:import-progress:{job_id}"


@shared_task(base=TenantTask)
def run_participant_import(*, organization_id: int, job_id: int) -> str:
    """Write a confirmed import. The rows and the job's "done" state commit together, so a
    redelivered or retried task finds the job done and stops; a crash writes nothing."""
    from programs.importer import ParticipantRow, participants_import

    job = ImportJob.objects.select_related("program", "created_by").get(pk=job_id)
    if job.status != ImportJob.Status.RUNNING:
        return job.status
    rows = [ParticipantRow.from_dict(r) for r in job.rows]

    def progress(done: int) -> None:
        # The cache, not the job row: the row's updates are invisible until the import commits.
        cache.set(progress_key(job.pk), done, timeout=3600)

    with transaction.atomic():
        summary = participants_import(
            program=job.program, rows=rows, invited_by=job.created_by, progress=progress
        )
        job.status = ImportJob.Status.DONE
        job.summary = summary.to_dict()
        job.processed = len(rows)
        job.rows = []  # the people are in the program now; no second copy of their data
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "summary", "processed", "rows", "finished_at"])
        kernel.audit_record(
            organization=job.organization,
            action=AuditEvent.Action.PARTICIPANTS_IMPORTED,
            summary=f"{job.filename}: {summary.created} created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged into {job.program.name}",
            actor=job.created_by,
        )
    return job.status
