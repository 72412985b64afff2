"""The address recorded with sign-ins and audit events, behind the compose file's proxy: the
proxy's own address is no use to anyone reading the audit log, and a client's forged
X-Forwarded-For must not be believed."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from mentorship.web import client_ip


def request(xff: str | None = None, remote: str = "172.18.0.5"):
    headers = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_a_trusted_proxy_the_connection_address_is_recorded(settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request("6.6.6.6")) == "172.18.0.5"


@pytest.mark.parametrize(
    ("xff", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),  # the proxy replaced whatever the client sent
        ("6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a proxy that appends: the last entry
        (None, "172.18.0.5"),  # no header at all
        ("not-an-address", "172.18.0.5"),
    ],
)
def test_behind_one_trusted_proxy_the_address_it_saw_is_recorded(
    settings, xff: str | None, expected: str
) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request(xff)) == expected


def test_a_header_shorter_than_the_proxy_count_is_not_believed(settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request("6.6.6.6")) == "172.18.0.5"
