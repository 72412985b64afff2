"""Import a program's participants from a CSV file: every row, or nothing at all.

The same service the browser import uses (programs.services.imports); this only reads the file,
picks the organisation and program by slug, and prints what happened.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from mentorship import services as kernel
from mentorship.models import AuditEvent, Organization
from mentorship.tenancy import tenant_scope
from mentorship.web import error_text
from programs.csv_parser import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from programs.models import Program
from programs.services.imports import participants_import_from_text
from programs.services.programs import ensure_open_for_participants


def read_text(path: str) -> str:
    """The file as text: UTF-8, with or without a byte-order mark."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path} is not UTF-8 text (byte {exc.start}). Save it as CSV UTF-8 and try again."
        ) from exc


class Command(BaseCommand):
    help = (
        "Import participants of a program from a CSV file with a header row. Required columns: "
        f"{', '.join(REQUIRED_COLUMNS)}; optional: {', '.join(OPTIONAL_COLUMNS)} (offers and "
        "wants are topic names separated by ';'). If any row is invalid nothing is imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="organisation slug")
        parser.add_argument("--program", required=True, metavar="SLUG", help="program slug")
        parser.add_argument("file", help="path of the UTF-8 CSV file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and show what would change, without writing anything",
        )

    def handle(
        self, *args: Any, org: str, program: str, file: str, dry_run: bool, **options: Any
    ) -> None:
        started = time.perf_counter()
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug '{org}'.")
        with tenant_scope(organization):
            target = Program.objects.filter(slug=program).first()
            if target is None:
                raise CommandError(f"No program with the slug '{program}' in {organization.name}.")
            text = read_text(file)
            try:
                ensure_open_for_participants(target)
            except ValidationError as exc:
                raise CommandError(error_text(exc)) from exc
            with transaction.atomic():
                outcome = participants_import_from_text(
                    program=target, text=text, invited_by=None, dry_run=dry_run
                )
                summary = outcome.summary
                if summary is not None and (summary.created or summary.updated):
                    kernel.audit_record(
                        organization=organization,
                        action=AuditEvent.Action.PARTICIPANTS_IMPORTED,
                        summary=f"{Path(file).name} (command line): {summary.created} created, "
                        f"{summary.updated} updated, {summary.unchanged} unchanged into "
                        f"{target.name}",
                    )

        errors = outcome.parse.errors
        if errors:
            for line, reason in errors:
                self.stderr.write(f"line {line}: {reason}")
            plural = "row" if len(errors) == 1 else "rows"
            raise CommandError(f"{len(errors)} invalid {plural}; nothing was imported.")

        if outcome.preview is not None:
            preview = outcome.preview
            self.stdout.write(
                f"Dry run: would create {preview.to_create}, update {preview.to_update}, "
                f"leave {preview.unchanged} unchanged."
            )
            new_topics = ", ".join(preview.new_topics) or "none"
            self.stdout.write(f"New topics: {new_topics}")
            self.stdout.write("Nothing was written.")
            return

        assert summary is not None  # a clean file that was not a dry run was imported
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"created {summary.created}, updated {summary.updated}, "
                f"unchanged {summary.unchanged}, invited {summary.invited}"
            )
        )
        self.stdout.write(f"{len(outcome.parse.rows)} rows in {elapsed:.2f} s")
