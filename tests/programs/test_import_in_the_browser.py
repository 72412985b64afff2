"""The participant import in the browser: a failed import says why and can be retried, a file
with errors cannot be confirmed, and a running import shows its progress live."""

from __future__ import annotations

from programs.models import ImportJob
from tests.conftest import Tenant
from tests.programs.conftest import url


def test_a_failed_import_says_why_and_can_be_retried(
    alpha: Tenant, program, client_for, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alpha.hr)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        url(program, "participants/import/"),
        {
            "file": SimpleUploadedFile(
                "p.csv", b"email,first_name,last_name,side\na@example.com,A,B,junior\n"
            )
        },
    )
    with alpha.scope():
        job = ImportJob.objects.get()
    from programs.services import imports as importer

    def boom(**kwargs: object) -> None:
        raise ValueError("disk full")

    monkeypatch.setattr(importer, "participants_import", boom)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(program, f"participants/import/{job.pk}/confirm/"))
    page = client.get(url(program, f"participants/import/{job.pk}/")).content.decode()
    assert "The import failed" in page and "disk full" in page
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(program, f"participants/import/{job.pk}/confirm/"))
    page = client.get(url(program, f"participants/import/{job.pk}/")).content.decode()
    with alpha.scope():
        job.refresh_from_db()
    assert "Import finished:" in page and "1 created, 0 updated" in page, job.summary


def test_confirming_a_file_with_errors_says_so(alpha: Tenant, program, client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(alpha.hr)
    client.post(
        url(program, "participants/import/"),
        {"file": SimpleUploadedFile("p.csv", b"email,first_name,last_name,side\nbad,A,B,junior\n")},
    )
    with alpha.scope():
        job = ImportJob.objects.get()
    page = client.post(
        url(program, f"participants/import/{job.pk}/confirm/"), follow=True
    ).content.decode()
    assert "This file has errors" in page


def test_a_running_import_shows_live_progress(alpha: Tenant, program, client_for) -> None:
    from django.core.cache import cache

    from programs.tasks import progress_key

    with alpha.scope():
        job = ImportJob.objects.create(
            organization=alpha.organization,
            program=program,
            filename="big.csv",
            status=ImportJob.Status.RUNNING,
            total=10_000,
        )
    cache.set(progress_key(job.pk), 2_500)
    client = client_for(alpha.hr)
    partial = client.get(url(program, f"participants/import/{job.pk}/"), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "2500 of 10000" in body and 'hx-trigger="every 1s"' in body and "<html" not in body
    assert 'value="2500" max="10000"' in body
