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
there. IPv6 addresses that carry an IPv4 one (IPv4-mapped, 6to4, Teredo) are judged by it too.

Time: a send runs inside :func:`time_budget`, which bounds everything the fenced session does,
DNS included. ``timeout=`` in requests is per socket read, so a receiver dripping a byte at a
time could hold a worker for ever; the budget's watchdog shuts the connection's socket down at
the deadline, whatever step the exchange is at (name lookup, connect, TLS, status line,
headers, body). Name lookups run in a helper thread waited on for the time left, as
``getaddrinfo`` itself takes no timeout.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import idna
import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util import connection, parse_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Metadata services outside link-local ranges (AWS over IPv6, Alibaba Cloud, Azure's wire
# server): refused like 169.254.169.254, which the link-local rule covers.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)


# A name lookup that takes longer than this is given up (at save, and at send when the attempt
# has more time left than this).
DNS_TIMEOUT_SECONDS = 5.0


class AddressRefused(Exception):
    """The connection reached, or would reach, an address webhooks may not go to.

    Not an ``OSError``: urllib3 and requests let it through unwrapped, with its message."""


class LookupTimedOut(TimeoutError):
    """No DNS answer within the time allowed."""


class _BadHostName(ValueError):
    """A host name that is not a valid (internationalised) domain name."""


class Budget:
    """The time one attempt may take, over all its steps (see the module's docstring).

    Sockets the fenced connections use while the budget is active are registered with it; at
    the deadline its watchdog shuts them down, which ends any read or write under way on them
    (a shutdown, not a close: the socket stays valid for the thread using it)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._expired = threading.Event()
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @property
    def expired(self) -> bool:
        return self._expired.is_set() or time.monotonic() >= self.deadline

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            late = self._expired.is_set()
        if late:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self._expired.set()
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    # The base class's shutdown, also for a TLS socket: ssl.SSLSocket.shutdown would drop its
    # TLS state under the thread reading from it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_active = threading.local()


def _budget() -> Budget | None:
    return getattr(_active, "budget", None)


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[Budget]:
    """Bound what the fenced sessions do in this thread, in the block, to ``seconds`` overall."""
    budget = Budget(seconds)
    previous = _budget()
    _active.budget = budget
    budget.start()
    try:
        yield budget
    finally:
        budget.stop()
        _active.budget = previous


def _lookup_timeout() -> float:
    budget = _budget()
    return DNS_TIMEOUT_SECONDS if budget is None else min(DNS_TIMEOUT_SECONDS, budget.remaining())


def _getaddrinfo(host: str, port: int) -> list[tuple[Any, ...]]:
    """``socket.getaddrinfo`` for TCP, given up after the time allowed (``LookupTimedOut``).

    The lookup runs in a daemon thread: when it is given up, that thread ends by itself once
    the resolver's own timeouts run out, and nobody waits for it."""
    timeout = _lookup_timeout()
    found: list[list[tuple[Any, ...]] | BaseException] = []
    done = threading.Event()

    def look_up() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # handed to the waiting thread, which raises it
            found.append(exc)
        finally:
            done.set()

    threading.Thread(target=look_up, name="webhook-dns", daemon=True).start()
    if not done.wait(timeout) or not found:
        raise LookupTimedOut(f"no DNS answer for {host} within {timeout:g} seconds")
    answer = found[0]
    if isinstance(answer, BaseException):
        raise answer
    return answer


def allow_private_networks() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False))


def address_problem(address: str, *, allow_private: bool) -> str | None:
    """Why ``address`` (an IP literal) is refused, or None when a webhook may go there."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return _("%(address)s is not an IP address") % {"address": address}
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # "::ffff:127.0.0.1" is 127.0.0.1
        else:
            # 6to4 (2002::/16) and Teredo (2001::/32) reach the IPv4 address they carry, through
            # a relay: "2002:7f00:1::" is 127.0.0.1. Python's is_global calls 6to4 global.
            carried = [a for a in (ip.sixtofour, *(ip.teredo or ())) if a is not None]
            for inner in carried:
                if problem := address_problem(str(inner), allow_private=allow_private):
                    # Translators: %(problem)s is another of these reasons, e.g. "127.0.0.1 is a
                    # loopback address (this server itself)".
                    return _("%(ip)s carries %(problem)s") % {"ip": ip, "problem": problem}
    if ip in METADATA_ADDRESSES or ip.is_link_local:
        return _("%(ip)s is a link-local or cloud metadata address") % {"ip": ip}
    if ip.is_multicast or ip.is_unspecified:
        return _("%(ip)s is not an address a receiver can have") % {"ip": ip}
    # Before the reserved ranges: IPv6's ::1 is in ::/8, which Python counts as reserved.
    if ip.is_loopback:
        if allow_private:
            return None
        return _("%(ip)s is a loopback address (this server itself)") % {"ip": ip}
    if ip.is_reserved:
        return _("%(ip)s is not an address a receiver can have") % {"ip": ip}
    # fec0::/10, site-local: deprecated, still routed inside some networks; is_global says yes.
    site_local = isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
    if ip.is_global and not site_local:
        return None
    return None if allow_private else _("%(ip)s is a private network address") % {"ip": ip}


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` (ASCII: an internationalised name IDNA-encoded) stands for;
    ``socket.gaierror`` when it does not resolve, ``LookupTimedOut`` when DNS is too slow."""
    return sorted({str(info[4][0]) for info in _getaddrinfo(host, port)})


def host_addresses(host: str, port: int) -> list[str]:
    """The addresses a URL's host stands for: the host itself when it is an IP literal (a zone
    index dropped), else every address DNS gives (with :func:`resolve`'s errors). Webhook
    endpoints and calendar addresses are checked on these at save."""
    try:
        return [str(ipaddress.ip_address(host.split("%")[0]))]
    except ValueError:
        return resolve(host, port)


