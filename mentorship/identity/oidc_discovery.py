"""An OpenID Connect issuer's discovery document, fetched and checked when an HR admin saves it.

Saving is the moment to find a typo: allauth fetches the same document at each sign-in, and a
wrong issuer would otherwise surface as a failed sign-in for everyone. Each problem is
explained in words an HR admin can act on.

The URL is typed by a user and fetched by our server, so the fetch is fenced: HTTPS only, no
redirects followed, a 5-second timeout, a size cap, and hosts that resolve to private, loopback
or link-local addresses refused (our own network is not for probing); the same rule holds for
every endpoint the document names that we would call (authorization, token, JWKS, userinfo).
``SSO_ALLOW_INSECURE``
lifts the HTTPS and address rules for `make run`'s local provider and the tests. (A host whose
DNS answer changes between this check and the fetch could still reach an internal address; it
would learn only which of our error messages it gets, never the body.)
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

WELL_KNOWN = "/.well-known/openid-configuration"
TIMEOUT_SECONDS = 5
MAX_BYTES = 512 * 1024
REQUIRED = ("authorization_endpoint", "token_endpoint", "jwks_uri")
# Fetched by allauth at each sign-in when the document names it (the answer becomes the claims
# a connection test shows): fenced like the required endpoints.
OPTIONAL = ("userinfo_endpoint",)


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery 1.0 §4: drop a terminating "/" of the issuer, then append."""
    return issuer.rstrip("/") + WELL_KNOWN


def fetch(url: str) -> requests.Response:
    """The HTTP response at ``url`` (no redirects followed, body capped). Tests replace this."""
    response = requests.get(
        url,
        timeout=TIMEOUT_SECONDS,
        allow_redirects=False,
        stream=True,
        headers={"Accept": "application/json"},
    )
    response._content = read_capped(response)
    return response


def read_capped(response: requests.Response) -> bytes:
    """The body of a streamed ``response``, at most one byte over ``MAX_BYTES``, read within
    ``TIMEOUT_SECONDS`` in all: requests' timeout counts each read, so a provider sending a byte
    every few seconds would otherwise hold a worker for as long as it likes. Closes the
    connection; raises ``requests.Timeout`` when the deadline passes."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.raw.stream(8192, decode_content=True):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BYTES:
                break
            if time.monotonic() > deadline:
                raise requests.Timeout(f"{response.url} took longer than {TIMEOUT_SECONDS} s")
    finally:
        response.close()
    return b"".join(chunks)[: MAX_BYTES + 1]


def check_url(url: str, *, what: str) -> None:
    """Refuse ``url`` unless it is an http(s) URL whose host is public (and https), unless
    ``SSO_ALLOW_INSECURE``. Public: used for every URL our server will fetch from a provider,
    at save here and by the sign-in's requests session."""
    # Translators: %(what)s names the URL: "issuer URL" (translated), or the name of an
    # endpoint of the OpenID Connect discovery document (such as "token endpoint", in English).
    invalid = _("The %(what)s is not a valid URL.") % {"what": what}
    if any(c == "\\" or c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        # Backslashes and controls are where URL parsers disagree on the host.
        raise ValidationError(invalid)
    try:
        parts = urlsplit(url)
        # Both parse lazily and raise ValueError on a bad bracket or port ("http://[::1").
        hostname, port = parts.hostname, parts.port
        # The host requests will connect to is urllib3's reading of the URL: it must be the
        # one checked here, or "https://10.0.0.5\\@idp.example.com/" passes as public.
        connects_to = (parse_url(url).host or "").strip("[]").lower()
    except (ValueError, LocationParseError) as exc:
        raise ValidationError(invalid) from exc
    if hostname and connects_to != hostname.lower():
        raise ValidationError(invalid)
    if parts.scheme not in ("https", "http") or not hostname:
        raise ValidationError(
            # Translators: %(what)s as in "The %(what)s is not a valid URL."
            _("The %(what)s must be a full URL, starting with https://.") % {"what": what}
        )
    if settings.SSO_ALLOW_INSECURE:
        return
    if parts.scheme != "https":
        # Translators: %(what)s as in "The %(what)s is not a valid URL."
        raise ValidationError(_("The %(what)s must use https://.") % {"what": what})
    if not host_is_public(hostname, port or 443):
        raise ValidationError(
            _(
                "The host %(host)s is on a private network: the identity provider must be "
                "reachable from the internet."
            )
            % {"host": hostname}
        )


def host_is_public(hostname: str, port: int = 443) -> bool:
    """Whether every address ``hostname`` stands for is a global one. An address literal is
    judged as written, not resolved (a resolver may answer anything for "169.254.169.254");
    a name that does not resolve is refused with its own message."""
    try:
        return ipaddress.ip_address(hostname.split("%")[0]).is_global
    except ValueError:
        pass  # a name, not an address
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(hostname, port)}
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(
            _("The host %(host)s does not exist (DNS). Check the issuer URL.") % {"host": hostname}
        ) from exc
    return bool(addresses) and all(
        ipaddress.ip_address(str(a).split("%")[0]).is_global for a in addresses
    )


