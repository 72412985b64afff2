"""Reading a person's own calendar through its private iCalendar address (the work the tasks
do; ``pairings.services.busy_calendars`` connects and removes calendars).

The address is a secret: whoever holds it reads the whole calendar. It is decrypted only here,
for the request, and never logged, stored in an error or shown: messages and logs name the
calendar by its id and the problem in plain words.

A fetch, every ``BUSY_CALENDAR_REFRESH_MINUTES``:

- is claimed first by a compare-and-set on ``next_fetch_at`` (moved 15 minutes on), so two
  workers never read the same calendar at once and a redelivered task does nothing;
- goes through the webhooks' fence (``mentorship.events.fence``): https only, port 443 only
  (the feature must not probe other services' ports) and public addresses only, checked on
  the name before connecting and on the address actually reached,
  unless ``CALENDARS_ALLOW_PRIVATE_NETWORKS`` (tests, on-premises calendar servers; link-local
  and cloud metadata addresses stay refused whatever the setting);
- takes at most 10 seconds in all (DNS, connect, TLS, redirects, body, then expanding the
  events: ``pairings.freebusy`` stops at what is left of them) and 5 MB (read as a stream and
  stopped there);
- follows at most 3 redirects, each target checked by the same rules before it is requested
  (iCloud sends a calendar's readers to the server that holds it; anything else gets no
  further than the fence lets it);
- is conditional (``If-None-Match`` / ``If-Modified-Since``): a 304 keeps the stored busy
  times and counts as a good read. Only within the UTC day of the last full read, though: the
  first fetch of a day reads the whole file again, so the stored intervals (read for 8 weeks
  and a day) always cover the 8 weeks after ``fetched_at`` that ``pairings.busy`` trusts.

A failure (an HTTP error, a timeout, too big, not a calendar, a refused address) marks the
calendar failing with the reason in plain words; its last busy times are kept but count as
unknown (``pairings.busy``), and the next attempt comes 15 minutes later as usual.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from mentorship.events.fence import (
    AddressRefused,
    Budget,
    LookupTimedOut,
    address_problem,
    fenced_session,
    host_addresses,
    split_url,
    time_budget,
)
from mentorship.i18n import recipient_language
from mentorship.identity.secrets import decrypt
from mentorship.tenancy import across_all_organizations
from pairings.busy import member_zone
from pairings.freebusy import HORIZON, NotACalendar, busy_intervals, to_epoch_pairs
from pairings.models import BusyCalendar

logger = logging.getLogger(__name__)


class _NoRequestLines(logging.Filter):
    """urllib3 logs every request's path at DEBUG level (and redirects' targets): a calendar's
    path is its secret, so those lines are dropped, whatever level an operator turns on."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        return not (
            record.levelno <= logging.DEBUG
            and ('"%s %s %s"' in message or message.startswith(("Redirecting", "Retry")))
        )


logging.getLogger("urllib3.connectionpool").addFilter(_NoRequestLines())

TIMEOUT_SECONDS = 10
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
URL_MAX_LENGTH = 2000
# A dispatched calendar is leased for this long: the next minutes' passes leave it alone,
# and a task that never ran (a lost message) is dispatched again after it.
LEASE = timedelta(minutes=5)
# Calendars one dispatcher pass sends for at most (the rest wait for the next minute).
PASS_LIMIT = 500
# Read a day beyond the horizon: a conditional read later that day keeps the intervals (see
# the module's docstring).
READ_AHEAD = HORIZON + timedelta(days=1)
REDIRECTS = (301, 302, 303, 307, 308)

# The only port read without ``CALENDARS_ALLOW_PRIVATE_NETWORKS``: every calendar service
# publishes on it, and other ports would let members probe other services.
HTTPS_PORT = 443
# Marked here, translated where they are used (``gettext(...)``): plain strings to compare.
UNREACHABLE_REDIRECT_MESSAGE = gettext_noop(
    "The calendar's server sent us to an address that cannot be reached (an invalid "
    "redirect). Copy the private address again from your calendar's settings."
)
NOT_A_CALENDAR_MESSAGE = gettext_noop(
    "The address did not answer with a calendar (an iCalendar file). Copy the private "
    "address in iCal format again from your calendar's settings."
)


def seconds_message() -> str:
    """The time-limit failure, with the limit in force (read when it happens)."""
    return _(
        "The calendar did not answer within %(seconds)s seconds in all (connecting, "
        "redirects and downloading the whole file included). We will try again."
    ) % {"seconds": TIMEOUT_SECONDS}


