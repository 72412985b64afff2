"""Reactions to kernel events; each only calls a service."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from mentorship.models import Membership, User
from mentorship.tenancy import across_all_organizations, tenant_scope
from pairings import reminders, selectors
from pairings.activity import week_of
from pairings.models import Meeting, Pairing, SessionLog, TopicWeek
from pairings.services import busy_calendars, meetings, proposals, quiet
from programs.models import LearningObjective, Program, Topic
from programs.references import many_to_many_move


def meetings_follow_reminder_offsets(sender: Any, program: Program, **kwargs: Any) -> None:
    """A program's reminder times changed: its meetings still ahead are reminded by the new
    ones (a reminder already sent is not sent again: its claim remembers it)."""
    with tenant_scope(program.organization):
        reminders.meetings_rearm(
            meetings=Meeting.objects.filter(pairing__program=program, starts_at__gt=timezone.now())
        )


def quiet_checks_follow_program(sender: Any, program: Program, **kwargs: Any) -> None:
    """A program's close setting changed: its active pairs are looked at again on the next
    pass, with the new setting."""
    with tenant_scope(program.organization):
        reminders.quiet_checks_follow_program(program=program, now=timezone.now())


def close_quiet_pair(
    sender: Any,
    pairing: Pairing,
    now: datetime,
    quiet_since: datetime,
    notice_at: datetime | None = None,
    **kwargs: Any,
) -> Pairing:
    """The reminder pass found a pair whose closing notice ran out: close it (the pass cannot
    call the service itself: the services import the reminders), but only while the notice the
    pass read (``notice_at``) is still pending. Without one, nothing may close it."""
    if notice_at is None:
        return pairing
    return quiet.pairing_close_for_inactivity(
        pairing=pairing, now=now, quiet_since=quiet_since, notice_at=notice_at
    )


def revoke_calendar_feed(sender: Any, membership: Membership, **kwargs: Any) -> None:
    """A removed member's feed is deleted, not just refused: the membership row is reused if they
    come back, and their old secret URL must not come back with it. Their own calendar's
    address (free/busy) is deleted too: nobody reads it for them any more."""
    # The sender may run outside a request (a command, a task): scope explicitly.
    with tenant_scope(membership.organization):
        meetings.calendar_feed_revoke(membership=membership)
        busy_calendars.busy_calendar_remove(membership=membership)


def cancel_meetings_of_removed_member(sender: Any, membership: Membership, **kwargs: Any) -> None:
    """A member who leaves the organisation (removed by HR, deprovisioned by its directory)
    will not come to their meetings: those still ahead are cancelled, and their partners get
    the cancellation as when a pair ends. The departing member is recorded as who cancelled."""
    with tenant_scope(membership.organization):
        for pairing in selectors.pairings_of_member(membership=membership):
            meetings.meetings_cancel_upcoming(pairing=pairing, actor=membership.user)


def withdraw_proposals_of_removed_member(
    sender: Any, membership: Membership, **kwargs: Any
) -> None:
    """A member who leaves cannot be met: the times they proposed are withdrawn (their partner
    can no longer accept one), and times proposed to them can no longer be answered by anyone
    (they expire on their own)."""
    with tenant_scope(membership.organization):
        proposals.proposals_withdraw_of_member(membership=membership)


def revoke_feed_of_removed_membership(
    sender: Any, instance: Membership, created: bool, **kwargs: Any
) -> None:
    """Any save that leaves a membership removed (the operator admin's form too, which does not
    go through the removal service) deletes its feed and its own calendar's address."""
    if instance.removed_at is not None:
        with tenant_scope(instance.organization):
            meetings.calendar_feed_revoke(membership=instance)
            busy_calendars.busy_calendar_remove(membership=instance)


def revoke_feeds_of_deactivated_account(
    sender: Any, instance: User, created: bool, **kwargs: Any
) -> None:
    """A deactivated account loses its feeds for good: turned on again, it makes new ones, and
    the old secret URLs stay dead. The addresses of its own calendars (free/busy) are deleted
    too: reading them would go on for nobody."""
    if instance.is_active or created:
        return
    # On purpose across organisations: the account's memberships, each in its own scope.
    with across_all_organizations():
        memberships = list(Membership.objects.filter(user=instance).select_related("organization"))
    for membership in memberships:
        with tenant_scope(membership.organization):
            meetings.calendar_feed_revoke(membership=membership)
            busy_calendars.busy_calendar_remove(membership=membership)


