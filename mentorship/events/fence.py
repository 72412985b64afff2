"""Where webhooks may go: https URLs of public addresses, checked at save and at every send.

An HR admin types the URL and our server sends to it, so a careless or hostile URL must not
reach our own network (the database, the metadata service that hands out cloud credentials).
Three checks, from cheapest to strongest:

- at save (:func:`endpoint_url_problem`): the URL's shape and scheme, and every address its
  host resolves to, with a message an HR admin can act on;
- at send, before connecting: the same again (DNS answers change, and so do settings);
- at send, on the socket (:func:`fenced_session`): the address the connection actually reached.
  A host that answers the check with a public address and the connection with a private one
  (DNS rebinding) is caught here, after the TCP handshake and before a byte is sent.

``WEBHOOKS_ALLOW_PRIVATE_NETWORKS`` (on-premises receivers, `make run`, the tests) allows http,
loopback and private addresses. Link-local addresses (169.254.0.0/16, where clouds serve
instance metadata and credentials), the known metadata addresses elsewhere, multicast,
unspecified and reserved addresses stay refused whatever the setting: nobody's receiver lives
there.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Metadata services outside link-local ranges (AWS over IPv6, Alibaba Cloud, Azure's wire
# server): refused like 169.254.169.254, which the link-local rule covers.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)


class AddressRefused(Exception):
    """The connection reached, or would reach, an address webhooks may not go to.

    Not an ``OSError``: urllib3 and requests let it through unwrapped, with its message."""


def allow_private_networks() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False))


def address_problem(address: str, *, allow_private: bool) -> str | None:
    """Why ``address`` (an IP literal) is refused, or None when a webhook may go there."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # "::ffff:127.0.0.1" is 127.0.0.1
    if ip in METADATA_ADDRESSES or ip.is_link_local:
        return f"{ip} is a link-local or cloud metadata address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"{ip} is not an address a receiver can have"
    if ip.is_loopback:
        return None if allow_private else f"{ip} is a loopback address (this server itself)"
    if ip.is_global:
        return None
    return None if allow_private else f"{ip} is a private network address"


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` stands for (``socket.gaierror`` when it does not resolve)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port)})


def _split(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``; ``ValueError`` when it is not a plain http(s) URL."""
    if any(c == "\\" or c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        # Backslashes and controls are where URL parsers disagree on the host.
        raise ValueError("unexpected character")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
        # The host requests connects to is urllib3's reading of the URL: it must be the one
        # checked here, or "https://10.0.0.5\\@hooks.example.com/" would pass as public.
        connects_to = (parse_url(url).host or "").strip("[]").lower()
    except (ValueError, LocationParseError) as exc:
        raise ValueError("unparsable") from exc
    if parts.scheme not in ("http", "https") or not host or connects_to != host.lower():
        raise ValueError("not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("credentials in the URL")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def endpoint_url_problem(url: str, *, allow_private: bool | None = None) -> str | None:
    """What is wrong with ``url`` as a webhook endpoint, in words for an HR admin; None if
    nothing. Resolves the host: a name that does not resolve is refused too."""
    if allow_private is None:
        allow_private = allow_private_networks()
    try:
        scheme, host, port = _split(url)
    except ValueError:
        return "Enter a full URL, such as https://hooks.example.com/webhooks (no user name)."
    if scheme != "https" and not allow_private:
        return "The URL must start with https://: events are sent encrypted only."
    try:
        addresses = [str(ipaddress.ip_address(host.split("%")[0]))]
    except ValueError:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            return f"The host {host} does not exist (no DNS answer). Check the URL."
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem is not None:
            return (
                f"The host {host} is not reachable from the internet ({problem}). Webhooks "
                "go to public addresses only."
            )
    return None


def _check_peer(sock: socket.socket, *, allow_private: bool) -> None:
    address = str(sock.getpeername()[0])
    problem = address_problem(address, allow_private=allow_private)
    if problem is not None:
        sock.close()
        raise AddressRefused(f"Refused before sending anything: connected to {problem}")


class _FencedHTTPConnection(HTTPConnection):
    allow_private = False

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock, allow_private=self.allow_private)
        return sock


class _FencedHTTPSConnection(HTTPSConnection):
    # The peer is checked on the plain TCP socket, before the TLS handshake sends anything.
    allow_private = False

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock, allow_private=self.allow_private)
        return sock


class _FencedAdapter(HTTPAdapter):
    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        flag = {"allow_private": self._allow_private}
        http = type("FencedHTTPConnection", (_FencedHTTPConnection,), flag)
        https = type("FencedHTTPSConnection", (_FencedHTTPSConnection,), flag)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("FencedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("FencedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


def fenced_session() -> requests.Session:
    """A requests session whose every connection is checked on the address it reached.

    No proxies from the environment (a proxy's address would be the one checked) and no
    redirects (the caller passes ``allow_redirects=False``: a 3xx is a failed delivery)."""
    session = requests.Session()
    session.trust_env = False
    adapter = _FencedAdapter(allow_private=allow_private_networks())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
