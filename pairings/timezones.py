"""Time zones of meetings: times are stored in UTC and entered and shown in the viewer's zone
(the ``timezone`` of their participant row in the pair, UTC for anyone else, an HR admin looking;
see ``pairings.selectors.viewer_timezone``)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop, pgettext

# Marked here, translated where it is raised (a plain string, as tests compare it).
DST_GAP_MESSAGE = gettext_noop(
    "This time does not exist on that day because the clocks change; pick another time."
)


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC when it is empty or unknown (imported rows may hold anything)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_to_utc(*, local: datetime, tz: ZoneInfo) -> datetime:
    """Turn a wall-clock time in ``tz`` (naive, as a form gives it) into an aware UTC datetime.

    A time the clocks skip (the spring-forward gap) does not exist and is refused. A time the
    clocks pass twice (the fall-back hour) is taken at its first occurrence (``fold=0``), the one
    people mean when they say "half past one" before the change.
    """
    if local.tzinfo is not None:
        raise ValueError("local_to_utc expects a naive wall-clock time")
    aware = local.replace(tzinfo=tz, fold=0)
    in_utc = aware.astimezone(UTC)
    # zoneinfo accepts a skipped time and quietly shifts it; the round trip shows the shift.
    if in_utc.astimezone(tz).replace(tzinfo=None) != local:
        raise ValidationError(gettext(DST_GAP_MESSAGE), code="nonexistent_time")
    return in_utc


def when_in(moment: datetime, tz: ZoneInfo) -> str:
    """``moment`` as people read it in ``tz``, with the zone's abbreviation, written the way
    the active language writes dates (names of days and months in it too): "Sunday 4 April
    2027, 10:00 BST" in English. Callers composing for a recipient activate the recipient's
    language first (``mentorship.i18n.recipient_language``)."""
    # Translators: how a meeting's day and time are written, in Django's date format syntax
    # (l: weekday, j: day, F: month, Y: year, H:i: 24-hour time, T: time zone abbreviation).
    # Reorder and add literal words escaped with a backslash, e.g. German "l, j. F Y, H:i T".
    when_format = pgettext("meeting date and time format", "l j F Y, H:i T")
    return date_format(moment.astimezone(tz), when_format)
