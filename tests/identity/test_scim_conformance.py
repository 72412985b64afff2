"""scim2-tester, the conformance checker of the python-scim project, run against the endpoint:
every check it runs passes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

from tests.conftest import Tenant
from tests.identity.scim_helpers import token_for


@pytest.fixture
def wsgi_app() -> Iterator[object]:
    # As Django's test client does: a request must not close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_scim2_tester_passes_every_check(alpha: Tenant, wsgi_app: object) -> None:
    client = WSGISCIMClient(
        wsgi_app,
        base_url="http://testserver/scim/v2",
        headers={"Authorization": f"Bearer {token_for(alpha.organization)}"},
    )
    results = check_server(client, raise_exceptions=False)
    failures = [f"{r.title}: {r.reason}" for r in results if r.status == Status.ERROR]
    assert not failures, "\n".join(failures)
    assert sum(r.status == Status.SUCCESS for r in results) > 100
    # The one check skipped: POST /.search across resource types, which we answer 501 Not
    # Implemented (RFC 7644 §3.4.3 makes it optional; each collection has its filter).
    skipped = {r.title for r in results if r.status == Status.SKIPPED}
    assert skipped <= {"search_with_attributes"}, skipped
