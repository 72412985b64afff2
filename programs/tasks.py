"""Background work of the programs app."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import translation

from mentorship.tasks import TRANSIENT_ERRORS, TenantTask
from programs import selectors
from programs.models import ImportJob
from programs.services import imports as import_services


def progress_key(job_id: int) -> str:
    return f"programs:import-progress:{job_id}"


@shared_task(base=TenantTask, bind=True)
def run_participant_import(
    self: TenantTask, *, organization_id: int, job_id: int, language: str | None = None
) -> str:
    """Write a confirmed import (:func:`programs.services.imports.import_job_run`). A crash
    writes nothing; a failure that will not be retried marks the job failed, with the reason,
    so the page stops waiting. ``language`` is the language of the HR admin who confirmed it
    (the reason is stored in it); tasks queued without one use the default."""
    if not language:
        return _run_participant_import(self, job_id=job_id)
    with translation.override(language):
        return _run_participant_import(self, job_id=job_id)


def _run_participant_import(task: TenantTask, *, job_id: int) -> str:
    job = selectors.import_job_to_run(job_id=job_id)
    if job.status != ImportJob.Status.RUNNING:
        return job.status

    def progress(done: int) -> None:
        # The cache, not the job row: the row's updates are invisible until the import commits.
        cache.set(progress_key(job.pk), done, timeout=3600)

    try:
        return import_services.import_job_run(job=job, progress=progress)
    except Exception as exc:
        if isinstance(exc, TRANSIENT_ERRORS) and task.request.retries < task.max_retries:
            raise  # retried with back-off; the job stays "importing"
        import_services.import_job_fail(job=job, exc=exc)
        return ImportJob.Status.FAILED
