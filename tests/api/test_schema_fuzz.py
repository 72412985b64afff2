"""schemathesis fuzzes every operation of the API's schema (as served at /api/v1/schema/, which
test_openapi_schema_is_committed keeps equal to the committed file), in process, with a
read-write key of a seeded organisation: no answer is a server error, every answer's status and
content type are ones the schema documents for that operation, and every body conforms to the
schema.

One pytest test per operation (``test_api[GET /api/v1/participants/]``), each on a fresh seeded
organisation. Generation is derandomised (the same cases on every run, so a failure is
reproducible) and bounded: ``FUZZ_EXAMPLES`` cases per operation (default below) keeps the file
to about a minute and a half on two cores; ``FUZZ_EXAMPLES=500`` makes a longer hunt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mentorship.models import AuditEvent, Role
from pairings.models import Pairing
from programs.models import Program
from tests.api.support import key_for
from tests.conftest import Tenant
from tests.factories import (
    MeetingFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
    SessionLogFactory,
    TopicFactory,
)
from tests.feedback.test_results import answer, make_cycle

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/",
    get_wsgi_application(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {
                "max-examples": EXAMPLES,
                # The same cases every run: a failure here fails again on a rerun.
                "deterministic": True,
                # No example database: deterministic runs have nothing to replay.
                "database": "none",
            },
            # One request at a time per operation; sequences of calls (links) are not fuzzed.
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


def seed(tenant: Tenant) -> dict[str, int]:
    """A small organisation with one of everything the API shows, so that details, filters
    and results have rows to find; the ids of its objects, by the name the API gives them (a
    path's resource, a filter's or a body's field)."""
    with tenant.scope():
        program = ProgramFactory(organization=tenant.organization, status=Program.Status.ACTIVE)
        topics = [TopicFactory(organization=tenant.organization) for _ in range(2)]
        junior = ParticipantFactory(
            program=program, membership=tenant.members[Role.PARTICIPANT], offers=topics
        )
        senior = ParticipantFactory(program=program, side="senior", level=7, wants=topics[:1])
        ParticipantFactory(program=program, department="Sales", manager_email="boss@example.com")
        pairing = PairingFactory(
            program=program, mentor=junior, mentee=senior, status=Pairing.Status.ACTIVE
        )
        meeting = MeetingFactory(pairing=pairing)
        MeetingFactory(pairing=pairing, cancelled_at=timezone.now())
        log = SessionLogFactory(pairing=pairing, meeting=meeting, private_notes="never shown")
        log.topics.set(topics)
        PairingFactory(program=program, status=Pairing.Status.PROPOSED)
        cycle = make_cycle(tenant)
        # Enough answers for the results to show figures (k = 5), and two departments, one of
        # them too small to be shown.
        for n in range(6):
            answer(
                cycle,
                side="junior" if n % 2 else "senior",
                department="Tech" if n < 5 else "Legal",
                likert=n % 5 + 1,
                text="not for the API",
            )
        event = AuditEvent.objects.order_by("-pk").first()
    ids = {
        "programs": program.pk,
        "topics": topics[0].pk,
        "participants": junior.pk,
        "members": tenant.members[Role.PARTICIPANT].pk,
        "pairs": pairing.pk,
        "meetings": meeting.pk,
        "session-logs": log.pk,
        "surveys": cycle.pk,
        "audit-events": event.pk if event else 1,
    }
    # Filters and bodies name them in the singular.
    return ids | {"program": program.pk, "pair": pairing.pk, "survey": cycle.pk}


def aim(case: schemathesis.Case, ids: dict[str, int]) -> None:
    """Swap half of the generated whole-number ids (the even ones) for the seeded
    organisation's own, in the path, the query and the body: random ids almost never exist,
    and on PostgreSQL (whose sequences do not roll back) the seeded ids grow from test to test.
    The other half still fuzz ids that do not exist; strings and other types are left as they
    were (the negative cases)."""

    def aimed(name: str, value: object) -> object:
        if type(value) is int and value % 2 == 0 and name in ids:
            return ids[name]
        return value

    resource = case.operation.path.removeprefix("/api/v1/").split("/")[0]
    if case.path_parameters and "id" in case.path_parameters and resource in ids:
        case.path_parameters["id"] = aimed(resource, case.path_parameters["id"])
    for values in (case.query, case.body):
        if isinstance(values, dict):
            for name, value in list(values.items()):
                values[name] = aimed(name, value)


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    """Requests go through the WSGI application, whose start and end close the database
    connection (``close_old_connections``): that would close the test's transaction. Django's
    own test client unhooks it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class Seeded:
    key: str
    ids: dict[str, int]


@pytest.fixture
def seeded(alpha: Tenant, settings: Any) -> Seeded:
    # The fuzzer sends hundreds of requests with one key: no rate limit (429 is documented and
    # tested elsewhere; here it would only stop the fuzzing early).
    settings.API_RATE_LIMIT = ""
    ids = seed(alpha)
    return Seeded(key=key_for(alpha.organization, write=True, name="Fuzzer"), ids=ids)


@schema.parametrize()
# The seeded organisation is made once per operation, not per case: cases add to it, which is
# what a client's sequence of calls would do too.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case: schemathesis.Case, seeded: Seeded, keep_the_test_connection: None) -> None:
    aim(case, seeded.ids)
    case.call_and_validate(headers={"Authorization": f"Bearer {seeded.key}"}, checks=CHECKS)
