"""CSV import in the browser: upload, preview with every bad row, confirm, progress."""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import error_text, posted, render_page_or_partial
from programs import selectors
from programs.forms import CsvUploadForm
from programs.models import ImportJob
from programs.services import imports as import_services
from programs.services.programs import ensure_open_for_participants
from programs.tasks import progress_key, run_participant_import
from programs.views._common import program_for

hr_only = role_required(Role.HR_ADMIN)


@require_http_methods(["GET", "POST"])
@hr_only
def import_upload(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    try:
        ensure_open_for_participants(program)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("program_detail", org_slug=org_slug, program_slug=program.slug)
    form = CsvUploadForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error(
                "file", _("The file is not UTF-8 text. Save it as “CSV UTF-8” and retry.")
            )
        else:
            job = import_services.import_job_create(
                program=program, created_by=request.user, filename=upload.name, text=text
            )
            return _job_redirect(request, program.slug, job.pk)
    return render(
        request,
        "programs/import_upload.html",
        {"program": program, "form": form, "recent": selectors.import_jobs_recent(program=program)},
    )


def _job_redirect(request: HttpRequest, program_slug: str, job_id: int) -> HttpResponse:
    return redirect(
        "import_job", org_slug=request.organization.slug, program_slug=program_slug, job_id=job_id
    )


@require_http_methods(["GET"])
@hr_only
def import_job(request: HttpRequest, org_slug: str, program_slug: str, job_id: int) -> HttpResponse:
    program = program_for(request, program_slug)
    job = selectors.import_job_get(program=program, job_id=job_id)
    processed = (
        cache.get(progress_key(job.pk), 0)
        if job.status == ImportJob.Status.RUNNING
        else job.processed
    )
    context = {
        "program": program,
        "job": job,
        "processed": processed,
        "percent": int(100 * processed / job.total) if job.total else 100,
        "form": CsvUploadForm(),
    }
    return render_page_or_partial(
        request, "programs/import_job.html", "programs/_import_progress.html", context
    )


@require_POST
@hr_only
def import_confirm(
    request: HttpRequest, org_slug: str, program_slug: str, job_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    job = selectors.import_job_get(program=program, job_id=job_id)
    if job.status == ImportJob.Status.INVALID:
        messages.error(request, _("This file has errors: fix them and upload it again."))
        return _job_redirect(request, program.slug, job.pk)
    # A double click or a second tab cannot start the same import twice; a failed import can be
    # tried again.
    if import_services.import_job_start(job=job):
        # The failure reason, if any, is stored in the language of the HR admin confirming.
        run_participant_import.delay_on_commit(
            organization_id=request.organization.pk,
            job_id=job.pk,
            language=translation.get_language(),
        )
    else:
        messages.info(request, _("This import has already started."))
    return _job_redirect(request, program.slug, job.pk)
