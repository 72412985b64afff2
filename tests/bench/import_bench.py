"""Participant import timings: the `import_participants` command end to end (parse + write).

Imports a generated CSV of distinct, valid participants into a fresh organisation and program,
then imports the same file again (which must change nothing), and prints both times.

``python -m tests.bench.import_bench [ROWS]`` runs on a throw-away test database, like
``tests/bench/run.py``. :func:`run_import_bench` expects a database that is already set up, so
another bench can call it inside its own.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import uuid
from io import StringIO
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

from mentorship.celery import app as celery_app  # noqa: E402
from mentorship.models import Organization  # noqa: E402
from mentorship.tenancy import tenant_scope  # noqa: E402
from programs.models import Program  # noqa: E402

TOPICS = [
    "AI tools",
    "Cloud",
    "Data literacy",
    "Social media",
    "Video calls",
    "Security",
    "Gen Z at work",
    "Strategy",
    "Finance",
    "Negotiation",
    "Leadership",
    "Public speaking",
    "Product thinking",
    "Hiring",
    "Remote work",
]
DEPARTMENTS = [f"Department {n}" for n in range(1, 11)]
SUMMARY = re.compile(r"created (\d+), updated (\d+), unchanged (\d+), invited (\d+)")


def write_csv(path: Path, rows: int) -> None:
    """``rows`` distinct valid participants: alternately junior and senior, ten departments,
    two or three topics each way, each reporting to another person of the file."""
    lines = [
        "email,first_name,last_name,side,department,title,level,manager_email,timezone,offers,wants"
    ]
    for i in range(rows):
        junior = i % 2 == 0
        manager = f"person{(i + 1) % rows}@bench.example" if rows > 1 else ""
        offers = ";".join(TOPICS[(i + k) % len(TOPICS)] for k in range(2 + i % 2))
        wants = ";".join(TOPICS[(i + 7 + k) % len(TOPICS)] for k in range(2 + (i + 1) % 2))
        lines.append(
            f"person{i}@bench.example,First{i},Last{i},{'junior' if junior else 'senior'},"
            f"{DEPARTMENTS[i % len(DEPARTMENTS)]},{'Analyst' if junior else 'Director'},"
            f"{1 + i % 5 if junior else 10 + i % 15},{manager},Europe/Paris,{offers},{wants}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed_import(org: str, program: str, path: Path) -> tuple[float, dict[str, int]]:
    out = StringIO()
    start = time.perf_counter()
    call_command("import_participants", "--org", org, "--program", program, str(path), stdout=out)
    elapsed = time.perf_counter() - start
    match = SUMMARY.search(out.getvalue())
    assert match, out.getvalue()
    keys = ("created", "updated", "unchanged", "invited")
    return elapsed, dict(zip(keys, map(int, match.groups()), strict=True))


def run_import_bench(rows: int = 10_000) -> dict[str, float | int | str]:
    """Time a first import and a re-import of ``rows`` participants (needs a ready database).

    Background tasks are enqueued, not run in-process, while timing: in production the emails
    go out in the worker, after the import has returned.
    """
    slug = f"import-bench-{uuid.uuid4().hex[:8]}"
    organization = Organization.objects.create(slug=slug, name="Import bench", mfa_required=False)
    with tenant_scope(organization):
        Program.objects.create(organization=organization, slug="bench", name="Bench")
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
            path = Path(folder) / "participants.csv"
            write_csv(path, rows)
            first_s, first = timed_import(slug, "bench", path)
            again_s, again = timed_import(slug, "bench", path)
    finally:
        celery_app.conf.task_always_eager = eager
    assert first["created"] == rows and again["unchanged"] == rows, (first, again)
    return {
        "engine": connection.vendor,
        "rows": rows,
        "first_import_s": round(first_s, 3),
        "reimport_s": round(again_s, 3),
        "created": first["created"],
        "unchanged": again["unchanged"],
        "invited": first["invited"],
    }


def print_table(result: dict[str, float | int | str]) -> None:
    print(f"Participant import ({result['engine']}, import_participants command, parse + write)")
    print(f"{'rows':>8}{'first import s':>16}{'re-import s':>13}{'created':>9}{'unchanged':>11}")
    print(
        f"{result['rows']:>8}{result['first_import_s']:>16.2f}{result['reimport_s']:>13.2f}"
        f"{result['created']:>9}{result['unchanged']:>11}"
    )


def main() -> int:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        print_table(run_import_bench(rows))
    finally:
        teardown_databases(old, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