# The name the fence had first; kept so that older imports still work.
_check_url = check_url


def discover(issuer: str) -> dict[str, Any]:
    """The issuer's discovery document, checked; ``ValidationError`` explains a problem."""
    # Translators: completes "The %(what)s is not a valid URL." and the like.
    check_url(issuer, what=_("issuer URL"))
    url = discovery_url(issuer)
    try:
        response = fetch(url)
    except requests.Timeout as exc:
        raise ValidationError(
            _("%(url)s did not answer within %(seconds)s seconds. Check the issuer URL.")
            % {"url": url, "seconds": TIMEOUT_SECONDS}
        ) from exc
    except requests.RequestException as exc:
        raise ValidationError(
            _("Could not reach %(url)s. Check the issuer URL (and that the provider is up).")
            % {"url": url}
        ) from exc
    if response.is_redirect or response.is_permanent_redirect:
        raise ValidationError(
            _(
                "%(url)s redirects elsewhere. Enter the issuer exactly as your identity provider "
                "documents it."
            )
            % {"url": url}
        )
    if response.status_code != 200:
        raise ValidationError(
            _("%(url)s answered HTTP %(status)s, not the discovery document. Check the issuer URL.")
            % {"url": url, "status": response.status_code}
        )
    if len(response.content) > MAX_BYTES:
        raise ValidationError(
            _("%(url)s sent more than a discovery document would be.") % {"url": url}
        )
    try:
        document = json.loads(response.content)
    except ValueError as exc:
        raise ValidationError(
            _(
                "%(url)s did not answer with JSON. Is this the issuer URL of an OpenID Connect "
                "provider?"
            )
            % {"url": url}
        ) from exc
    if not isinstance(document, dict):
        raise ValidationError(_("%(url)s did not answer with a discovery document.") % {"url": url})
    declared = document.get("issuer")
    if not isinstance(declared, str) or declared.rstrip("/") != issuer.rstrip("/"):
        raise ValidationError(
            _(
                "The provider calls itself %(declared)s, not %(issuer)s: enter the issuer it "
                "declares (tokens from it would be refused otherwise)."
            )
            % {"declared": repr(declared), "issuer": repr(issuer)}
        )
    missing = [key for key in REQUIRED if not isinstance(document.get(key), str)]
    if missing:
        raise ValidationError(
            _("The discovery document lacks %(keys)s.") % {"keys": ", ".join(missing)}
        )
    if "code" not in (document.get("response_types_supported") or []):
        raise ValidationError(
            _(
                "This provider does not offer the authorization code flow (response type "
                "'code'), which sign-in here uses."
            )
        )
    for key in OPTIONAL:
        if document.get(key) is not None and not isinstance(document[key], str):
            raise ValidationError(
                _("The discovery document's %(key)s is not a URL.") % {"key": key}
            )
    for key in (*REQUIRED, *(k for k in OPTIONAL if document.get(k) is not None)):
        check_url(document[key], what=key.replace("_", " "))
    return document
