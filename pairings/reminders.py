"""Reminders that keep pairs meeting: before a meeting (with the session plan's guide), after
it ("log your session"), and when a pair goes quiet (to both, then to HR admins; with the
program's ``close_quiet_after_days``, a notice 7 days ahead, then the pair is closed).

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

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    OuterRef,
    PositiveSmallIntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from mentorship import selectors as kernel_selectors
from mentorship import services as kernel
from mentorship.i18n import recipient_language
from mentorship.models import Organization, User
from mentorship.tenancy import across_all_organizations
from mentorship.web import absolute_url
from pairings import due, quiet_stages, reminder_texts
from pairings.models import Meeting, Pairing, ReminderDelivery, SessionLog
from pairings.timezones import when_in, zone_named
from programs.models import Participant, Program, SessionGuide

logger = logging.getLogger(__name__)

MEETING_STATUSES = (Pairing.Status.CONFIRMED, Pairing.Status.ACTIVE)
# The longest meeting (see ``services.meetings.MAX_DURATION_MINUTES``): a meeting that started
# longer ago than this plus the prompt window has nothing left to send.
MAX_MEETING = timedelta(hours=4)
# At most this many meetings, and pairs, per pass of one organisation: a backlog is worked off
# over the next passes (oldest first), and no single task holds a worker for long.
PASS_LIMIT = 2000
# A quiet pair whose notice has run out is closed by whoever listens (``pairings.receivers``
# calls ``services.quiet.pairing_close_for_inactivity``): services import this module, so it
# cannot import them. Sent with ``pairing`` (in the organisation's scope), ``now``,
# ``quiet_since`` (the last activity) and ``notice_at`` (the pending notice the pass read).
quiet_pair_expired = Signal()
# If no one closed it (no receiver, or it failed), the pair is looked at again this much later.
CLOSE_RETRY = timedelta(hours=1)


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
    """Activity (a meeting, a logged session, a partner keeping the pair) starts a new possible
    quiet stretch: make sure the pair is looked at when it could end. Only ever moves the check
    earlier. A pending notice that the pair will close is withdrawn: the partners are meeting
    again (should that meeting be cancelled, a later pass gives a fresh notice, 7 days again).
    One UPDATE."""
    n = inactivity_days()
    at = after_meeting_at + timedelta(days=n)
    moves = Q(quiet_check_at__isnull=True) | Q(quiet_check_at__gt=at)
    Pairing.objects.filter(pk=pairing.pk).filter(moves | Q(quiet_notice_at__isnull=False)).update(
        quiet_check_at=Case(
            When(moves, then=Value(at)), default=F("quiet_check_at"), output_field=DateTimeField()
        ),
        quiet_check_days=Case(
            When(moves, then=Value(n)),
            default=F("quiet_check_days"),
            output_field=PositiveSmallIntegerField(),
        ),
        quiet_notice_at=None,
    )


def quiet_checks_follow_program(*, program: Program, now: datetime) -> int:
    """The program's ``close_quiet_after_days`` changed: its active pairs are looked at now (a
    pair whose stretch was reported in full has no check left, and a pending notice may no
    longer stand). One UPDATE through the (program, status) index."""
    return Pairing.objects.filter(program=program, status=Pairing.Status.ACTIVE).update(
        quiet_check_at=now
    )


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
        .annotate(number=_meeting_number())
        .order_by("next_due_at")
    )
    logged = set(
        SessionLog.objects.filter(
            pairing_id__in={m.pairing_id for m in meetings},
            date__gte=(now - due.LOG_PROMPT_WINDOW - timedelta(days=1)).date(),
        ).values_list("pairing_id", "author_id", "date")
    )
    guides = _guides_for(meetings)
    sent = 0
    # The emails of the whole pass go out from one task: in a burst, 200 emails a task instead
    # of one task each (a lost wake-up is caught by the notification-email dispatcher).
    emails: list[int] = []
    for meeting in meetings:
        offsets = meeting.pairing.program.reminder_offsets_hours or []
        live = meeting.cancelled_at is None and meeting.pairing.status in MEETING_STATUSES
        if live:
            guide = guides.get((meeting.pairing.program_id, meeting.number))
            sent += _meeting_send(organization, meeting, offsets, logged, now, emails, guide)
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


def _meeting_number() -> Subquery:
    """A meeting's place (from 1) among its pair's meetings that were not cancelled, by start
    time, as ``pairings.guides.meeting_number`` counts it: in the query that reads the due
    meetings, not one query each."""
    earlier = (
        Meeting.objects.filter(pairing_id=OuterRef("pairing_id"), cancelled_at__isnull=True)
        .filter(
            Q(starts_at__lt=OuterRef("starts_at"))
            | Q(starts_at=OuterRef("starts_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("pairing_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(earlier), Value(0)) + 1


def _guides_for(meetings: list[Meeting]) -> dict[tuple[int, int], SessionGuide]:
    """The session plan's guides these meetings follow, by (program, position): one query for
    the pass (only the titles and purposes the reminders show)."""
    wanted = {(m.pairing.program_id, m.number) for m in meetings if m.cancelled_at is None}
    if not wanted:
        return {}
    return {
        (g.program_id, g.position): g
        for g in SessionGuide.objects.filter(
            program_id__in={p for p, _ in wanted}, position__in={n for _, n in wanted}
        ).only("program_id", "position", "title", "purpose")
    }


def _meeting_send(
    organization: Organization,
    meeting: Meeting,
    offsets: list[int],
    logged: set[tuple[int, int, date]],
    now: datetime,
    emails: list[int],
    guide: SessionGuide | None = None,
) -> int:
    hours = due.meeting_due_offset(starts_at=meeting.starts_at, offsets_hours=offsets, now=now)
    sent = 0
    if hours is not None:
        url = (
            reverse(
                "meeting_detail",
                kwargs={
                    "org_slug": organization.slug,
                    "pairing_id": meeting.pairing_id,
                    "meeting_id": meeting.pk,
                },
            )
            if guide is not None
            else _pair_url(organization, meeting.pairing, "meeting_list")
        )
        # The key holds the start time: a rescheduled meeting is reminded of again.
        for me, partner, user in _people(meeting.pairing):
            # Written in the recipient's language, the time in their zone.
            with recipient_language(user, organization):
                when = when_in(meeting.starts_at, zone_named(me.timezone))
                subject, body = reminder_texts.meeting_reminder(
                    meeting=meeting, partner=partner, when=when, guide=guide
                )
            sent += _claim_and_notify(
                organization=organization,
                key=f"meeting:{meeting.pk}:{int(meeting.starts_at.timestamp())}:{hours}h:{user.pk}",
                recipient=user,
                subject=subject,
                body=body,
                url=url,
                emails=emails,
            )
        return sent
    if not due.log_prompt_due(
        starts_at=meeting.starts_at, duration_minutes=meeting.duration_minutes, now=now
    ):
        return 0
    # After a meeting ends, each partner who has not logged it yet is asked to, once.
    find_time = absolute_url(_pair_url(organization, meeting.pairing, "find_time"))
    for me, partner, user in _people(meeting.pairing):
        day = meeting.starts_at.astimezone(zone_named(me.timezone)).date()
        if (meeting.pairing_id, me.pk, day) in logged:
            continue
        with recipient_language(user, organization):
            subject, body = reminder_texts.log_prompt(partner=partner, find_time=find_time)
        sent += _claim_and_notify(
            organization=organization,
            key=f"log-prompt:{meeting.pk}:{user.pk}",
            recipient=user,
            subject=subject,
            body=body,
            url=_pair_url(organization, meeting.pairing, "session_new"),
            emails=emails,
        )
    return sent


def quiet_pairs_due(*, now: datetime) -> QuerySet[Pairing]:
    """Active pairs whose quiet check has come (read through the partial index)."""
    return Pairing.objects.filter(status=Pairing.Status.ACTIVE, quiet_check_at__lte=now)


def inactivity_nudges(*, organization: Organization, now: datetime, limit: int = PASS_LIMIT) -> int:
    """A pair that has not met for N days is nudged (both partners); after 2N, HR admins are
    told. With the program's ``close_quiet_after_days`` (C): both partners are told, at
    max(C - 7, 2N) days, that the pair closes in 7 days unless one of them keeps it; 7 days
    after that notice was actually sent, the pair is closed (``quiet_pair_expired``).

    Once per quiet stretch: the keys hold the day of the last activity (a meeting, a log, the
    pair's start, a partner keeping it), and the pair is next looked at when its next stage
    could come (see ``due.quiet_next_check``). A pair with a meeting ahead is not quiet: it is
    neither told it will close nor closed (a pending notice is withdrawn), and is looked at
    again when that meeting starts."""
    n = inactivity_days()
    # The ids first, through the index alone: grouped with their meetings and events in one
    # query, PostgreSQL may aggregate every pair of the organisation before it filters.
    ids = list(
        quiet_pairs_due(now=now).order_by("quiet_check_at").values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    pairings = quiet_stages.quiet_pairs_read(ids=ids, now=now)
    hr_users: list[User] | None = None
    sent = 0
    for pairing in pairings:
        last = quiet_stages.last_activity(pairing)
        close_after = pairing.program.close_quiet_after_days
        stage, following = due.quiet_next_check(
            last_activity=last,
            inactive_days=n,
            now=now,
            close_after_days=close_after,
            notice_at=pairing.quiet_notice_at,
        )
        quiet = now - last
        stretch = last.date().isoformat()
        # Checked before at stage 1 of this same stretch: the partners have had their nudge.
        nudged = pairing.quiet_check_at >= last + timedelta(days=2 * n)
        if stage >= 1 and not nudged:
            for _me, partner, user in _people(pairing):
                with recipient_language(user, organization):
                    subject, body = reminder_texts.quiet_nudge(partner=partner, days=quiet.days)
                sent += _claim_and_notify(
                    organization=organization,
                    key=f"inactive:{pairing.pk}:{stretch}:{user.pk}",
                    recipient=user,
                    subject=subject,
                    body=body,
                    url=_pair_url(organization, pairing, "find_time"),
                )
        if stage >= 2:
            if hr_users is None:
                hr_users = [m.user for m in kernel_selectors.hr_admins()]
            for hr in hr_users:
                with recipient_language(hr, organization):
                    subject, body = reminder_texts.quiet_hr(
                        pairing=pairing, days=quiet.days, nudged_after=n
                    )
                sent += _claim_and_notify(
                    organization=organization,
                    key=f"inactive-hr:{pairing.pk}:{stretch}:{hr.pk}",
                    recipient=hr,
                    subject=subject,
                    body=body,
                    url=_pair_url(organization, pairing, "pair_detail"),
                )
        notice_at = pairing.quiet_notice_at
        pending = due.quiet_notice_pending(last_activity=last, notice_at=notice_at)
        if stage >= 3 and pairing.next_meeting is not None:
            # A meeting ahead: not quiet. Looked at again once it has started (then it is the
            # last activity, or it was cancelled and the stretch goes on, with a fresh notice).
            stage, following, notice_at = 2, pairing.next_meeting, None
        elif stage < 3 or not pending:
            # No notice stands: none was sent, it belongs to an earlier stretch, or the program's
            # setting no longer closes the pair this soon (nothing closes on an old notice).
            notice_at = None
        if stage == 3 and not pending:
            # Recorded by a compare-and-set of its own, then sent, in one transaction: a check
            # moved meanwhile (HR edited the program) does not unrecord it (a second notice
            # with another day), and what changed the notice meanwhile wins.
            with transaction.atomic():
                if quiet_stages.notice_record(pairing, now=now):
                    notice_at = now
                    sent += _notice_send(
                        organization, pairing, check_at=pairing.quiet_check_at, now=now
                    )
                else:
                    following = now  # changed meanwhile: the next pass reads it afresh
        if stage == 4:
            following = _close(pairing, now=now, quiet_since=last)
        quiet_stages.check_store(pairing, following=following, days=n, notice_at=notice_at)
    return sent


def _notice_send(
    organization: Organization, pairing: Pairing, *, check_at: datetime, now: datetime
) -> int:
    """Tell both partners the pair closes in 7 days unless one of them keeps it (the button is
    on the pair's page). The key holds the check being handled: two passes reading the same row
    send once, and a notice withdrawn (a meeting was planned, then cancelled) is given afresh."""
    sent = 0
    closes = now + due.NOTICE
    for me, partner, user in _people(pairing):
        with recipient_language(user, organization):
            day = reminder_texts.closing_day(closes, zone_named(me.timezone))
            subject, body = reminder_texts.closing_notice(pairing=pairing, partner=partner, day=day)
        sent += _claim_and_notify(
            organization=organization,
            key=f"quiet-notice:{pairing.pk}:{int(check_at.timestamp())}:{user.pk}",
            recipient=user,
            subject=subject,
            body=body,
            url=_pair_url(organization, pairing, "pair_detail"),
        )
    return sent


def _close(pairing: Pairing, *, now: datetime, quiet_since: datetime) -> datetime | None:
    """Have the pair closed by the receiver of ``quiet_pair_expired`` (which returns the pair
    it closed). Returns the pair's next check: None once it has ended (an ended pair is never
    read again); if it was not closed (no receiver, or it failed), again in ``CLOSE_RETRY``."""
    try:
        with transaction.atomic():
            # ``notice_at``: the notice this pass read. The receiver closes the pair only while
            # it is still pending (a keep, a meeting, a log meanwhile withdrew it: they win).
            responses = quiet_pair_expired.send(
                sender=Pairing,
                pairing=pairing,
                now=now,
                quiet_since=quiet_since,
                notice_at=pairing.quiet_notice_at,
            )
    except ValidationError:
        return None  # it had ended meanwhile (an HR admin, another pass)
    except Exception:
        # One pair's failure must not stop the pass (the others are still due).
        logger.exception("Closing the quiet pair %s failed; trying again later", pairing.pk)
        return now + CLOSE_RETRY
    if any(getattr(r, "status", None) == Pairing.Status.DISSOLVED for _, r in responses):
        return None
    return now + CLOSE_RETRY


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
