"""`make bench`: page timings through the full Django stack, on a throw-away test database.

Prints, for each page, the median and p95 server time over N requests by a signed-in user, the
number of queries, and the ratio of the median to /healthz measured in the same run; then the
import and matching figures, and the same at scale (``seed_scale``, BENCH_PARTICIPANTS, default
20,000; 0 skips it) with the reminder dispatch, the API's participants list
(``tests/bench/api_bench.py``), and beat ticks with nothing due over it, a 2,000-person
organisation and BENCH_ORGS small ones (default 500 of BENCH_ORG_SIZE 40; 0 skips).
The dashboards are timed again on an organisation of BENCH_LARGE participants (default 100,000;
0 skips it).

Then "Find a time" (``tests/bench/slots_bench.py``): the slot finder for two people with 2,000
busy intervals each (the issue's limit: 50 ms).

Before the scale figures, the burst (``tests/bench/burst_bench.py``): BENCH_BURST meeting
reminders (default 5,000; 0 skips it) due in the same minute in one organisation, delivered by
two real worker processes; the seconds until every email has gone (issue 14: at most 60).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from io import StringIO

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

from mentorship.models import User  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
HR = "admin@acme.example"
PAGES = [
    ("/healthz", None),
    ("/o/acme/", "admin@acme.example"),
    ("/o/acme/members/", "admin@acme.example"),
    ("/o/acme/members/?role=participant&q=junior", "admin@acme.example"),
    ("/o/acme/invitations/", "admin@acme.example"),
    ("/o/acme/notifications/", "admin@acme.example"),
    ("/o/acme/audit/", "admin@acme.example"),
    ("/o/acme/programs/", "admin@acme.example"),
    ("/o/acme/programs/digital-fluency/", "admin@acme.example"),
    ("/o/acme/programs/digital-fluency/participants/", "admin@acme.example"),
    ("/o/acme/programs/digital-fluency/participants/?side=senior&training=done", HR),
    ("/o/acme/topics/", "admin@acme.example"),
    ("/o/acme/programs/digital-fluency/matching/", "admin@acme.example"),
    ("/o/acme/dashboard/", "admin@acme.example"),
    ("/o/acme/dashboard/", "sponsor@acme.example"),
    ("/o/acme/programs/pilot/dashboard/", "sponsor@acme.example"),
]


def measure(client: Client, path: str, requests: int = REQUESTS) -> tuple[float, float, int]:
    client.get(path)  # warm-up
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200, path
    # Read now: the log is sliced lazily and later requests reset it.
    query_count = len(queries)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], query_count


def main() -> int:
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("seed_demo", stdout=StringIO())
        engine = connection.vendor
        clients: dict[str | None, Client] = {None: Client()}
        rows = []
        for path, email in PAGES:
            if email not in clients:
                clients[email] = Client()
                clients[email].force_login(User.objects.get(email=email))
            rows.append((path, *measure(clients[email], path)))
        base = rows[0][1]
        print(f"Pages ({engine}, {REQUESTS} requests each, signed-in HR admin, test client)")
        print(f"{'page':<72}{'median ms':>10}{'p95 ms':>9}{'queries':>9}{'x healthz':>11}")
        for path, median, p95, queries in rows:
            print(f"{path:<72}{median:>10.2f}{p95:>9.2f}{queries:>9}{median / base:>11.1f}")
        print()
        from tests.bench.import_bench import print_table, run_import_bench

        print_table(run_import_bench(int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))))
        print()
        from tests.bench import match_bench

        match_bench.print_table(
            match_bench.run_match_bench(int(os.environ.get("BENCH_MATCH_PER_SIDE", "2000")))
        )
        # "Find a time": the pure slot finder, two people with 2,000 busy intervals each.
        from tests.bench import slots_bench

        print()
        slots_bench.print_table(slots_bench.run_slots_bench())
        burst = int(os.environ.get("BENCH_BURST", "5000"))
        if burst:
            from tests.bench import burst_bench

            print()
            burst_bench.print_table(burst_bench.run_burst_bench(burst))
        participants = int(os.environ.get("BENCH_PARTICIPANTS", "20000"))
        if participants:
            from tests.bench import scale_bench

            print()
            scale_requests = int(os.environ.get("BENCH_SCALE_REQUESTS", "50"))
            scale_bench.print_table(
                scale_bench.run_scale_bench(
                    participants, lambda client, path: measure(client, path, scale_requests)
                )
            )
            # The API's participants list on the same organisation (seeded once, above).
            from tests.bench import api_bench

            print()
            api_bench.print_table(
                api_bench.run_api_bench(
                    participants, lambda client, path: measure(client, path, scale_requests)
                )
            )
            if int(os.environ.get("BENCH_ORGS", "500")):
                from tests.bench import tick_bench

                print()
                tick_bench.print_table(tick_bench.run_tick_bench("bench"), participants)
            large = int(os.environ.get("BENCH_LARGE", "100000"))
            if large:
                # The dashboards again on a much larger organisation (seeding it takes minutes),
                # after the tick, which counts every organisation.
                print()
                scale_bench.print_table(
                    scale_bench.run_scale_bench(
                        large,
                        lambda client, path: measure(client, path, scale_requests),
                        org="bench-large",
                        dashboards_only=True,
                    )
                )
    finally:
        teardown_databases(old, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
