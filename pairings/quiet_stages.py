"""The reads and writes of the inactivity pass on quiet pairs (``reminders.inactivity_nudges``):
what counts as a pair's last activity, and the compare-and-sets that store its notice and its
next check.

Each stored value is written by a compare-and-set of its own, on the value the pass read:
what a partner does while the pass runs (keeps the pair, plans a meeting, logs a session: each
withdraws the notice and may move the check) and what HR does (a program setting edited moves
the check) wins over what the pass decided from its older read, and neither write undoes the
other. A notice sent is recorded even when the check moved meanwhile: otherwise the next pass
would tell both partners again, with another closing day.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max, Min, Q

from pairings.models import Pairing


def quiet_pairs_read(*, ids: list[int], now: datetime) -> list[Pairing]:
    """The due pairs ``ids`` still active, with what decides their stage: their last and next
    meetings and their last status change (one query).

    A confidential exit request is a line of the history with the status the pair had
    (active), but it is not activity: the pair "carries on as it was", and counting it would
    silently withdraw the closing notice and restart the nudges (whose "you have not met for N
    days" would then date the confidential request for the other partner)."""
    return list(
        Pairing.objects.filter(pk__in=ids, status=Pairing.Status.ACTIVE)
        .annotate(
            last_meeting=Max(
                "meetings__starts_at",
                filter=Q(meetings__cancelled_at__isnull=True, meetings__starts_at__lte=now),
            ),
            next_meeting=Min(
                "meetings__starts_at",
                filter=Q(meetings__cancelled_at__isnull=True, meetings__starts_at__gt=now),
            ),
            activated=Max(
                "events__created_at",
                filter=Q(events__status=Pairing.Status.ACTIVE, events__confidential=False),
            ),
        )
        .select_related("program", "mentor__membership__user", "mentee__membership__user")
        .order_by("quiet_check_at")
    )


def last_activity(pairing: Pairing) -> datetime:
    """When the pair's current quiet stretch began (a pair read by :func:`quiet_pairs_read`):
    its last meeting or logged session, its last status change, a partner keeping it; else
    its start."""
    marks = [
        m
        for m in (pairing.last_met_at, pairing.last_meeting, pairing.activated, pairing.kept_at)
        if m
    ]
    return max(marks) if marks else pairing.created_at


def notice_record(pairing: Pairing, *, now: datetime) -> bool:
    """Record that the closing notice is sent now, if the pair's notice is still the one the
    pass read (none, or one of an earlier stretch) and the pair is active. Returns whether it
    was recorded; the caller sends the notice only then, in the same transaction (the row stays
    locked until it commits: a second pass at once waits, then finds the notice taken)."""
    # ``quiet_notice_at=None`` is IS NULL: none sent yet, and none sent meanwhile.
    rows = Pairing.objects.filter(
        pk=pairing.pk, status=Pairing.Status.ACTIVE, quiet_notice_at=pairing.quiet_notice_at
    )
    if not rows.update(quiet_notice_at=now):
        return False
    pairing.quiet_notice_at = now
    return True


def check_store(
    pairing: Pairing, *, following: datetime | None, days: int, notice_at: datetime | None
) -> None:
    """Store the pair's next check, if the check is still the one the pass read (a setting
    edited, a meeting planned meanwhile moved it: theirs stands). A notice the pass no longer
    stands by (``notice_at`` None: a meeting is ahead, it belongs to an earlier stretch, the
    program no longer closes the pair this soon) is withdrawn if it is still the one read."""
    Pairing.objects.filter(pk=pairing.pk, quiet_check_at=pairing.quiet_check_at).update(
        quiet_check_at=following, quiet_check_days=days
    )
    if notice_at is None and pairing.quiet_notice_at is not None:
        Pairing.objects.filter(pk=pairing.pk, quiet_notice_at=pairing.quiet_notice_at).update(
            quiet_notice_at=None
        )
