"""Reminders that keep pairs meeting: before a meeting, after it ("log your session"), and
when a pair goes quiet (to both, then to HR admins).

Every send is claimed first: a ``ReminderDelivery`` row with a unique key is created in the same
transaction as the in-app notification (whose email then goes out once, see
``mentorship.delivery.notification_email_deliver``). A second dispatch, a task retry or a broker
redelivery finds the key taken and sends nothing. Everything runs inside one organisation's
scope; the dispatcher in ``pairings.tasks`` fans out one task per organisation.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from mentorship import selectors as kernel_selectors
from mentorship import services as kernel
from mentorship.models import Organization, User
from mentorship.tenancy import across_all_organizations
from pairings.models import Meeting, Pairing, ReminderDelivery, SessionLog
from pairings.selectors import meeting_ends_at
from pairings.timezones import when_in, zone_named
from programs.models import Participant, Program

LOG_PROMPT_WINDOW = timedelta(days=2)
MEETING_STATUSES = (Pairing.Status.CONFIRMED, Pairing.Status.ACTIVE)


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
) -> bool:
    """Send one reminder unless its key was claimed before. Returns whether this call sent it."""
    with transaction.atomic():
        claim, created = ReminderDelivery.objects.get_or_create(
            organization=organization, key=key, defaults={"recipient": recipient}
        )
        if not created:
            return False
        kernel.notification_send(
            organization=organization, recipient=recipient, subject=subject, body=body, url=url
        )
        claim.sent_at = timezone.now()
        claim.save(update_fields=["sent_at"])
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


def meeting_reminders(*, organization: Organization, now: datetime) -> int:
    """One reminder per person at the smallest of the program's offsets that is due.

    Only the smallest due offset is sent, so a dispatcher catching up after an outage does not
    send the 24-hour and the 1-hour reminder in the same minute. The key holds the start time:
    a rescheduled meeting is reminded of again.
    """
    horizon = max(
        (
            max(offsets or [0])
            for offsets in Program.objects.values_list("reminder_offsets_hours", flat=True)
        ),
        default=0,
    )
    if not horizon:
        return 0
    meetings = Meeting.objects.filter(
        cancelled_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(hours=horizon),
        pairing__status__in=MEETING_STATUSES,
    ).select_related(
        "pairing__program", "pairing__mentor__membership__user", "pairing__mentee__membership__user"
    )
    sent = 0
    for meeting in meetings:
        due = [
            h
            for h in meeting.pairing.program.reminder_offsets_hours
            if meeting.starts_at - timedelta(hours=h) <= now
        ]
        if not due:
            continue
        hours = min(due)
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
            )
    return sent


def log_prompts(*, organization: Organization, now: datetime) -> int:
    """After a meeting ends, each partner who has not logged it yet is asked to, once."""
    meetings = Meeting.objects.filter(
        cancelled_at__isnull=True,
        starts_at__gte=now - LOG_PROMPT_WINDOW - timedelta(hours=8),
        starts_at__lte=now,
        pairing__status__in=MEETING_STATUSES,
    ).select_related("pairing__mentor__membership__user", "pairing__mentee__membership__user")
    logged = set(
        SessionLog.objects.filter(
            date__gte=(now - LOG_PROMPT_WINDOW - timedelta(days=1)).date()
        ).values_list("pairing_id", "author_id", "date")
    )
    sent = 0
    for meeting in meetings:
        if not now - LOG_PROMPT_WINDOW <= meeting_ends_at(meeting) <= now:
            continue
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
            )
    return sent


def inactivity_nudges(*, organization: Organization, now: datetime) -> int:
    """A pair that has not met for N days is nudged (both partners); after 2N, HR admins are
    told. Once per quiet stretch: the key holds the day of the last meeting."""
    n = inactivity_days()
    pairings = (
        Pairing.objects.filter(status=Pairing.Status.ACTIVE)
        .annotate(
            last_meeting=Max(
                "meetings__starts_at",
                filter=Q(meetings__cancelled_at__isnull=True, meetings__starts_at__lte=now),
            ),
            activated=Max("events__created_at", filter=Q(events__status=Pairing.Status.ACTIVE)),
        )
        .select_related("program", "mentor__membership__user", "mentee__membership__user")
    )
    hr_users: list[User] | None = None
    sent = 0
    for pairing in pairings:
        marks = [m for m in (pairing.last_met_at, pairing.last_meeting, pairing.activated) if m]
        last = max(marks) if marks else pairing.created_at
        quiet = now - last
        if quiet < timedelta(days=n):
            continue
        stretch = last.date().isoformat()
        for _me, partner, user in _people(pairing):
            sent += _claim_and_notify(
                organization=organization,
                key=f"inactive:{pairing.pk}:{stretch}:{user.pk}",
                recipient=user,
                subject=f"Time to meet {partner.full_name} again?",
                body=f"You have not met for {quiet.days} days. Schedule your next session.",
                url=_pair_url(organization, pairing, "meeting_new"),
            )
        if quiet >= timedelta(days=2 * n):
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
    return sent


def reminders_send_due(*, organization: Organization, now: datetime | None = None) -> int:
    """Everything due in one organisation now. Safe to call any number of times."""
    now = now or timezone.now()
    return (
        meeting_reminders(organization=organization, now=now)
        + log_prompts(organization=organization, now=now)
        + inactivity_nudges(organization=organization, now=now)
    )


def organizations_with_pairs_across_organizations() -> list[int]:
    """Organisations that have a pair that can receive reminders (for the dispatcher)."""
    with across_all_organizations():
        return list(
            Pairing.objects.filter(status__in=MEETING_STATUSES)
            # Without the model's ordering: DISTINCT would otherwise include its columns and
            # give one row, so one pass of the whole organisation, per pair.
            .order_by()
            .values_list("organization_id", flat=True)
            .distinct()
        )
