"""The optional read replica (``DATABASE_REPLICA_URL``): dashboards, exports and list pages read
from it; writes, whatever a request reads after its write, and every page a browser opens for a
few seconds after its own write read the primary; sign-in tables, tasks and commands never touch
the replica; tenancy holds there as on the primary; and without the setting nothing changes.

The replica here is the test database itself under a second alias (a test mirror, as a replica at
the same server): rows must be committed for a second connection to see them, hence
``transaction=True``. Which connection ran each query tells where a read went.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes.exceptions import ScopeError

from mentorship.dbrouting import STICKY_COOKIE, ReplicaMiddleware, reads_from_replica
from mentorship.models import Role, User
from programs.models import Program
from programs.services import programs as program_services
from tests.conftest import Tenant
from tests.factories import PairingFactory

ROOT = Path(__file__).resolve().parents[2]
ROUTER = "mentorship.dbrouting.ReplicaRouter"
MIDDLEWARE = "mentorship.dbrouting.ReplicaMiddleware"

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def route_reads_to_replica(settings: object) -> None:
    """The router and its middleware, installed as the settings install them with a replica."""
    settings.DATABASE_ROUTERS = [ROUTER]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("mentorship.middleware.TenancyMiddleware"), MIDDLEWARE)
    settings.MIDDLEWARE = middleware


@pytest.fixture
def replica_connection() -> Iterator[None]:
    yield
    # A second connection left open to the test database would keep it from being dropped.
    connections["replica"].close()


@pytest.fixture
def replica(settings: object, replica_connection: None) -> None:
    route_reads_to_replica(settings)


@contextmanager
def queries_by_database() -> Iterator[tuple[list[str], list[str]]]:
    """The SQL each database ran in the block: (primary, replica)."""
    primary: list[str] = []
    replica: list[str] = []
    with (
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(connections["replica"]) as on_replica,
    ):
        yield primary, replica
    primary += [q["sql"] for q in on_primary.captured_queries]
    replica += [q["sql"] for q in on_replica.captured_queries]


def a_program(tenant: Tenant, name: str, pairs: int = 2) -> Program:
    with tenant.scope():
        program = program_services.program_create(organization=tenant.organization, name=name)
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        for _ in range(pairs):
            PairingFactory(program=program)
    return program


def body(response: HttpResponse) -> dict[str, object]:
    return json.loads(response.content)


def csv_rows(response: HttpResponse) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_dashboard_its_exports_and_list_pages_read_from_the_replica(
    replica: None, alpha: Tenant, beta: Tenant, client_for: object
) -> None:
    program = a_program(alpha, "Digital fluency")
    a_program(beta, "Beta only")
    client = client_for(alpha.hr)
    org = alpha.organization.slug
    pages = [
        reverse("organization_dashboard", args=[org]),
        reverse("organization_dashboard_csv", args=[org, "programs"]),
        reverse("program_dashboard", args=[org, program.slug]),
        reverse("members", args=[org]),
        reverse("audit_log", args=[org]),
        reverse("participant_directory", args=[org, program.slug]),
        reverse("concerns", args=[org]),
    ]
    for url in pages:
        with queries_by_database() as (primary, on_replica):
            response = client.get(url)
        assert response.status_code == 200, url
        assert on_replica, f"{url} read nothing from the replica"
        # The primary answered only who is asking and what they may see (session, user,
        # membership, sponsorships, release plans): no figure, no list row came from it.
        who_may_see = ('FROM "programs_programsponsor"', 'FROM "feedback_feedbackcycle"')
        assert not [
            sql
            for sql in primary
            if ("programs_" in sql or "pairings_" in sql)
            and not any(table in sql for table in who_may_see)
        ], url


def test_who_may_see_what_is_read_from_the_primary_even_in_a_replica_page(
    replica: None, alpha: Tenant, client_for: object
) -> None:
    a_program(alpha, "Digital fluency")
    with queries_by_database() as (_, on_replica):
        response = client_for(alpha.hr).get(
            reverse("organization_dashboard", args=[alpha.organization.slug])
        )
    assert response.status_code == 200
    # A removed member or a withdrawn sponsor counts at once, whatever the replica's lag.
    for table in (
        "mentorship_membership",
        "mentorship_organization",
        "programs_programsponsor",
        "feedback_feedbackcycle",  # its release plan says which figures may be shown
    ):
        assert not [sql for sql in on_replica if f'FROM "{table}"' in sql], table


def test_the_replica_is_scoped_to_the_organization_as_the_primary_is(
    replica: None, alpha: Tenant, beta: Tenant, client_for: object
) -> None:
    a_program(alpha, "Digital fluency", pairs=3)
    a_program(beta, "Beta only", pairs=1)
    url = reverse("organization_dashboard_csv", args=[alpha.organization.slug, "programs"])
    with queries_by_database() as (_, on_replica):
        response = client_for(alpha.hr).get(url)
    assert on_replica
    rows = csv_rows(response)
    assert [row[0] for row in rows[1:]] == ["Digital fluency"]
    assert rows[1][-1] == "3"  # active pairs: alpha's only

    # A query with no organisation's scope is refused on the replica as on the primary.
    def unscoped(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(Program.objects.count()))

    with pytest.raises(ScopeError):
        ReplicaMiddleware(reads_from_replica(unscoped))(RequestFactory().get("/"))


def test_reads_after_a_write_in_the_same_request_go_to_the_primary(
    replica: None, alpha: Tenant, settings: object
) -> None:
    user = alpha.hr
    users = User.objects.count()

    @reads_from_replica
    def read_write_read(request: HttpRequest) -> HttpResponse:
        before = User.objects.all()
        seen = {"before": before.db, "count": before.count()}
        User.objects.filter(pk=user.pk).update(first_name="Renamed")
        after = User.objects.filter(pk=user.pk)
        seen |= {"after": after.db, "name": after.get().first_name}
        return JsonResponse(seen)

    with queries_by_database() as (primary, on_replica):
        response = ReplicaMiddleware(read_write_read)(RequestFactory().get("/"))
    assert body(response) == {
        "before": "replica",
        "count": users,
        "after": "default",
        "name": "Renamed",
    }
    assert len(on_replica) == 1  # the count, before the write
    assert [sql.split()[0] for sql in primary] == ["UPDATE", "SELECT"]
    # And this browser reads the primary for the next few seconds.
    sticky = response.cookies[STICKY_COOKIE]
    assert sticky["max-age"] == settings.DATABASE_REPLICA_STICKY_SECONDS
    assert sticky["httponly"]


def test_a_post_and_the_page_after_it_read_the_primary(
    replica: None, alpha: Tenant, client_for: object
) -> None:
    client = client_for(alpha.hr)
    org = alpha.organization.slug
    member = alpha.members[Role.PARTICIPANT]
    with queries_by_database() as (_, on_replica):
        response = client.post(
            reverse("member_edit", args=[org, member.pk]),
            {"roles": [Role.PARTICIPANT.value, Role.SPONSOR.value]},
        )
    assert response.status_code == 302
    assert on_replica == []
    assert STICKY_COOKIE in response.cookies

    # The list the form leads back to reads the primary: the new role shows, whatever the lag.
    with queries_by_database() as (_, on_replica):
        page = client.get(reverse("members", args=[org]))
    assert page.status_code == 200
    assert on_replica == []

    # Once the cookie has expired (the browser drops it), the list reads the replica again.
    del client.cookies[STICKY_COOKIE]
    with queries_by_database() as (_, on_replica):
        client.get(reverse("members", args=[org]))
    assert on_replica


def test_posts_transactions_sign_in_tables_tasks_and_commands_read_the_primary(
    replica: None, alpha: Tenant
) -> None:
    @reads_from_replica
    def view(request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            in_transaction = User.objects.all().db
        return JsonResponse(
            {
                "page": User.objects.all().db,
                "in_transaction": in_transaction,
                "session": Session.objects.all().db,
            }
        )

    routed = ReplicaMiddleware(view)
    assert body(routed(RequestFactory().get("/"))) == {
        "page": "replica",
        "in_transaction": "default",
        "session": "default",
    }
    assert body(routed(RequestFactory().post("/")))["page"] == "default"
    # A view that is not marked reads the primary.
    unmarked = ReplicaMiddleware(lambda request: JsonResponse({"db": User.objects.all().db}))
    assert body(unmarked(RequestFactory().get("/"))) == {"db": "default"}
    # Outside a request (a Celery task, a command, a service called from either): the primary.
    assert User.objects.all().db == "default"


def test_the_replica_adds_no_query(
    settings: object, replica_connection: None, alpha: Tenant, client_for: object
) -> None:
    a_program(alpha, "Digital fluency")
    url = reverse("organization_dashboard", args=[alpha.organization.slug])

    def queries_of_a_dashboard() -> tuple[int, int]:
        client = client_for(alpha.hr)
        client.get(url)  # the first page of a client fills caches the next ones use
        with queries_by_database() as (primary, on_replica):
            client.get(url)
        return len(primary), len(on_replica)

    alone, none = queries_of_a_dashboard()
    assert none == 0  # without the router, nothing reads the replica
    route_reads_to_replica(settings)
    primary, on_replica = queries_of_a_dashboard()
    assert on_replica > 0
    assert primary + on_replica == alone


def _settings_probe(env: dict[str, str]) -> list[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_REPLICA_URL", "DJANGO_SETTINGS_MODULE"}
    }
    clean.update(env, DEBUG="1", DJANGO_SETTINGS_MODULE="mentorship.settings")
    code = (
        "from django.conf import settings as s; d = s.DATABASES; "
        "print(sorted(d)); print(getattr(s, 'DATABASE_ROUTERS', [])); "
        "print([m.rsplit('.', 1)[1] for m in s.MIDDLEWARE][-2:]); "
        "r = d.get('replica', {}); "
        "print(r.get('ENGINE'), r.get('HOST'), r.get('NAME'), r.get('TEST', {}).get('MIRROR'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.django_db(transaction=False, databases=[])
def test_without_a_replica_url_there_is_one_database_and_no_router() -> None:
    assert _settings_probe({}) == [
        "['default']",
        "[]",
        "['StatementTimeoutMiddleware', 'TenancyMiddleware']",
        "None None None None",
    ]


@pytest.mark.django_db(transaction=False, databases=[])
def test_a_replica_url_adds_the_replica_its_router_and_middleware() -> None:
    lines = _settings_probe(
        {
            "DATABASE_URL": "postgres://app:secret@primary.internal:5432/rm",
            "DATABASE_REPLICA_URL": "postgres://app:secret@replica.internal:5432/rm",
        }
    )
    assert lines == [
        "['default', 'replica']",
        f"['{ROUTER}']",
        "['ReplicaMiddleware', 'TenancyMiddleware']",
        "django.db.backends.postgresql replica.internal rm default",
    ]
