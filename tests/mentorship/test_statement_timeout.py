"""The statement timeout of web processes (``STATEMENT_TIMEOUT_SECONDS``): a query that runs too
long is stopped, the viewer gets a 503 page that says so (a short message for an htmx swap), the
event is logged, the worker carries on; Celery workers and management commands are not limited.

The slow statements run 25 times (PostgreSQL: ``pg_sleep(5)``) to 150 times (SQLite: a
recursive count to 10^8) longer than the 0.2 s limit: a stopped one is told apart from a finished
one by its answer, never by a measured time.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from mentorship.models import User
from mentorship.statement_timeout import limit_statements

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 0.2
SLOW_SQL = {
    "postgresql": "SELECT pg_sleep(5)",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000)"
    " SELECT count(*) FROM c",
}
# About five times the limit: finishes unless the process is limited.
SECOND_LONG_SQL = {
    "postgresql": "SELECT pg_sleep(1)",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000)"
    " SELECT count(*) FROM c",
}


def slow_page(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(SLOW_SQL[connection.vendor])
    return HttpResponse("finished")


urlpatterns = [path("slow/", slow_page)]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def limited() -> Iterator[None]:
    """This process limited as wsgi.py limits a web process; its next connection opens with it."""
    connection.close()
    limit_statements(seconds=LIMIT)
    yield
    limit_statements(seconds=0)
    connection.close()


@pytest.mark.urls(__name__)
def test_a_query_that_runs_out_of_time_gets_a_503_page_and_is_logged(
    limited: None, client: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mentorship.statement_timeout"):
        response = client.get("/slow/")
    assert response.status_code == 503
    page = response.content.decode()
    assert "<h1>This page took too long</h1>" in page
    assert "narrowing the filters" in page
    assert 'role="alert"' in page
    assert "Traceback" not in page and "pg_sleep" not in page and "RECURSIVE" not in page
    assert [r.getMessage() for r in caplog.records if r.name == "mentorship.statement_timeout"] == [
        f"A statement ran out of time (limit {LIMIT} s) on GET /slow/"
    ]
    # The worker carries on: the same connection answers the next query.
    assert User.objects.count() == 0
    if connection.vendor == "postgresql":
        # The limit came with the connection (a start-up option), not from a query per request.
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("200ms",)


@pytest.mark.urls(__name__)
def test_an_htmx_request_that_runs_out_of_time_gets_a_short_message(
    limited: None, client: object
) -> None:
    response = client.get("/slow/", headers={"HX-Request": "true"})
    assert response.status_code == 503
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert 'role="alert" id="slow-page"' in fragment
    assert "This took too long" in fragment
    # base.html lets htmx swap a 503; this replaces the inside of whatever the request targets.
    assert response["HX-Reswap"] == "innerHTML"
    assert response["HX-Reselect"] == "#slow-page"
    assert "HX-Request" in response["Vary"]


def test_htmx_swaps_the_503_message_in_and_no_other_error(client: object) -> None:
    """htmx swaps no error response by default: without this the message would never show and
    a filter would seem to do nothing. Other errors keep htmx's default (no swap)."""
    page = client.get("/accounts/login/").content.decode()
    config = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", page)
    assert config
    rules = json.loads(config[1])["responseHandling"]

    def swapped(status: str) -> bool:
        """What htmx does with a response of ``status``: the first rule that matches decides."""
        return next(rule["swap"] for rule in rules if re.fullmatch(rule["code"], status))

    assert swapped("503")
    assert not swapped("500") and not swapped("404") and not swapped("204")
    assert swapped("200")


def _database_url() -> str:
    """The test database as a URL, for a process of its own."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return (
        f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}"
        f":{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def _run_in(kind: str, sql: str) -> str:
    """Start a process of ``kind`` with a 0.2 s limit in its environment, run ``sql`` in it, and
    say whether it "finished" or was "stopped: <why>"."""
    query = (
        "from django.db import connection, OperationalError\n"
        "try:\n"
        f"    connection.cursor().execute({sql!r}); print('finished')\n"
        "except OperationalError as exc: print('stopped:', exc)\n"
    )
    command = {
        # gunicorn and runserver load the WSGI application.
        "web": [sys.executable, "-c", f"import mentorship.wsgi\n{query}"],
        # A worker loads the Celery app and every app's tasks.
        "worker": [
            sys.executable,
            "-c",
            "import django; django.setup()\n"
            "from mentorship.celery import app; app.loader.import_default_modules()\n" + query,
        ],
        # migrate, seed_scale, imports...
        "command": [sys.executable, "manage.py", "shell", "-c", query],
    }[kind]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_REPLICA_URL", "STATEMENT_TIMEOUT_SECONDS"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "mentorship.settings",
        "DEBUG": "1",
        "DATABASE_URL": _database_url(),
        "STATEMENT_TIMEOUT_SECONDS": str(LIMIT),
    }
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after what the shell says on starting


def test_a_web_process_is_limited() -> None:
    outcome = _run_in("web", SECOND_LONG_SQL[connection.vendor])
    assert outcome.startswith("stopped:"), outcome
    why = "statement timeout" if connection.vendor == "postgresql" else "interrupted"
    assert why in outcome


@pytest.mark.parametrize("kind", ["worker", "command"])
def test_workers_and_management_commands_are_not_limited(kind: str) -> None:
    assert _run_in(kind, SECOND_LONG_SQL[connection.vendor]) == "finished"
