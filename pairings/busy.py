"""When people are busy: what "Find a time" must avoid (a selector, inside the tenant scope).

A person is busy when their own calendar says so (``BusyCalendar``, read through its private
address every 15 minutes) and during every meeting of the app they take part in, in any of
their pairs ("meetings already in the app count as busy for both partners").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from mentorship.models import Membership
from pairings.freebusy import HORIZON, Interval, from_epoch_pairs, merge_intervals
from pairings.models import BusyCalendar, Meeting
from pairings.timezones import zone_named
from programs.models import Participant

# The longest meeting the model can hold (``duration_minutes`` is a small integer): a meeting
# that started this long before the window may still reach into it.
LONGEST_MEETING = timedelta(minutes=32767)
# A calendar read every ``BUSY_CALENDAR_REFRESH_MINUTES`` whose last good reading is older than
# this many refreshes (an hour by default) is unknown: its reads keep failing or never end
# (a worker lost, workers stopped), and what its owner booked since would count as free.
STALE_AFTER_REFRESHES = 4


def stale_after() -> timedelta:
    """How old a calendar's last good reading may be and still count."""
    return timedelta(minutes=settings.BUSY_CALENDAR_REFRESH_MINUTES * STALE_AFTER_REFRESHES)


@dataclass(frozen=True)
class Busy:
    intervals: list[tuple[datetime, datetime]]  # UTC, sorted, merged, clipped to [start, end)
    # A calendar is connected but pending or failing, its last good reading is older than
    # ``stale_after()``, or its stored horizon ends before the window does: treat the whole
    # window as not free (unknown is not free).
    unknown: bool
    calendar_read_at: datetime | None  # last good fetch, None without a calendar or before it


def busy_for(*, participants: list[Participant], start: datetime, end: datetime) -> dict[int, Busy]:
    """Each participant's busy time in [start, end), keyed by participant pk.

    Two queries whatever the number of meetings or busy intervals: the calendars of the
    participants' memberships, and the meetings of every pair any of them is in (through any
    participant row of the same membership; through the row itself when it has no membership).
    """
    membership_ids = {p.membership_id for p in participants if p.membership_id is not None}
    loose_ids = {p.pk for p in participants if p.membership_id is None}

    calendars: dict[int, BusyCalendar] = {}
    if membership_ids:
        calendars = {
            c.membership_id: c
            for c in BusyCalendar.objects.filter(membership_id__in=membership_ids).only(
                "membership_id", "state", "busy", "fetched_at"
            )
        }

    by_membership: dict[int, list[Interval]] = defaultdict(list)
    by_participant: dict[int, list[Interval]] = defaultdict(list)
    if membership_ids or loose_ids:
        whose = (
            Q(pairing__mentor__membership_id__in=membership_ids)
            | Q(pairing__mentee__membership_id__in=membership_ids)
            | Q(pairing__mentor_id__in=loose_ids)
            | Q(pairing__mentee_id__in=loose_ids)
        )
        rows = (
            Meeting.objects.filter(
                whose,
                cancelled_at__isnull=True,
                starts_at__lt=end,
                starts_at__gt=start - LONGEST_MEETING,
            )
            .values_list(
                "starts_at",
                "duration_minutes",
                "pairing__mentor_id",
                "pairing__mentor__membership_id",
                "pairing__mentee_id",
                "pairing__mentee__membership_id",
            )
            .order_by()
        )
        for starts_at, minutes, mentor_id, mentor_mid, mentee_id, mentee_mid in rows:
            interval = (starts_at, starts_at + timedelta(minutes=minutes))
            for participant_id, mid in ((mentor_id, mentor_mid), (mentee_id, mentee_mid)):
                if mid is not None:
                    by_membership[mid].append(interval)
                else:
                    by_participant[participant_id].append(interval)

    oldest_trusted = timezone.now() - stale_after()
    result: dict[int, Busy] = {}
    for participant in participants:
        mid = participant.membership_id
        intervals = list(by_participant[participant.pk]) if mid is None else by_membership[mid]
        calendar = calendars.get(mid) if mid is not None else None
        unknown = False
        read_at = None
        if calendar is not None:
            read_at = calendar.fetched_at
            # A failing calendar's last good intervals still count; the window is unknown anyway.
            intervals = [*intervals, *from_epoch_pairs(calendar.busy or [])]
            unknown = (
                calendar.state != BusyCalendar.State.OK
                or read_at is None
                or read_at < oldest_trusted
                or read_at + HORIZON < end
            )
        result[participant.pk] = Busy(
            intervals=merge_intervals(intervals, start=start, end=end),
            unknown=unknown,
            calendar_read_at=read_at,
        )
    return result


# --- The member's own calendar (its page) --------------------------------------------------------

# Busy times the page lists, so that its owner can check the reading is right.
SHOWN_BUSY = 5


def member_zone(*, membership_id: int) -> ZoneInfo | None:
    """The zone the person set in the app (their latest participation's), None when they set
    none (every participation left at UTC, or no participation)."""
    names = (
        Participant.objects.filter(membership_id=membership_id)
        .exclude(timezone__in=("", "UTC"))
        .order_by("-created_at", "-id")
        .values_list("timezone", flat=True)[:1]
    )
    return zone_named(names[0]) if names else None


@dataclass(frozen=True)
class BusyCalendarView:
    calendar: BusyCalendar | None
    zone: ZoneInfo  # the member's (UTC when they set none)
    upcoming: list[Interval]  # the next few busy times read from the calendar
    count: int  # busy times ahead read from the calendar, in all


def busy_calendar_of(*, membership: Membership) -> BusyCalendarView:
    """The member's own calendar connection, for its page (theirs only: never another's)."""
    calendar = BusyCalendar.objects.filter(membership=membership).first()
    zone = member_zone(membership_id=membership.pk) or ZoneInfo("UTC")
    if calendar is None:
        return BusyCalendarView(calendar=None, zone=zone, upcoming=[], count=0)
    now = timezone.now()
    ahead = [(s, e) for s, e in from_epoch_pairs(calendar.busy or []) if e > now]
    return BusyCalendarView(
        calendar=calendar, zone=zone, upcoming=ahead[:SHOWN_BUSY], count=len(ahead)
    )