def _ascii_host(host: str) -> str:
    """The host as requests and urllib3 send it: an internationalised name IDNA-encoded (by
    urllib3's rules; Python's own "idna" codec follows an older standard, and would look up
    "strasse.de" for "straße.de" where the request goes to "xn--strae-oqa.de")."""
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host.lower(), strict=True, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise _BadHostName(host) from exc


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``, the host in ASCII (IDNA for an internationalised
    name); ``ValueError`` when it is not a plain http(s) URL. Public for the other fenced
    fetches (people's calendars), which word their own messages."""
    if any(c == "\\" or c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        # Backslashes and controls are where URL parsers disagree on the host.
        raise ValueError("unexpected character")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ValueError("unparsable") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("not an http(s) URL with a host")
    ascii_host = _ascii_host(host)
    try:
        # The host requests connects to is urllib3's reading of the URL: it must be the one
        # checked here, or "https://10.0.0.5\\@hooks.example.com/" would pass as public.
        connects_to = (parse_url(url).host or "").strip("[]").lower()
    except LocationParseError as exc:
        raise ValueError("unparsable") from exc
    if connects_to != ascii_host:
        raise ValueError("not the host urllib3 would connect to")
    if parts.username is not None or parts.password is not None:
        raise ValueError("credentials in the URL")
    return parts.scheme, ascii_host, port or (443 if parts.scheme == "https" else 80)


def endpoint_url_problem(url: str, *, allow_private: bool | None = None) -> str | None:
    """What is wrong with ``url`` as a webhook endpoint, in words for an HR admin; None if
    nothing. Resolves the host: a name that does not resolve is refused too."""
    if allow_private is None:
        allow_private = allow_private_networks()
    try:
        scheme, host, port = split_url(url)
    except _BadHostName as exc:
        return _("The host name %(host)s is not a valid domain name. Check the URL.") % {
            "host": exc
        }
    except ValueError:
        return _("Enter a full URL, such as https://hooks.example.com/webhooks (no user name).")
    # Messages name the host as typed (an internationalised name stays readable).
    shown = urlsplit(url).hostname or host
    if scheme != "https" and not allow_private:
        return _("The URL must start with https://: events are sent encrypted only.")
    try:
        addresses = host_addresses(host, port)
    except LookupTimedOut:
        return _("The host %(host)s did not answer in time (DNS). Try again in a moment.") % {
            "host": shown
        }
    except (OSError, UnicodeError):
        return _("The host %(host)s does not exist (no DNS answer). Check the URL.") % {
            "host": shown
        }
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem is not None:
            return _(
                "The host %(host)s is not reachable from the internet (%(problem)s). Webhooks "
                "go to public addresses only."
            ) % {"host": shown, "problem": problem}
    return None


def _check_peer(sock: socket.socket, *, allow_private: bool) -> None:
    address = str(sock.getpeername()[0])
    problem = address_problem(address, allow_private=allow_private)
    if problem is not None:
        sock.close()
        raise AddressRefused(f"Refused before sending anything: connected to {problem}")


def _connect(conn: HTTPConnection) -> socket.socket:
    """urllib3's ``_new_conn`` with the name lookup and the connects within the budget, the
    socket watched by it, and the peer checked. The lookup is the connection's own, not
    :func:`resolve`'s answer: the peer check is what catches a name answering otherwise now."""
    budget = _budget()
    try:
        infos = _getaddrinfo(conn._dns_host, conn.port)
    except LookupTimedOut as exc:
        raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out ({exc})") from exc
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    error: OSError | None = None
    for *_rest, sockaddr in infos:
        timeout = conn.timeout if isinstance(conn.timeout, int | float) else None
        if budget is not None:
            if budget.expired:
                break
            timeout = budget.remaining() if timeout is None else min(timeout, budget.remaining())
        try:
            # An IP literal: urllib3's getaddrinfo on it is immediate.
            sock = connection.create_connection(
                (str(sockaddr[0]), conn.port),
                timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except OSError as exc:  # refused or timed out: the next address, as urllib3 does
            error = exc
        else:
            if budget is not None:
                budget.watch(sock)
            _check_peer(sock, allow_private=conn.allow_private)  # type: ignore[attr-defined]
            return sock
    if error is None or isinstance(error, TimeoutError):
        raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out")
    raise NewConnectionError(conn, f"Failed to establish a new connection: {error}")


def _watch_reused(conn: HTTPConnection) -> None:
    """A connection kept alive from the previous request: its socket joins this budget."""
    budget = _budget()
    if budget is not None and conn.sock is not None:
        budget.watch(conn.sock)


class _FencedHTTPConnection(HTTPConnection):
    allow_private = False

    def _new_conn(self) -> socket.socket:
        return _connect(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch_reused(self)
        super().request(*args, **kwargs)


class _FencedHTTPSConnection(HTTPSConnection):
    # The peer is checked on the plain TCP socket, before the TLS handshake sends anything.
    allow_private = False

    def _new_conn(self) -> socket.socket:
        return _connect(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch_reused(self)
        super().request(*args, **kwargs)


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


def fenced_session(*, allow_private: bool | None = None) -> requests.Session:
    """A requests session whose every connection is checked on the address it reached.

    No proxies from the environment (a proxy's address would be the one checked) and no
    redirects (the caller passes ``allow_redirects=False``: a 3xx is a failed delivery).
    ``allow_private`` defaults to the webhooks' setting; other callers pass their own."""
    session = requests.Session()
    session.trust_env = False
    if allow_private is None:
        allow_private = allow_private_networks()
    adapter = _FencedAdapter(allow_private=allow_private)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
