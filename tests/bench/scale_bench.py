"""Pages at enterprise scale: ``seed_scale`` builds a large organisation (20,000 participants by
default), then every dashboard and list page is timed through the full Django stack with a
signed-in user, beside ``/healthz`` measured in the same run, and the reminder dispatch is timed
on the same data (a first run that sends what is due, then a second that must send nothing).

:func:`run_scale_bench` expects a database that is already set up (see ``tests/bench/run.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test import Client

from mentorship.models import Organization, User
from mentorship.tenancy import tenant_scope

PASSWORD = "bench-password"


def _paths(org: str) -> list[tuple[str, str]]:
    """(path, viewer email) for every dashboard and list page, on the scale organisation."""
    from feedback.models import FeedbackCycle
    from pairings.models import Pairing
    from programs.models import Program

    organization = Organization.objects.get(slug=org)
    with tenant_scope(organization):
        program = Program.objects.order_by("name").first()
        assert program is not None, "seed_scale made no program"
        cycle = (
            FeedbackCycle.objects.filter(program=program, status=FeedbackCycle.Status.CLOSED)
            .order_by("-closed_at")
            .first()
        )
        pairing = Pairing.objects.filter(
            mentor__membership__user__email=f"participant@{org}.example"
        ).first()
    p = f"/o/{org}/programs/{program.slug}"
    hr, sponsor, person = (f"{who}@{org}.example" for who in ("admin", "sponsor", "participant"))
    pages = [
        (f"/o/{org}/", hr),
        (f"/o/{org}/dashboard/", hr),
        (f"/o/{org}/dashboard/", sponsor),
        (f"/o/{org}/dashboard/?department=Engineering", hr),
        (f"{p}/dashboard/", hr),
        (f"{p}/dashboard/", sponsor),
        (f"{p}/dashboard/sessions.csv", sponsor),
        (f"/o/{org}/members/", hr),
        (f"/o/{org}/invitations/", hr),
        (f"/o/{org}/notifications/", hr),
        (f"/o/{org}/audit/", hr),
        (f"/o/{org}/programs/", hr),
        (f"{p}/", hr),
        (f"{p}/participants/", hr),
        (f"{p}/participants/?side=senior&training=done", hr),
        (f"/o/{org}/topics/", hr),
        (f"{p}/feedback/", hr),
        (f"/o/{org}/surveys/", hr),
        (f"/o/{org}/concerns/", hr),
        (f"/o/{org}/", person),
        (f"/o/{org}/pairs/", person),
    ]
    if cycle is not None:
        pages.append((f"{p}/feedback/{cycle.pk}/", sponsor))
    if pairing is not None:
        pages.append((f"/o/{org}/pairs/{pairing.pk}/", person))
        pages.append((f"/o/{org}/pairs/{pairing.pk}/meetings/", person))
        pages.append((f"/o/{org}/pairs/{pairing.pk}/sessions/", person))
    return pages


def _dashboards(org: str) -> list[tuple[str, str]]:
    """The dashboards only (the issue-14 targets): the organisation's for the HR admin, the
    sponsor and one department, and one program's."""
    return [
        (path, email) for path, email in _paths(org) if "/dashboard/" in path and ".csv" not in path
    ]


def run_scale_bench(
    participants: int,
    measure: Callable[[Client, str], tuple[float, float, int]],
    org: str = "bench",
    dashboards_only: bool = False,
) -> dict[str, Any]:
    start = time.perf_counter()
    call_command(
        "seed_scale",
        "--org",
        org,
        "--participants",
        str(participants),
        "--seed",
        "1",
        "--password",
        PASSWORD,
        stdout=StringIO(),
    )
    seconds = time.perf_counter() - start
    clients: dict[str | None, Client] = {None: Client()}
    rows = [("/healthz", "", *measure(clients[None], "/healthz"))]
    for path, email in _dashboards(org) if dashboards_only else _paths(org):
        if email not in clients:
            clients[email] = Client()
            clients[email].force_login(User.objects.get(email=email))
        rows.append((path, email.split("@")[0], *measure(clients[email], path)))
    return {
        "participants": participants,
        "org": org,
        "seed_seconds": seconds,
        "rows": rows,
        "dispatch": None if dashboards_only else _dispatch(org),
        "engine": connection.vendor,
    }


def _dispatch(org: str) -> tuple[float, int, float, int]:
    """The reminder dispatcher on the scale organisation: what is due now, then again."""
    from pairings.reminders import reminders_send_due

    organization = Organization.objects.get(slug=org)
    with tenant_scope(organization):
        start = time.perf_counter()
        first = reminders_send_due(organization=organization)
        first_seconds = time.perf_counter() - start
        start = time.perf_counter()
        second = reminders_send_due(organization=organization)
        second_seconds = time.perf_counter() - start
    return first_seconds, first, second_seconds, second


def print_table(result: dict[str, Any]) -> None:
    rows = result["rows"]
    base = rows[0][2]
    print(
        f"Pages at scale ({result['engine']}, seed_scale --participants "
        f"{result['participants']}: seeded in {result['seed_seconds']:.1f} s; "
        "signed-in users, test client)"
    )
    print(
        f"{'page':<64}{'viewer':>12}{'median ms':>10}{'p95 ms':>9}{'queries':>9}{'x healthz':>11}"
    )
    # Issue 14: the organisation dashboard (HR admin, sponsor, any filter) at most 50 ms median at
    # 20,000 participants and 100 ms at 100,000; every other page at most 100 ms.
    for path, viewer, median, p95, queries in rows:
        organisation_dashboard = path.split("?")[0].endswith(f"/o/{result['org']}/dashboard/")
        page_limit = 50 if organisation_dashboard and result["participants"] <= 20000 else 100
        flag = f"  over {page_limit} ms" if median > page_limit else ""
        print(
            f"{path[:64]:<64}{viewer:>12}{median:>10.2f}{p95:>9.2f}{queries:>9}"
            f"{median / base:>11.1f}{flag}"
        )
    if result["dispatch"] is None:
        return
    first_s, first_n, second_s, second_n = result["dispatch"]
    print(
        f"Reminder dispatch at scale: {first_n} reminders in {first_s:.2f} s; "
        f"run again: {second_n} in {second_s:.2f} s"
    )
