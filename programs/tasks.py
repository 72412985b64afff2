"""Background work of the programs app."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from mentorship import services as kernel
from mentorship.models import AuditEvent
from mentorship.tasks import TRANSIENT_ERRORS, TenantTask
from programs.models import ImportJob


def progress_key(job_id: int) -> str:
    return f"programs:import-progress:{job_id}"


@shared_task(base=TenantTask, bind=True)
def run_participant_import(self: TenantTask, *, organization_id: int, job_id: int) -> str:
    """Write a confirmed import. The rows and the job's "done" state commit together, so a
    redelivered or retried task finds the job done and stops; a crash writes nothing. A failure
    that will not be retried marks the job failed, with the reason, so the page stops waiting."""
    job = ImportJob.objects.select_related("program", "created_by").get(pk=job_id)
    if job.status != ImportJob.Status.RUNNING:
        return job.status
    try:
        return _import(job)
    except Exception as exc:
        if isinstance(exc, TRANSIENT_ERRORS) and self.request.retries < self.max_retries:
            raise  # retried with back-off; the job stays "importing"
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            summary={**job.summary, "error": " ".join(getattr(exc, "messages", [str(exc)]))},
            finished_at=timezone.now(),
        )
        return ImportJob.Status.FAILED


def _import(job: ImportJob) -> str:
    from programs.importer import ParticipantRow, participants_import

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