# --- Merges of topics and objectives (handlers registered with programs.references) -------------


def session_log_topics_move(source: Topic, target: Topic) -> None:
    """Logs tagged with ``source`` are tagged with ``target``. A log tagged with both counted
    once under each topic in its week's totals and is one session of ``target`` now: that total
    loses one, so the merged total is what logging it under ``target`` alone gives.

    It loses it on the key :func:`pairings.activity.record_session` wrote: the author's side and
    department when the log was written, which may not be today's (a department changed since).
    The log then counted on a key where both topics have a total; today's department first.
    ``target``'s row for everyone of the same program, week and side loses exactly the logs
    tagged with both (its key has no department), and the department rows lose as many, so the
    everyone row stays their sum even after earlier merges took from the wrong department."""
    both: Counter[tuple] = Counter()
    departments: dict[tuple, Counter[str]] = {}
    for row in (
        SessionLog.objects.filter(topics=source)
        .filter(topics=target)
        .values("pairing__program_id", "date", "author__side", "author__department")
    ):
        key = (row["pairing__program_id"], week_of(row["date"]), row["author__side"])
        both[key] += 1
        departments.setdefault(key, Counter())[row["author__department"]] += 1
    for (program_id, week, side), n in both.items():
        totals = TopicWeek.objects.filter(program_id=program_id, week=week, side=side)
        # The department rows only: the everyone row's department "" is not a department (and
        # would collide with the row of the people who gave none).
        by_department = totals.filter(everyone=False)
        shared = dict(by_department.filter(topic=source).values_list("department", "sessions"))
        rows = dict(by_department.filter(topic=target).values_list("department", "sessions"))
        today = [d for d, _ in departments[(program_id, week, side)].most_common()]
        order = [*today, *sorted(set(rows) - set(today))]
        takes: Counter[str] = Counter()
        left = n
        # First where both topics have a total (where a log counted twice); then, when an
        # earlier merge took from the wrong department (today's), from any department of
        # ``target``: the department rows must lose all ``n`` to stay the everyone row's sum.
        for department, limit in [
            *((d, min(rows[d], shared[d])) for d in order if d in rows and d in shared),
            *((d, rows[d]) for d in order if d in rows),
        ]:
            take = min(left, limit - takes[department])
            if take > 0:
                takes[department] += take
                left -= take
            if not left:
                break
        # The everyone row's key has no department: the n logs tagged with both topics counted
        # twice in it, whatever their department. It loses exactly n, before the department
        # rows, in the order record_session takes them (a writer of the week waits on it
        # instead of holding a row this needs).
        totals.filter(topic=target, everyone=True).update(sessions=F("sessions") - n)
        for department, take in takes.items():
            by_department.filter(topic=target, department=department).update(
                sessions=F("sessions") - take
            )
    many_to_many_move(SessionLog.topics, source=source, target=target)


def topic_weeks_move(source: Topic, target: Topic) -> None:
    """Weekly totals of ``source`` are added to ``target``'s on the same program, week, side and
    department, or for everyone (one row per key, as the unique constraint wants); the others
    become ``target``'s. Row by row alike, so each everyone row stays the sum of its department
    rows."""
    same_key = {
        name: OuterRef(name) for name in ("program_id", "week", "side", "everyone", "department")
    }
    sources = TopicWeek.objects.filter(topic=source)
    TopicWeek.objects.filter(topic=target).filter(Exists(sources.filter(**same_key))).update(
        sessions=F("sessions") + Subquery(sources.filter(**same_key).values("sessions")[:1])
    )
    sources.filter(Exists(TopicWeek.objects.filter(topic=target, **same_key))).delete()
    sources.update(topic=target)


def session_log_objectives_move(source: LearningObjective, target: LearningObjective) -> None:
    """Logs that touched an objective folded into another touched that one."""
    many_to_many_move(SessionLog.objectives, source=source, target=target)
