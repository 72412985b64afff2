"""Webhooks go to https URLs of public addresses only: refused at save with a message an HR
admin can act on, and again at send, on the resolved address and on the address the socket
actually reached (DNS rebinding). The operator setting for on-premises receivers allows http,
loopback and private addresses, never link-local or metadata ones."""

from __future__ import annotations

import pytest
import requests
from django.core.exceptions import ValidationError

from mentorship.events import fence
from mentorship.events.models import EventType, WebhookEndpoint
from mentorship.events.services import endpoint_create, event_emit
from mentorship.events.tasks import deliver_webhooks
from tests.conftest import Tenant
from tests.events.support import Receiver, deliveries

REFUSED_EVERYWHERE = [
    "https://169.254.169.254/latest/meta-data/",
    "https://[fe80::1]/hook",
    "https://[::ffff:169.254.169.254]/hook",
    "https://[fd00:ec2::254]/hook",
    "https://100.100.100.200/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
]
PRIVATE = [
    "https://127.0.0.1/hook",
    "https://10.0.0.1/hook",
    "https://192.168.1.20/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://localhost/hook",  # a name resolving to loopback
    "https://internal.example/hook",  # resolves to a private address (see the fixture)
]


@pytest.fixture(autouse=True)
def _names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names resolved as the test needs, without a DNS server."""
    real = fence.resolve

    def resolve(host: str, port: int) -> list[str]:
        answers = {
            "internal.example": ["10.1.2.3"],
            "hooks.example": ["93.184.216.34"],
            "mixed.example": ["93.184.216.34", "127.0.0.1"],
        }
        return answers[host] if host in answers else real(host, port)

    monkeypatch.setattr(fence, "resolve", resolve)


def create(tenant: Tenant, url: str) -> WebhookEndpoint:
    with tenant.scope():
        endpoint, _ = endpoint_create(
            organization=tenant.organization,
            url=url,
            event_types=[EventType.PAIRING_ACTIVE],
            actor=tenant.hr,
        )
    return endpoint


def url_error(tenant: Tenant, url: str) -> str:
    with pytest.raises(ValidationError) as refused:
        create(tenant, url)
    return " ".join(refused.value.message_dict["url"])


@pytest.mark.parametrize("url", PRIVATE + REFUSED_EVERYWHERE + ["https://mixed.example/h"])
def test_save_refuses_private_and_special_addresses(alpha: Tenant, url: str) -> None:
    assert "not reachable from the internet" in url_error(alpha, url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example/hook", "must start with https://"),
        ("hooks.example/hook", "Enter a full URL"),
        ("https://user:pw@hooks.example/hook", "Enter a full URL"),
        ("https://10.0.0.5\\@hooks.example/", "Enter a full URL"),
        ("ftp://hooks.example/hook", "Enter a full URL"),
        ("https://does-not-exist.invalid/hook", "does not exist"),
    ],
)
def test_save_explains_what_is_wrong_with_the_url(alpha: Tenant, url: str, message: str) -> None:
    assert message in url_error(alpha, url)


def test_a_public_https_url_is_accepted(alpha: Tenant) -> None:
    assert create(alpha, "https://hooks.example/hook").url == "https://hooks.example/hook"


@pytest.mark.usefixtures("private_networks")
def test_the_operator_setting_allows_http_loopback_and_private_networks(alpha: Tenant) -> None:
    for url in ["http://127.0.0.1:8000/hook", "https://10.0.0.1/hook", "http://localhost/h"]:
        assert create(alpha, url).url == url


@pytest.mark.usefixtures("private_networks")
@pytest.mark.parametrize("url", [*REFUSED_EVERYWHERE, "http://169.254.169.254/latest/meta-data/"])
def test_link_local_and_metadata_are_refused_whatever_the_setting(alpha: Tenant, url: str) -> None:
    assert "not reachable from the internet" in url_error(alpha, url)


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection the delivery would open, recorded (and none opened)."""
    opened: list[str] = []

    def send(self, request, **kwargs):
        opened.append(request.url)
        raise requests.ConnectionError("the test opens no connection")

    monkeypatch.setattr(requests.Session, "send", send)
    return opened


def saved_before(tenant: Tenant, url: str) -> None:
    """An endpoint saved when its URL passed (the setting was on, or DNS answered otherwise)."""
    with tenant.scope():
        WebhookEndpoint.objects.create(
            organization=tenant.organization, url=url, event_types=[EventType.PAIRING_ACTIVE]
        )


def attempt(tenant: Tenant) -> str:
    with tenant.scope():
        event_emit(
            organization=tenant.organization, event_type=EventType.PAIRING_ACTIVE, data={"id": 1}
        )
    [pending] = deliveries(tenant)
    deliver_webhooks(organization_id=tenant.organization.pk, delivery_ids=[pending.pk])
    [tried] = deliveries(tenant)
    assert tried.status == "pending" and tried.attempts == 1
    return tried.last_error


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost/hook",
        "https://internal.example/hook",
        "http://hooks.example/hook",
    ],
)
def test_send_refuses_what_save_would_refuse(
    alpha: Tenant, url: str, no_connection: list[str]
) -> None:
    saved_before(alpha, url)
    assert attempt(alpha).startswith("Not sent: ")
    assert no_connection == []


@pytest.mark.usefixtures("private_networks")
def test_send_refuses_metadata_even_with_private_networks_allowed(
    alpha: Tenant, no_connection: list[str]
) -> None:
    saved_before(alpha, "http://169.254.169.254/latest/meta-data/iam/")
    assert "link-local or cloud metadata" in attempt(alpha)
    assert no_connection == []


def test_send_checks_the_address_the_connection_reached(
    alpha: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the check before sending is told a public address, the connection then
    goes to loopback. The socket's peer is checked before a byte is sent."""
    monkeypatch.setattr(fence, "resolve", lambda host, port: ["93.184.216.34"])
    saved_before(alpha, f"https://localhost:{receiver.port}/hook")
    error = attempt(alpha)
    assert "loopback" in error and error.startswith("Refused before sending")
    assert receiver.received == []


@pytest.mark.usefixtures("private_networks")
def test_the_peer_check_lets_an_allowed_private_receiver_through(
    alpha: Tenant, receiver: Receiver
) -> None:
    saved_before(alpha, receiver.url)
    with alpha.scope():
        event_emit(
            organization=alpha.organization, event_type=EventType.PAIRING_ACTIVE, data={"id": 1}
        )
    [pending] = deliveries(alpha)
    deliver_webhooks(organization_id=alpha.organization.pk, delivery_ids=[pending.pk])
    assert deliveries(alpha)[0].status == "delivered" and len(receiver.received) == 1


def test_no_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.9:3128")
    assert fence.fenced_session().trust_env is False
