"""Reminders that keep pairs meeting: before a meeting, after it ("log your session"), and
when a pair goes quiet (to both, then to HR admins).

Every send is claimed first: a ``ReminderDelivery`` row with a unique key is created in the same
transaction as the in-app notification (whose email then goes out once, see
``mentorship.delivery.notification_email_deliver``). A second dispatch, a task retry or a broker
redelivery finds the key taken and sends nothing. Everything runs inside one organisation's
scope; the dispatcher in ``pairings.tasks`` fans out one task per organisation with something due.

A pass costs what is due, not how much data there is: each meeting stores the next moment it
has something to send (``Meeting.next_due_at``) and each active pair when to look again whether
it has gone quiet (``Pairing.quiet_check_at``), both indexed; a pass reads the rows whose moment
has come, sends, and stores their next moment (``pairings.due`` does the arithmetic).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from mentorship import selectors as kernel_selectors
from mentorship import services as kernel
from mentorship.models import Organization, User
from mentorship.tenancy import across_all_organizations
from pairings import due
from pairings.models import Meeting, Pairing, ReminderDelivery, SessionLog
from pairings.timezones import when_in, zone_named
from programs.models import Participant, Program

MEETING_STATUSES = (Pairing.Status.CONFIRMED, Pairing.Status.ACTIVE)
# The longest meeting (see ``services.meetings.MAX_DURATION_MINUTES``): a meeting that started
# longer ago than this plus the prompt window has nothing left to send.
MAX_MEETING = timedelta(hours=4)
# At most this many meetings, and pairs, per pass of one organisation: a backlog is worked off
# over the next passes (oldest first), and no single task holds a worker for long.
PASS_LIMIT = 2000


def inactivity_days() -> int:
    return settings.PAIR_INACTIVITY_DAYS


def _claim_and_notify(
    *,
    organization: Organization,
    key: str,
    recipient: User,
    subject: str,
    body: str,
    url: str,
    emails: list[int] | None = None,
) -> bool:
    """Send one reminder unless its key was claimed before. Returns whether this call sent it.
    With ``emails``, the notification's id joins that list for the caller to email it with the
    others (:func:`mentorship.services.notifications_email`) instead of on its own.

    The claim is the insert of its key, marked sent, in the transaction that makes the
    notification: both are committed or neither. A key claimed before (a second pass, a retry)
    fails the insert and nothing is sent; one claimed by a pass still running makes the insert
    wait for that pass's commit, then fail. Inserting straight away saves a read before it and
    an update after it: two of the eight statements of each reminder in a burst.
    """
    with transaction.atomic():
        try:
            # A savepoint of its own: a failed statement is caught outside the block it broke.
            with transaction.atomic():
                ReminderDelivery.objects.create(
                    organization=organization, key=key, recipient=recipient, sent_at=timezone.now()
                )
        except IntegrityError:
            return False
        notification = kernel.notification_send(
            organization=organization,
            recipient=recipient,
            subject=subject,
            body=body,
            url=url,
            email_now=emails is None,
        )
        if emails is not None:
            emails.append(notification.pk)
    return True


def _people(pairing: Pairing) -> list[tuple[Participant, Participant, User]]:
    """(person, their partner, their user) for both sides that have an account."""
    out = []
    for me, partner in ((pairing.mentor, pairing.mentee), (pairing.mentee, pairing.mentor)):
        # Removed members hear nothing more from the organisation.
        if me.membership is not None and me.membership.is_active:
            out.append((me, partner, me.membership.user))
    return out


def _pair_url(organization: Organization, pairing: Pairing, name: str) -> str:
    return reverse(name, kwargs={"org_slug": organization.slug, "pairing_id": pairing.pk})


# --- Stored moments -------------------------------------------------------------------------------


def meeting_first_due_for(
    *, program: Program, starts_at: datetime, duration_minutes: int
) -> datetime:
    """What a new or moved meeting of ``program`` stores as its next moment."""
    return due.meeting_first_due(
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        offsets_hours=program.reminder_offsets_hours or [],
    )


def quiet_check_rearm(*, pairing: Pairing, after_meeting_at: datetime) -> None:
    """Activity (a meeting, a logged session) starts a new possible quiet stretch: make sure the
    pair is looked at when it could end. Only ever moves the check earlier (one UPDATE)."""
    n = inactivity_days()
    at = after_meeting_at + timedelta(days=n)
    Pairing.objects.filter(pk=pairing.pk).filter(
        Q(quiet_check_at__isnull=True) | Q(quiet_check_at__gt=at)
    ).update(quiet_check_at=at, quiet_check_days=n)


def quiet_checks_follow_setting(*, now: datetime) -> int:
    """``PAIR_INACTIVITY_DAYS`` was lowered: pairs whose check was reckoned with more days are
    looked at now (the pass then reckons with the new value). Across all organisations, one
    UPDATE through an index; it changes nothing while the setting stays as it is."""
    with across_all_organizations():
        return Pairing.objects.filter(
            status=Pairing.Status.ACTIVE, quiet_check_days__gt=inactivity_days()
        ).update(quiet_check_at=now, quiet_check_days=None)


def meetings_rearm(*, meetings: QuerySet[Meeting], now: datetime | None = None) -> int:
    """Recompute the stored moment of many meetings at once (a program's reminder times
    changed; meetings written in bulk by the seeder). One UPDATE per program.

    Meetings that have ended more than the prompt window ago, and cancelled ones, have nothing
    left to send; the others get their first moment (a pass then sends only what is still due
    and has not been sent: the claims remember what has).
    """
    now = now or timezone.now()
    meetings = meetings.order_by()
    changed = meetings.filter(
        Q(cancelled_at__isnull=False) | Q(starts_at__lt=now - due.LOG_PROMPT_WINDOW - MAX_MEETING)
    ).update(next_due_at=None)
    live = meetings.filter(
        cancelled_at__isnull=True, starts_at__gte=now - due.LOG_PROMPT_WINDOW - MAX_MEETING
    )
    program_ids = set(live.values_list("pairing__program_id", flat=True).distinct())
    for program in Program.objects.filter(pk__in=program_ids):
        offsets = [h for h in program.reminder_offsets_hours or [] if h > 0]
        of_program = live.filter(pairing__program=program)
        if offsets:
            changed += of_program.update(next_due_at=F("starts_at") - timedelta(hours=max(offsets)))
        else:
            # No reminders: the first moment is the end (the prompt). The pass recomputes it
            # exactly; the start is never later than the end, so nothing is late.
            changed += of_program.update(next_due_at=F("starts_at"))
    return changed


# --- The pass -------------------------------------------------------------------------------------


def meetings_due_ids(*, now: datetime, limit: int) -> list[int]:
    """Ids of the meetings whose moment has come, oldest first (read through the index)."""
    return list(
        Meeting.objects.filter(next_due_at__lte=now)
        .order_by("next_due_at")
        .values_list("pk", flat=True)[:limit]
    )


def meetings_lease(*, meeting_ids: list[int], now: datetime, until: datetime) -> int:
    """Hand due meetings to the tasks of a burst: their moment moves to ``until`` (one UPDATE),
    so the next minute's dispatch does not hand them out again while those tasks work. If a
    task is lost, the meetings fall due again at ``until`` and the next pass sends them."""
    return Meeting.objects.filter(pk__in=meeting_ids, next_due_at__lte=now).update(
        next_due_at=until
    )


def meeting_reminders(
    *,
    organization: Organization,
    now: datetime,
    meeting_ids: list[int] | None = None,
    leased_until: datetime | None = None,
    limit: int = PASS_LIMIT,
) -> int:
    """Send what the due meetings owe now (a reminder before, a prompt after) and store each
    one's next moment. Reads only meetings whose moment has come, or, for one share of a burst
    (see :func:`meetings_lease`), the meetings still leased to it.

    Each send is claimed first (see :func:`_claim_and_notify`), and the next moment is stored
    by compare-and-set on the one that was read: a pass running twice at once sends each
    message once, and a meeting moved meanwhile keeps its new moment.
    """
    if leased_until is not None:
        meetings = Meeting.objects.filter(next_due_at=leased_until)
    else:
        meetings = Meeting.objects.filter(next_due_at__lte=now)
    if meeting_ids is not None:
        meetings = meetings.filter(pk__in=meeting_ids)
    # The ids first, through the index alone; the wide rows with their joins only for those. In
    # one query, PostgreSQL may join every meeting of the organisation before it filters.
    ids = list(meetings.order_by("next_due_at").values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    meetings = list(
        Meeting.objects.filter(pk__in=ids)
        .select_related(
            "pairing__program",
            "pairing__mentor__membership__user",
            "pairing__mentee__membership__user",
        )
        .order_by("next_due_at")
    )
    logged = set(
        SessionLog.objects.filter(
            pairing_id__in={m.pairing_id for m in meetings},
            date__gte=(now - due.LOG_PROMPT_WINDOW - timedelta(days=1)).date(),
        ).values_list("pairing_id", "author_id", "date")
    )
    sent = 0
    # The emails of the whole pass go out from one task: in a burst, 200 emails a task instead
    # of one task each (a lost wake-up is caught by the notification-email dispatcher).
    emails: list[int] = []
    for meeting in meetings:
        offsets = meeting.pairing.program.reminder_offsets_hours or []
        live = meeting.cancelled_at is None and meeting.pairing.status in MEETING_STATUSES
        if live:
            sent += _meeting_send(organization, meeting, offsets, logged, now, emails)
        following = (
            due.meeting_next_due(
                starts_at=meeting.starts_at,
                duration_minutes=meeting.duration_minutes,
                offsets_hours=offsets,
                now=now,
            )
            if meeting.cancelled_at is None
            else None
        )
        Meeting.objects.filter(pk=meeting.pk, next_due_at=meeting.next_due_at).update(
            next_due_at=following
        )
    kernel.notifications_email(organization=organization, notification_ids=emails)
    return sent


def _meeting_send(
    organization: Organization,
    meeting: Meeting,
    offsets: list[int],
    logged: set[tuple[int, int, date]],
    now: datetime,
    emails: list[int],
) -> int:
    hours = due.meeting_due_offset(starts_at=meeting.starts_at, offsets_hours=offsets, now=now)
    sent = 0
    if hours is not None:
        # The key holds the start time: a rescheduled meeting is reminded of again.
        for me, partner, user in _people(meeting.pairing):
            when = when_in(meeting.starts_at, zone_named(me.timezone))
            sent += _claim_and_notify(
                organization=organization,
                key=f"meeting:{meeting.pk}:{int(meeting.starts_at.timestamp())}:{hours}h:{user.pk}",
                recipient=user,
                subject=f"Reminder: meeting with {partner.full_name} {when}",
                body=f"Your reverse-mentoring meeting with {partner.full_name} starts {when}"
                + (f", at {meeting.location}" if meeting.location else "")
                + ".",
                url=_pair_url(organization, meeting.pairing, "meeting_list"),
                emails=emails,
            )
        return sent
    if not due.log_prompt_due(
        starts_at=meeting.starts_at, duration_minutes=meeting.duration_minutes, now=now
    ):
        return 0
    # After a meeting ends, each partner who has not logged it yet is asked to, once.
    for me, partner, user in _people(meeting.pairing):
        day = meeting.starts_at.astimezone(zone_named(me.timezone)).date()
        if (meeting.pairing_id, me.pk, day) in logged:
            continue
        sent += _claim_and_notify(
            organization=organization,
            key=f"log-prompt:{meeting.pk}:{user.pk}",
            recipient=user,
            subject=f"Log your session with {partner.full_name}",
            body="A minute now keeps the record of what you taught and learned.",
            url=_pair_url(organization, meeting.pairing, "session_new"),
            emails=emails,
        )
    return sent


def quiet_pairs_due(*, now: datetime) -> QuerySet[Pairing]:
    """Active pairs whose quiet check has come (read through the partial index)."""
    return Pairing.objects.filter(status=Pairing.Status.ACTIVE, quiet_check_at__lte=now)


def inactivity_nudges(*, organization: Organization, now: datetime, limit: int = PASS_LIMIT) -> int:
    """A pair that has not met for N days is nudged (both partners); after 2N, HR admins are
    told. Once per quiet stretch: the key holds the day of the last activity, and the pair is
    next looked at when its next stage could come (see ``due.quiet_next_check``)."""
    n = inactivity_days()
    # The ids first, through the index alone: grouped with their meetings and events in one
    # query, PostgreSQL may aggregate every pair of the organisation before it filters.
    ids = list(
        quiet_pairs_due(now=now).order_by("quiet_check_at").values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    pairings = list(
        Pairing.objects.filter(pk__in=ids, status=Pairing.Status.ACTIVE)
        .annotate(
            last_meeting=Max(
                "meetings__starts_at",
                filter=Q(meetings__cancelled_at__isnull=True, meetings__starts_at__lte=now),
            ),
            activated=Max("events__created_at", filter=Q(events__status=Pairing.Status.ACTIVE)),
        )
        .select_related("program", "mentor__membership__user", "mentee__membership__user")
        .order_by("quiet_check_at")
    )
    hr_users: list[User] | None = None
    sent = 0
    for pairing in pairings:
        marks = [m for m in (pairing.last_met_at, pairing.last_meeting, pairing.activated) if m]
        last = max(marks) if marks else pairing.created_at
        stage, following = due.quiet_next_check(last_activity=last, inactive_days=n, now=now)
        quiet = now - last
        stretch = last.date().isoformat()
        # Checked before at stage 1 of this same stretch: the partners have had their nudge.
        nudged = pairing.quiet_check_at >= last + timedelta(days=2 * n)
        if stage >= 1 and not nudged:
            for _me, partner, user in _people(pairing):
                sent += _claim_and_notify(
                    organization=organization,
                    key=f"inactive:{pairing.pk}:{stretch}:{user.pk}",
                    recipient=user,
                    subject=f"Time to meet {partner.full_name} again?",
                    body=f"You have not met for {quiet.days} days. Schedule your next session.",
                    url=_pair_url(organization, pairing, "meeting_new"),
                )
        if stage >= 2:
            if hr_users is None:
                hr_users = [m.user for m in kernel_selectors.hr_admins()]
            for hr in hr_users:
                sent += _claim_and_notify(
                    organization=organization,
                    key=f"inactive-hr:{pairing.pk}:{stretch}:{hr.pk}",
                    recipient=hr,
                    subject=f"A pair in {pairing.program.name} has not met for {quiet.days} days",
                    body=f"{pairing.mentor.full_name} and {pairing.mentee.full_name} were nudged "
                    f"after {n} days. A word from you may help.",
                    url=_pair_url(organization, pairing, "pair_detail"),
                )
        Pairing.objects.filter(pk=pairing.pk, quiet_check_at=pairing.quiet_check_at).update(
            quiet_check_at=following, quiet_check_days=n
        )
    return sent


def reminders_send_due(*, organization: Organization, now: datetime | None = None) -> int:
    """Everything due in one organisation now. Safe to call any number of times."""
    now = now or timezone.now()
    return meeting_reminders(organization=organization, now=now) + inactivity_nudges(
        organization=organization, now=now
    )


def organizations_due_across_organizations(*, now: datetime) -> list[int]:
    """Organisations with a meeting or a quiet check due (for the dispatcher): two index
    range reads across every tenant, so a minute with nothing due costs two short queries."""
    with across_all_organizations():
        # order_by(): without it, the models' ordering joins the DISTINCT (one row per item).
        meetings = (
            Meeting.objects.filter(next_due_at__lte=now)
            .order_by()
            .values_list("organization_id", flat=True)
            .distinct()
        )
        pairs = (
            quiet_pairs_due(now=now).order_by().values_list("organization_id", flat=True).distinct()
        )
        return sorted(set(meetings) | set(pairs))
