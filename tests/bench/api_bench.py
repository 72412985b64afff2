"""The participants list of the API at scale: ``GET /api/v1/participants/?page_size=100`` with
a key of the ``seed_scale`` organisation (20,000 participants by default), through the full
Django stack, beside ``/healthz`` measured in the same run: the median and p95, the queries,
and the ratio of the median to /healthz. The first page, and a page 10,000 rows deep (reached
by walking the cursor): a cursor page costs the same wherever it is.

``python -m tests.bench.api_bench [PARTICIPANTS]`` runs on a throw-away test database, like
``tests/bench/run.py``. :func:`run_api_bench` expects a database that is already set up, and
reuses the organisation when an earlier bench seeded it (``tests/bench/scale_bench.py``).

The per-key rate limit is lifted while timing: it would answer 429 to a bench's burst, and it
is the cost of the page that is measured, not the limit.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from io import StringIO
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

from mentorship.api.services import api_key_create  # noqa: E402
from mentorship.models import Organization  # noqa: E402
from mentorship.tenancy import tenant_scope  # noqa: E402
from programs.models import Participant  # noqa: E402

PAGE = "/api/v1/participants/?page_size=100"
# How deep the second timed page is, in rows (walked 100 at a time to get its cursor).
DEEP_ROWS = 10_000
Measure = Callable[[Client, str], tuple[float, float, int]]


def measure(client: Client, path: str, requests: int = 50) -> tuple[float, float, int]:
    """Median and p95 milliseconds over ``requests`` requests, and the queries of one."""
    client.get(path)  # warm-up
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200, path
    query_count = len(queries)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], query_count


def _organization(org: str, participants: int) -> tuple[Organization, float]:
    """The scale organisation, seeded unless an earlier bench did; and the seconds it took."""
    existing = Organization.objects.filter(slug=org).first()
    if existing is not None:
        return existing, 0.0
    start = time.perf_counter()
    call_command(
        "seed_scale",
        "--org",
        org,
        "--participants",
        str(participants),
        "--seed",
        "1",
        stdout=StringIO(),
    )
    return Organization.objects.get(slug=org), time.perf_counter() - start


def _deep_page(client: Client, rows: int) -> tuple[str, int]:
    """The path of the page after ``rows`` rows (or of the last page), by following ``next``
    links; and how many rows come before it."""
    path, before = PAGE, 0
    while before + 100 <= rows:
        link = client.get(path).json()["next"]
        if not link:
            break
        path, before = link.removeprefix("http://testserver"), before + 100
    return path, before


def run_api_bench(
    participants: int, measure: Measure = measure, org: str = "bench"
) -> dict[str, Any]:
    organization, seed_seconds = _organization(org, participants)
    with tenant_scope(organization):
        _, key = api_key_create(
            organization=organization, name="Bench", can_write=False, actor=None
        )
        rows = Participant.objects.count()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    with override_settings(API_RATE_LIMIT=""):
        timings = [("/healthz", *measure(Client(), "/healthz"))]
        timings.append((PAGE, *measure(client, PAGE)))
        deep, before = _deep_page(client, DEEP_ROWS)
        timings.append((f"the same, {before:,} rows in (cursor)", *measure(client, deep)))
    return {
        "engine": connection.vendor,
        "org": org,
        "participants": rows,
        "seed_seconds": seed_seconds,
        "rows": timings,
    }


def print_table(result: dict[str, Any]) -> None:
    seeded = f"; seeded in {result['seed_seconds']:.1f} s" if result["seed_seconds"] else ""
    print(
        f"API participants list ({result['engine']}, organisation '{result['org']}' of "
        f"{result['participants']:,} participants{seeded}; read key, test client)"
    )
    print(f"{'request':<52}{'median ms':>10}{'p95 ms':>9}{'queries':>9}{'x healthz':>11}")
    base = result["rows"][0][1]
    for path, median, p95, queries in result["rows"]:
        print(f"{path:<52}{median:>10.2f}{p95:>9.2f}{queries:>9}{median / base:>11.1f}")


def main() -> int:
    participants = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        print_table(run_api_bench(participants))
    finally:
        teardown_databases(old, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
