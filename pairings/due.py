"""When a meeting or a pair next has something to send: pure arithmetic on times.

The reminder pass (``pairings.reminders``) reads only rows whose stored moment has come, so its
cost follows what is due, not how many meetings and pairs there are. These functions say what
to store. The rule they keep: a stored moment is never later than the first send it stands
for, so nothing is sent late; it may be earlier (a check then only moves it on).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

# After a meeting ends, the "log your session" prompt goes out within this long, or not at all.
LOG_PROMPT_WINDOW = timedelta(days=2)
# A quiet pair is told this long ahead that it will close, and can keep it meanwhile.
NOTICE = timedelta(days=7)


def meeting_ends(starts_at: datetime, duration_minutes: int) -> datetime:
    return starts_at + timedelta(minutes=duration_minutes)


def meeting_first_due(
    *, starts_at: datetime, duration_minutes: int, offsets_hours: Iterable[int]
) -> datetime:
    """A new or moved meeting's first moment: its earliest reminder, else its end (the prompt).

    It may lie in the past (a meeting set for in an hour, with a 24-hour reminder): the next
    pass then sends the smallest reminder that is due, as a pass always does.
    """
    offsets = [h for h in offsets_hours if h > 0]
    if offsets:
        return starts_at - timedelta(hours=max(offsets))
    return meeting_ends(starts_at, duration_minutes)


def meeting_due_offset(
    *, starts_at: datetime, offsets_hours: Iterable[int], now: datetime
) -> int | None:
    """The reminder to send now: the smallest offset whose moment has come, before the start.

    Only the smallest is sent, so a pass catching up after an outage does not send the 24-hour
    and the 1-hour reminder in the same minute.
    """
    if starts_at <= now:
        return None
    due = [h for h in offsets_hours if h > 0 and starts_at - timedelta(hours=h) <= now]
    return min(due) if due else None


def meeting_next_due(
    *, starts_at: datetime, duration_minutes: int, offsets_hours: Iterable[int], now: datetime
) -> datetime | None:
    """The moment after ``now`` at which the meeting next has something to send, or None."""
    ends_at = meeting_ends(starts_at, duration_minutes)
    moments = [starts_at - timedelta(hours=h) for h in offsets_hours if h > 0]
    moments.append(ends_at)
    later = [m for m in moments if m > now]
    return min(later) if later else None


def log_prompt_due(*, starts_at: datetime, duration_minutes: int, now: datetime) -> bool:
    """Whether the meeting has ended recently enough for its "log your session" prompt."""
    ends_at = meeting_ends(starts_at, duration_minutes)
    return now - LOG_PROMPT_WINDOW <= ends_at <= now


def quiet_notice_due(
    *, last_activity: datetime, inactive_days: int, close_after_days: int
) -> datetime:
    """When the partners of a pair quiet since ``last_activity`` are told that it will close:
    ``NOTICE`` before the program's ``close_after_days``, but never before HR admins have been
    told (day 2N), so the notice always comes after the nudge and the escalation."""
    days = max(close_after_days - NOTICE.days, 2 * inactive_days)
    return last_activity + timedelta(days=days)


def quiet_next_check(
    *,
    last_activity: datetime,
    inactive_days: int,
    now: datetime,
    close_after_days: int | None = None,
    notice_at: datetime | None = None,
) -> tuple[int, datetime | None]:
    """For a pair last active at ``last_activity``: which stage of "gone quiet" it is in now
    and when to look again.

    0: not quiet; 1: nudge both partners (day N); 2: tell HR admins too (day 2N). With the
    program's ``close_after_days`` (C) set: 3: both partners are told the pair closes in
    ``NOTICE`` (at :func:`quiet_notice_due`), or were told at ``notice_at``; 4: close it. The
    close comes ``NOTICE`` after the notice was actually sent, not after it should have been:
    a late pass never shortens the warning. A ``notice_at`` before ``last_activity`` belongs to
    an earlier stretch and does not count.

    Without C, after stage 2 there is nothing more to say about this quiet stretch: None, until
    activity (a meeting, a log, a partner keeping the pair) starts another one and moves the
    check. At stage 3 with no notice sent yet, the next look is ``NOTICE`` from now: the
    caller sends the notice now.
    """
    first = last_activity + timedelta(days=inactive_days)
    second = last_activity + timedelta(days=2 * inactive_days)
    if now < first:
        return 0, first
    if now < second:
        return 1, second
    if close_after_days is None:
        return 2, None
    notice = quiet_notice_due(
        last_activity=last_activity, inactive_days=inactive_days, close_after_days=close_after_days
    )
    if now < notice:
        return 2, notice
    if notice_at is not None and notice_at >= last_activity:
        closes = notice_at + NOTICE
        return (3, closes) if now < closes else (4, None)
    return 3, now + NOTICE


def quiet_notice_pending(*, last_activity: datetime, notice_at: datetime | None) -> bool:
    """Whether ``notice_at`` is a notice of the quiet stretch that began at ``last_activity``."""
    return notice_at is not None and notice_at >= last_activity