def refresh_interval() -> timedelta:
    return timedelta(minutes=settings.BUSY_CALENDAR_REFRESH_MINUTES)


def private_networks_allowed() -> bool:
    return bool(getattr(settings, "CALENDARS_ALLOW_PRIVATE_NETWORKS", False))


# --- The address ---------------------------------------------------------------------------------


def normalise_url(url: str) -> str:
    """The address as typed, trimmed, with ``webcal://`` (how calendar apps hand out a
    subscription) read as the ``https://`` it stands for."""
    url = url.strip()
    lowered = url.lower()
    for prefix in ("webcals://", "webcal://"):
        if lowered.startswith(prefix):
            return "https://" + url[len(prefix) :]
    return url


def calendar_url_problem(url: str, *, allow_private: bool) -> str | None:
    """What is wrong with ``url`` as a calendar address to read, in words for its owner (never
    repeating the address); None if nothing. Resolves the host: every address it stands for
    must be public (unless ``allow_private``)."""
    if len(url) > URL_MAX_LENGTH:
        return _("This address is too long (at most %(most)s characters).") % {
            "most": URL_MAX_LENGTH
        }
    try:
        scheme, host, port = split_url(url)
    except ValueError:
        return _(
            "Enter the full private address of your calendar, starting with https:// or "
            "webcal://, without a user name or password in it."
        )
    if scheme != "https" and not allow_private:
        return _(
            "The address must start with https:// (or webcal://): calendars are read over "
            "an encrypted connection only."
        )
    try:
        addresses = host_addresses(host, port)
    except LookupTimedOut:
        return _("The server %(host)s did not answer in time (DNS). Try again in a moment.") % {
            "host": host
        }
    except (OSError, UnicodeError):
        return _("The server %(host)s does not exist (no DNS answer). Check the address.") % {
            "host": host
        }
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem is not None:
            return _(
                "The server %(host)s is not reachable from the internet (%(problem)s). Only "
                "calendars on public servers can be read."
            ) % {"host": host, "problem": problem}
    # After the addresses (a private server is the graver refusal), before any connection.
    if port != HTTPS_PORT and not allow_private:
        return _(
            "The address must use the standard https port (%(https_port)s): remove the "
            ":%(port)s after the server's name, or copy the address again from your "
            "calendar's settings."
        ) % {"https_port": HTTPS_PORT, "port": port}
    return None


# File names shown back: the fixed last part of the big providers' private addresses
# (Google's ``…/private-<secret>/basic.ics``, Outlook's ``…/<secret>/calendar.ics`` and
# ``reachcalendar.ics``). Any other last part may be the secret itself (iCloud's, Nextcloud's
# ``…?export``, an unknown server's ``<token>.ics``): never shown.
SAFE_FILE_NAMES = frozenset({"basic.ics", "calendar.ics", "reachcalendar.ics"})


