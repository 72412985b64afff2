"""An attempt's 15 s cover all of it, name lookups included: the check's lookup before sending,
and the connection's own. ``getaddrinfo`` takes no timeout, so a DNS server that does not answer
held the worker for as long as the resolver liked, outside the budget."""

from __future__ import annotations

import socket
import time

import pytest

from mentorship.events import delivery as delivery_module
from mentorship.events import fence
from mentorship.events.models import EventType, WebhookEndpoint
from mentorship.events.services import event_emit
from mentorship.events.tasks import deliver_webhooks
from tests.conftest import Tenant
from tests.events.support import Receiver, deliveries

pytestmark = pytest.mark.usefixtures("private_networks")
BUDGET = 0.5


@pytest.fixture
def slow_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """ "slow.example" is the loopback receiver, after 3 s of DNS."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "slow.example":
            time.sleep(3)
            host = "127.0.0.1"
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(delivery_module, "TIMEOUT_SECONDS", BUDGET)


def attempt(tenant: Tenant, url: str) -> tuple[float, str, str]:
    """One attempt at ``url``: how long it took, the delivery's status and its error."""
    with tenant.scope():
        WebhookEndpoint.objects.create(
            organization=tenant.organization, url=url, event_types=[EventType.PAIRING_ACTIVE]
        )
        event_emit(
            organization=tenant.organization, event_type=EventType.PAIRING_ACTIVE, data={"id": 1}
        )
    [pending] = deliveries(tenant)
    started = time.monotonic()
    deliver_webhooks(organization_id=tenant.organization.pk, delivery_ids=[pending.pk])
    [tried] = deliveries(tenant)
    return time.monotonic() - started, tried.status, tried.last_error


@pytest.mark.usefixtures("slow_name")
def test_the_lookup_before_sending_is_within_the_budget(alpha: Tenant, receiver: Receiver) -> None:
    elapsed, status, error = attempt(alpha, f"http://slow.example:{receiver.port}/hook")
    assert elapsed < BUDGET + 1, f"{elapsed:.1f} s for a {BUDGET} s budget"
    assert status == "pending" and "did not answer in time" in error
    assert receiver.received == []


@pytest.mark.usefixtures("slow_name")
def test_the_connections_own_lookup_is_within_the_budget(
    alpha: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check is answered at once (a cached name); the connection looks the name up again,
    and that lookup is the slow one."""
    monkeypatch.setattr(fence, "resolve", lambda host, port: ["127.0.0.1"])
    elapsed, status, error = attempt(alpha, f"http://slow.example:{receiver.port}/hook")
    assert elapsed < BUDGET + 1, f"{elapsed:.1f} s for a {BUDGET} s budget"
    assert status == "pending" and error == f"No answer within {BUDGET} seconds"
    assert receiver.received == []
