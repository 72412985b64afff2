"""The fence's finer points: IPv6 loopback is a loopback like 127.0.0.1; addresses tunnelling an
IPv4 one (6to4, Teredo) are judged by it, whatever the setting; an internationalised host name
is checked under the name requests connects to; and a DNS server that does not answer cannot
hold the form (or a delivery) for longer than the time allowed."""

from __future__ import annotations

import socket
import time

import pytest
from django.core.exceptions import ValidationError

from mentorship.events import fence
from mentorship.events.models import EventType, WebhookEndpoint
from mentorship.events.services import endpoint_create
from tests.conftest import Tenant


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


@pytest.mark.usefixtures("private_networks")
def test_ipv6_loopback_is_allowed_when_private_networks_are(alpha: Tenant) -> None:
    """``::1`` lies in ::/8, which Python counts as reserved: it was refused as "not an address
    a receiver can have" where 127.0.0.1 was allowed."""
    assert create(alpha, "https://[::1]/hook").url == "https://[::1]/hook"


def test_ipv6_loopback_is_still_refused_by_default(alpha: Tenant) -> None:
    assert "loopback" in url_error(alpha, "https://[::1]/hook")


@pytest.mark.parametrize(
    "address",
    [
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        # Teredo: server 65.54.227.120, client 169.254.169.254 (stored inverted).
        "2001:0:4136:e378:8000:63bf:5601:5601",
    ],
)
def test_a_tunnelled_metadata_address_is_refused_even_with_private_networks(address: str) -> None:
    """Python calls 6to4 global and Teredo private: with private networks allowed, both went
    through, whatever IPv4 address they carry."""
    assert fence.address_problem(address, allow_private=True) is not None
    assert "169.254.169.254" in fence.address_problem(address, allow_private=True)


def test_a_tunnel_to_a_public_address_is_a_public_address() -> None:
    assert fence.address_problem("2002:5db8:d822::1", allow_private=False) is None


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A DNS with public answers for the ASCII forms of two internationalised names; records
    the names it is asked."""
    asked: list[str] = []
    answers = {"xn--bcher-kva.de": ["93.184.216.34"], "xn--strae-oqa.de": ["93.184.216.35"]}

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return answers[host]

    monkeypatch.setattr(fence, "resolve", resolve)
    return asked


def test_an_internationalised_host_is_accepted(alpha: Tenant, names: list[str]) -> None:
    """urllib3 IDNA-encodes the host it connects to; the fence compared that with the host as
    typed, and refused every such URL as "Enter a full URL"."""
    assert create(alpha, "https://bücher.de/hook").url == "https://bücher.de/hook"
    assert names == ["xn--bcher-kva.de"]


def test_the_name_checked_is_the_one_requests_connects_to(alpha: Tenant, names) -> None:
    """Python's own "idna" codec (IDNA 2003) turns "straße" into "strasse"; requests and urllib3
    (IDNA 2008) into "xn--strae-oqa": the check must resolve the name the request goes to."""
    create(alpha, "https://straße.de/hook")
    assert names == ["xn--strae-oqa.de"]


def test_a_host_name_that_is_no_domain_name_is_explained(alpha: Tenant, names) -> None:
    error = url_error(alpha, "https://☃.net/hook")
    assert "is not a valid domain name" in error and "☃.net" in error
    assert names == []


@pytest.fixture
def slow_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """A DNS server that takes 3 s to say it does not know "slow.example"."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "slow.example":
            time.sleep(3)
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(fence, "DNS_TIMEOUT_SECONDS", 0.3)


@pytest.mark.usefixtures("slow_dns")
def test_saving_does_not_wait_for_a_dns_server_that_does_not_answer(alpha: Tenant) -> None:
    started = time.monotonic()
    error = url_error(alpha, "https://slow.example/hook")
    assert time.monotonic() - started < 1.5
    assert "did not answer in time" in error
