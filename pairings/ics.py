"""iCalendar (RFC 5545 / iTIP RFC 5546) documents for meetings: invitations and personal feeds.

A pure module: it gets plain values and returns bytes, so it knows nothing of the ORM.

Invitations are iTIP messages (``METHOD:REQUEST`` or ``METHOD:CANCEL``): calendar clients match
them to the event they already hold by ``UID`` and apply them only when ``SEQUENCE`` is higher
than what they have, which is why the UID never changes and the sequence grows with every change.
A feed is a plain published calendar, without ``METHOD``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Reverse mentoring//Meetings//EN"
Method = Literal["REQUEST", "CANCEL"]
METHODS: tuple[Method, ...] = ("REQUEST", "CANCEL")


@dataclass(frozen=True)
class FeedEvent:
    """One meeting as a personal feed shows it."""

    uid: str
    sequence: int
    starts_at_utc: datetime
    duration_minutes: int
    summary: str
    description: str = ""
    location: str = ""


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Meeting times must be timezone-aware")
    return moment.astimezone(UTC)


def _calendar(method: Method | None = None, name: str = "") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        # Understood by Apple Calendar, Google Calendar and Outlook as the subscription's name.
        calendar.add("x-wr-calname", name)
    return calendar


def _event(
    *,
    uid: str,
    sequence: int,
    starts_at_utc: datetime,
    duration_minutes: int,
    summary: str,
    description: str,
    location: str,
    stamp: datetime,
) -> Event:
    start = _utc(starts_at_utc)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=duration_minutes))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    return event


def _address(email: str, name: str = "") -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["cn"] = vText(name)
    return address


def meeting_ics(
    *,
    uid: str,
    sequence: int,
    starts_at_utc: datetime,
    duration_minutes: int,
    summary: str,
    description: str,
    location: str,
    organizer_email: str,
    attendee_emails: Sequence[str],
    method: Method,
    organizer_name: str = "",
    now: datetime | None = None,
) -> bytes:
    """An invitation (``REQUEST``) or its cancellation (``CANCEL``) for one meeting."""
    if method not in METHODS:
        raise ValueError(f"Unknown iTIP method {method!r}")
    calendar = _calendar(method)
    event = _event(
        uid=uid,
        sequence=sequence,
        starts_at_utc=starts_at_utc,
        duration_minutes=duration_minutes,
        summary=summary,
        description=description,
        location=location,
        stamp=_utc(now or datetime.now(UTC)),
    )
    event.add("organizer", _address(organizer_email, organizer_name))
    for email in attendee_emails:
        attendee = _address(email)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        # Replies would go to the platform's no-reply organiser: do not ask for them.
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def feed_ics(
    events: Iterable[FeedEvent], *, name: str = "Reverse mentoring", now: datetime | None = None
) -> bytes:
    """A subscribable calendar of ``events`` (the caller chooses which: no METHOD, no attendees,
    so the feed never exposes anyone's address to the calendar provider beyond the event)."""
    calendar = _calendar(name=name)
    stamp = _utc(now or datetime.now(UTC))
    for item in events:
        event = _event(
            uid=item.uid,
            sequence=item.sequence,
            starts_at_utc=item.starts_at_utc,
            duration_minutes=item.duration_minutes,
            summary=item.summary,
            description=item.description,
            location=item.location,
            stamp=stamp,
        )
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