def url_hint(url: str) -> str:
    """The address masked, to show back: its scheme and server, then ``/…``, and the file
    name only when it is one of ``SAFE_FILE_NAMES``. Never a path segment, a query or a
    fragment that could be the secret."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "")[:60]
    except ValueError:
        return "…"
    last = parts.path.rstrip("/").rsplit("/", 1)[-1].lower()
    shown = last if last in SAFE_FILE_NAMES and not parts.query else ""
    return f"{parts.scheme}://{host}/…/{shown}" if shown else f"{parts.scheme}://{host}/…"


# --- Download ------------------------------------------------------------------------------------


class FetchFailed(Exception):
    """The calendar could not be read; ``str(exc)`` says why, for its owner."""


@dataclass(frozen=True)
class Fetched:
    status: int  # 200 or 304
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""


def download(url: str, *, etag: str = "", last_modified: str = "", allow_private: bool) -> Fetched:
    """The calendar at ``url`` (see the module's docstring for the limits); ``FetchFailed``."""
    headers = {
        "Accept": "text/calendar, text/plain;q=0.5, */*;q=0.1",
        # gzip only: what calendar servers use, and what the size limit is counted after.
        "Accept-Encoding": "gzip",
        "User-Agent": "reverse-mentoring free/busy reader",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with (
        fenced_session(allow_private=allow_private) as session,
        time_budget(TIMEOUT_SECONDS) as budget,
    ):
        for _attempt in range(MAX_REDIRECTS + 1):
            problem = calendar_url_problem(url, allow_private=allow_private)
            if problem is not None:
                raise FetchFailed(problem)
            try:
                response = session.get(
                    url,
                    headers=headers,
                    timeout=max(budget.remaining(), 0.001),
                    allow_redirects=False,
                    stream=True,
                )
            except AddressRefused as exc:
                raise FetchFailed(
                    _(
                        "The calendar's server is on a private or local network address, which "
                        "is never read."
                    )
                ) from exc
            except ValueError as exc:
                # requests reads a redirect's Location even when it does not follow it
                # (``Response.next``): one it cannot parse fails here (``InvalidURL`` too).
                raise FetchFailed(gettext(UNREACHABLE_REDIRECT_MESSAGE)) from exc
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                raise FetchFailed(_failure(exc, budget)) from exc
            try:
                if budget.expired:
                    raise FetchFailed(seconds_message())
                code = response.status_code
                if code in REDIRECTS and response.headers.get("location"):
                    url = _redirect_target(url, response.headers["location"])
                    continue
                if code == 304 and (etag or last_modified):
                    return Fetched(status=304)
                if code != 200:
                    raise FetchFailed(_status_message(code))
                body = _read_body(response, budget)
                return Fetched(
                    status=200,
                    body=body,
                    etag=_header(response, "etag", 200),
                    last_modified=_header(response, "last-modified", 100),
                )
            finally:
                response.close()
    raise FetchFailed(
        _(
            "The address redirects more than %(most)s times. Copy the private address "
            "again from your calendar's settings."
        )
        % {"most": MAX_REDIRECTS}
    )


def _redirect_target(url: str, location: str) -> str:
    """Where a redirect sends us; ``FetchFailed`` (an unreachable address, not "not a
    calendar") when its ``Location`` cannot be read as an http(s) address."""
    try:
        target = urljoin(url, location)
        split_url(target)
    except ValueError as exc:  # UnicodeError included
        raise FetchFailed(gettext(UNREACHABLE_REDIRECT_MESSAGE)) from exc
    return target


def _header(response: requests.Response, name: str, limit: int) -> str:
    # A value too long to keep whole is not kept at all: cut short, it would never match.
    value = response.headers.get(name, "")
    return value if len(value) <= limit else ""


def _read_body(response: requests.Response, budget: Budget) -> bytes:
    too_big = _(
        "The calendar is larger than %(megabytes)s MB, more than this app "
        "reads. A calendar with fewer past events (or a separate one for work) will do."
    ) % {"megabytes": MAX_BYTES // (1024 * 1024)}
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise FetchFailed(too_big)
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.raw.stream(64 * 1024, decode_content=True):
            size += len(chunk)
            if size > MAX_BYTES:
                raise FetchFailed(too_big)
            chunks.append(chunk)
            if budget.expired:
                raise FetchFailed(seconds_message())
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        raise FetchFailed(_failure(exc, budget)) from exc
    if budget.expired:
        raise FetchFailed(seconds_message())
    return b"".join(chunks)


def _failure(exc: BaseException, budget: Budget) -> str:
    """What went wrong before the calendar came, in words for its owner (never the exception's
    own text: requests puts the address in it)."""
    if budget.expired or isinstance(
        exc, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError
    ):
        return seconds_message()
    if isinstance(exc, requests.exceptions.SSLError | urllib3.exceptions.SSLError):
        return _("The secure connection to the calendar's server failed (its certificate).")
    if isinstance(exc, requests.ConnectionError | urllib3.exceptions.NewConnectionError):
        return _("The calendar's server could not be reached.")
    return _("The calendar's answer could not be read.")


def _status_message(code: int) -> str:
    if code in (404, 410):
        return _(
            "The calendar was not found (HTTP %(code)s): it may have been unpublished, or its "
            "private address reset. Copy the current address from your calendar's settings."
        ) % {"code": code}
    if code in (401, 403):
        return _(
            "The calendar's server refused to share it (HTTP %(code)s). Check that you copied "
            "the private (secret) address, not the public or the sharing one."
        ) % {"code": code}
    if 300 <= code < 400:
        return _(
            "The calendar's server sent us elsewhere without saying where (HTTP %(code)s)."
        ) % {"code": code}
    return _("The calendar's server answered with an error (HTTP %(code)s). We will try again.") % {
        "code": code
    }


# --- Fetch ---------------------------------------------------------------------------------------


def busy_calendar_fetch(*, calendar_id: int, now: datetime | None = None) -> str:
    """Read one calendar if it is due (or leased to its task) and claimable; inside its
    organisation's scope. Returns what happened: "skipped", "read", "unchanged", "failing"."""
    now = now or timezone.now()
    calendar = (
        BusyCalendar.objects.select_related("membership__user", "membership__organization")
        .filter(pk=calendar_id)
        .first()
    )
    if calendar is None or calendar.next_fetch_at > now + LEASE:
        return "skipped"  # removed, or read a moment ago (a redelivered or repeated task)
    claimed = BusyCalendar.objects.filter(
        pk=calendar.pk, next_fetch_at=calendar.next_fetch_at
    ).update(next_fetch_at=now + refresh_interval(), last_attempt_at=now)
    if not claimed:
        return "skipped"  # another worker has it
    # What went wrong is stored in words for the calendar's owner, in their language.
    membership = calendar.membership
    with recipient_language(membership.user, membership.organization):
        fields, outcome = _read(calendar, now=now)
    # Unless the address changed or the calendar was removed meanwhile: then this read is of
    # an address that no longer counts.
    BusyCalendar.objects.filter(pk=calendar.pk, url_encrypted=calendar.url_encrypted).update(
        **fields
    )
    logger.info("Busy calendar %s: %s", calendar.pk, outcome)
    return outcome


def _read(calendar: BusyCalendar, *, now: datetime) -> tuple[dict[str, object], str]:
    """The fields to store after reading ``calendar``, and the outcome's name."""
    failing = BusyCalendar.State.FAILING
    try:
        url = decrypt(calendar.url_encrypted)
    except ValueError:
        message = _("The address can no longer be read on our side. Please enter it again.")
        return {"state": failing, "last_error": message}, "failing"
    # The time limit covers the download and the expansion after it.
    deadline = time.monotonic() + TIMEOUT_SECONDS
    fresh = (
        calendar.state == BusyCalendar.State.OK
        and calendar.fetched_at is not None
        and calendar.fetched_at.date() == now.date()
    )
    try:
        answer = download(
            url,
            etag=calendar.etag if fresh else "",
            last_modified=calendar.last_modified if fresh else "",
            allow_private=private_networks_allowed(),
        )
        if answer.status == 304:
            ok = {"state": BusyCalendar.State.OK, "fetched_at": now, "last_error": ""}
            return ok, "unchanged"
        intervals = busy_intervals(
            answer.body,
            start=now,
            end=now + READ_AHEAD,
            # None when the person set no zone: the calendar's own, or UTC (``freebusy``).
            default_zone=member_zone(membership_id=calendar.membership_id),
            deadline=deadline,
        )
    except FetchFailed as exc:
        return {"state": failing, "last_error": str(exc)[:300]}, "failing"
    except NotACalendar as exc:
        # The engine's words are marked for translation there (``gettext_noop``).
        message = gettext(exc.owner_message or NOT_A_CALENDAR_MESSAGE)
        return {"state": failing, "last_error": message}, "failing"
    except Exception as exc:  # the libraries on a file nobody foresaw: a failure, not a crash
        # The type only: a message could quote the calendar's content.
        logger.warning("Busy calendar %s could not be expanded (%s)", calendar.pk, type(exc))
        return {"state": failing, "last_error": gettext(NOT_A_CALENDAR_MESSAGE)}, "failing"
    read = {
        "state": BusyCalendar.State.OK,
        "busy": to_epoch_pairs(intervals),
        "etag": answer.etag,
        "last_modified": answer.last_modified,
        "fetched_at": now,
        "last_error": "",
    }
    return read, "read"


# --- Dispatch ------------------------------------------------------------------------------------


def calendars_due_across_organizations(*, now: datetime) -> list[tuple[int, int]]:
    """(organisation id, calendar id) of the calendars due for a read, leased for ``LEASE`` so
    that the next passes leave them to their task: an index range read and one update, across
    every tenant (the dispatcher's pass costs what is due, not what is stored)."""
    with across_all_organizations():
        due = list(
            BusyCalendar.objects.filter(next_fetch_at__lte=now)
            .order_by("next_fetch_at")
            .values_list("organization_id", "pk")[:PASS_LIMIT]
        )
        if due:
            BusyCalendar.objects.filter(
                pk__in=[pk for _, pk in due], next_fetch_at__lte=now
            ).update(next_fetch_at=now + LEASE)
    return due
