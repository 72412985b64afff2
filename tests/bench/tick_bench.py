"""Background work at scale: what a beat tick costs when nothing is due.

Beside the large organisation of the scale bench, ``seed_scale`` builds a 2,000-person one and
many small ones (BENCH_ORGS organisations of BENCH_ORG_SIZE people, default 500 of 40). Ticks
send what is due now until one finds nothing (the seeded data has reminders, prompts and surveys
due, and the import bench leaves thousands of invitations to email); then:

- each quiet organisation pass (reminders and quiet pairs, surveys) of the 2,000- and the large
  organisation, timed over several runs, with its queries: the same at both sizes;
- a whole tick of every dispatcher over every organisation, the way beat runs them each minute
  (median of several ticks).

:func:`run_tick_bench` expects a database that is already set up (see ``tests/bench/run.py``).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.services.cycles import cycles_dispatch
from mentorship.frame.ticks import tick
from mentorship.models import Notification, Organization
from mentorship.tenancy import across_all_organizations, tenant_scope
from pairings.models import Meeting
from pairings.reminders import reminders_send_due

RUNS = 20
MAX_DRAIN_TICKS = 50


def _seed(org: str, participants: int, orgs: int = 0, org_size: int = 0) -> float:
    start = time.perf_counter()
    args = ["--org", org, "--participants", str(participants), "--seed", "1"]
    if orgs:
        args += ["--orgs", str(orgs), "--org-size", str(org_size)]
    call_command("seed_scale", *args, stdout=StringIO())
    return time.perf_counter() - start


def _pass(organization: Organization, now: Any) -> tuple[float, int, float, int]:
    """Median ms and queries of one quiet reminder pass and one quiet survey pass."""
    with tenant_scope(organization):
        figures = []
        for run in (
            lambda: reminders_send_due(organization=organization, now=now),
            lambda: cycles_dispatch(organization=organization, now=now),
        ):
            with CaptureQueriesContext(connection) as queries:
                run()
            samples = []
            for _ in range(RUNS):
                start = time.perf_counter()
                run()
                samples.append((time.perf_counter() - start) * 1000)
            figures += [statistics.median(samples), len(queries)]
    return figures[0], figures[1], figures[2], figures[3]


def run_tick_bench(large_org: str) -> dict[str, Any]:
    orgs = int(os.environ.get("BENCH_ORGS", "500"))
    org_size = int(os.environ.get("BENCH_ORG_SIZE", "40"))
    seed_seconds = _seed("bench-2k", 2000, orgs, org_size)
    now = timezone.now()
    # Send what is due until a tick finds nothing: the seeded data, and whatever the benches
    # before this one left (the import bench's 6,500 invitations go out 500 a tick).
    drain = [sum(r.sent for r in tick(now=now))]
    while drain[-1] and len(drain) < MAX_DRAIN_TICKS:
        drain.append(sum(r.sent for r in tick(now=now)))
    with across_all_organizations():
        # Their emails went out (the dispatcher leaves the last 30 s to their own wake-up).
        Notification.objects.filter(emailed_at__isnull=True).update(emailed_at=now)
        # Seeded an hour ago as far as the invitation catch-up goes (it reads the meetings
        # changed in the last 15 minutes): a steady minute, not the one right after a bulk load.
        Meeting.objects.update(updated_at=now - timedelta(hours=1))
    passes = {
        size: _pass(Organization.objects.get(slug=slug), now)
        for size, slug in (("2,000", "bench-2k"), ("large", large_org))
    }
    ticks = []
    for _ in range(5):
        rows = tick(now=now)
        ticks.append((sum(r.seconds for r in rows), sum(r.queries for r in rows), rows))
    # A quiet tick sends nothing; the table says so if one did.
    sent_timed = sum(r.sent for _, _, rows in ticks for r in rows)
    ticks.sort(key=lambda t: t[0])
    return {
        "orgs": orgs,
        "org_size": org_size,
        "organizations": Organization.objects.count(),
        "seed_seconds": seed_seconds,
        "drain": drain,
        "sent_timed": sent_timed,
        "passes": passes,
        "tick": ticks[len(ticks) // 2],
    }


def print_table(result: dict[str, Any], large: int) -> None:
    print(
        f"Beat ticks ({connection.vendor}): {result['organizations']} organisations "
        f"(the {large:,}-person one, a 2,000-person one, {result['orgs']} of "
        f"{result['org_size']}; seeded in {result['seed_seconds']:.0f} s). "
        f"Ticks until nothing was due: {len(result['drain'])}, sending "
        f"{', '.join(str(n) for n in result['drain'])}."
    )
    print(f"{'quiet pass of one organisation':<44}{'median ms':>10}{'queries':>9}")
    for size, (rem_ms, rem_q, cyc_ms, cyc_q) in result["passes"].items():
        label = f"{large:,}" if size == "large" else size
        print(f"{'reminders and quiet pairs, ' + label + ' people':<44}{rem_ms:>10.2f}{rem_q:>9}")
        print(f"{'surveys, ' + label + ' people':<44}{cyc_ms:>10.2f}{cyc_q:>9}")
    seconds, queries, rows = result["tick"]
    print(
        f"Whole quiet tick, every dispatcher over every organisation (median of 5): "
        f"{seconds * 1000:.1f} ms, {queries} queries"
        + ("" if not result["sent_timed"] else f"  NOT QUIET: {result['sent_timed']} sent")
    )
    for row in rows:
        print(f"  {row.name:<40}{row.seconds * 1000:>8.1f} ms{row.queries:>5} queries")
