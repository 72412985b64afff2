"""Delivery of meeting invitations: the email with the calendar file of one change of a
meeting, to each partner at most once, and the catch-up of changes whose wake-up was lost.

Every change (schedule, reschedule, cancel) bumps nothing but ``sequence`` on a meeting whose
``uid`` never changes, and ``pairings.services.meetings`` enqueues one task per change after
commit. The task (``pairings.tasks.send_meeting_invitation``) calls
:func:`meeting_invitation_deliver`, which renders the calendar file from the meeting row (the
database is the source of truth) and claims a ``ReminderDelivery`` row per recipient before
sending, so a retry or a second wake-up sends nothing twice. The beat dispatcher asks
:func:`meeting_invitations_due_across_organizations` which changes still need a send.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.mail import EmailMessage
from django.core.mail.message import SafeMIMEText
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorship.i18n import recipient_language
from mentorship.models import User
from mentorship.tenancy import across_all_organizations
from mentorship.web import absolute_url
from pairings.calendars import meeting_ics_for, meeting_page_url
from pairings.guides import guide_for_meeting, guide_plain_text
from pairings.ics import Method
from pairings.models import Meeting, ReminderDelivery
from pairings.selectors import partners_with_accounts
from pairings.timezones import when_in, zone_named
from programs.models import Participant, SessionGuide

# The invitation dispatcher looks at changes this recent, once they are this old.
INVITATION_CATCH_UP = timedelta(minutes=15)
INVITATION_GRACE = timedelta(minutes=1)


def _guide_lines(guide: SessionGuide | None) -> list[str]:
    """The session plan's guide for the meeting, as text after the meeting's details (none
    for a cancellation: there is nothing to prepare). In the active language."""
    if guide is None:
        return []
    return [
        "",
        _("To prepare: this meeting follows the program's session plan."),
        "",
        guide_plain_text(guide),
    ]


def _invitation_email(
    *,
    meeting: Meeting,
    participant: Participant,
    user: User,
    method: Method,
    ics: bytes,
    guide: SessionGuide | None,
) -> EmailMessage:
    """The email to one partner, in their language (the caller activates it), the time in
    their zone."""
    pairing = meeting.pairing
    partner = pairing.mentee if participant.pk == pairing.mentor_id else pairing.mentor
    when = when_in(meeting.starts_at, zone_named(participant.timezone))
    values = {"partner": partner.full_name, "when": when}
    if method == "CANCEL":
        subject = _("Cancelled: meeting with %(partner)s, %(when)s") % values
        if meeting.cancelled_by:
            lead = _("%(person)s cancelled your reverse-mentoring meeting with %(partner)s.") % {
                "person": meeting.cancelled_by.display_name,
                "partner": partner.full_name,
            }
        else:
            # Nobody's hand: the program ended the pair (closed after inactivity).
            lead = _("Your reverse-mentoring meeting with %(partner)s was cancelled.") % values
    elif meeting.sequence:
        subject = _("Updated invitation: meeting with %(partner)s, %(when)s") % values
        lead = _("Your reverse-mentoring meeting with %(partner)s has moved.") % values
    else:
        subject = _("Invitation: meeting with %(partner)s, %(when)s") % values
        lead = _("A reverse-mentoring meeting with %(partner)s is scheduled.") % values
    lines = [
        lead,
        "",
        _("When: %(when)s (%(minutes)s minutes)")
        % {"when": when, "minutes": meeting.duration_minutes},
        _("Where: %(location)s") % {"location": meeting.location}
        if meeting.location
        else _("Where: not set yet"),
        *_guide_lines(guide),
        "",
        _("The attached calendar file updates your calendar."),
        _("Meeting page: %(url)s") % {"url": absolute_url(meeting_page_url(meeting))},
    ]
    message = EmailMessage(subject=subject[:200], body="\n".join(lines), to=[user.email])
    # Built by hand: Django's attach() would add a second charset parameter to the type, and
    # calendar clients look for ``method=`` on it to offer "accept" or "remove".
    part = SafeMIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(part)
    return message


def invitation_key(*, meeting: Meeting, sequence: int, method: Method, user: User) -> str:
    return f"ics:{meeting.pk}:{sequence}:{method}:{user.pk}"


def meeting_invitation_deliver(*, meeting_id: int, sequence: int, method: Method) -> int:
    """Email the calendar file of one change of a meeting to each partner, at most once each.
    Returns how many emails this call sent.

    A change that a later one has superseded (the sequence moved on) sends nothing: the later
    change's own task sends the current state.
    """
    meeting = (
        Meeting.objects.select_related(
            "cancelled_by",
            "pairing__program__organization",
            "pairing__mentor__membership__user",
            "pairing__mentee__membership__user",
        )
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None or meeting.sequence != sequence:
        return 0
    if (method == "CANCEL") != (meeting.cancelled_at is not None):
        return 0
    guide = guide_for_meeting(meeting=meeting) if method == "REQUEST" else None
    sent = 0
    for participant, user in partners_with_accounts(meeting.pairing):
        key = invitation_key(meeting=meeting, sequence=sequence, method=method, user=user)
        claim, _created = ReminderDelivery.objects.get_or_create(
            organization_id=meeting.organization_id, key=key, defaults={"recipient": user}
        )
        taken = ReminderDelivery.objects.filter(pk=claim.pk, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )
        if taken != 1:
            continue
        # Composed in the recipient's language: the email, and the calendar file's summary and
        # description.
        with recipient_language(user, meeting.pairing.program.organization):
            message = _invitation_email(
                meeting=meeting,
                participant=participant,
                user=user,
                method=method,
                ics=meeting_ics_for(meeting=meeting, method=method),
                guide=guide,
            )
        try:
            message.send()
        except Exception:
            # Release the claim so the retry (the task retries on mail errors) sends it.
            ReminderDelivery.objects.filter(pk=claim.pk).update(sent_at=None)
            raise
        sent += 1
    return sent


def meeting_invitations_due_across_organizations() -> list[tuple[int, int, int, Method]]:
    """Changes of meetings whose invitations were not all sent: their wake-up was lost (a crash
    between commit and enqueue, a broker that dropped it). For the beat dispatcher, as
    ``(organization_id, meeting_id, sequence, method)``.

    Only recent changes (older than a minute, so the change's own task goes first) of meetings
    still ahead are looked at; the claims are matched by their exact keys, which the unique
    index on (organisation, key) answers.
    """
    now = timezone.now()
    expected: dict[tuple[int, int, int, Method], set[str]] = {}
    with across_all_organizations():
        changed = Meeting.objects.filter(
            updated_at__gte=now - INVITATION_CATCH_UP,
            updated_at__lt=now - INVITATION_GRACE,
            starts_at__gt=now,
        ).values_list(
            "organization_id",
            "pk",
            "sequence",
            "cancelled_at",
            "pairing__mentor__membership__user_id",
            "pairing__mentor__membership__removed_at",
            "pairing__mentee__membership__user_id",
            "pairing__mentee__membership__removed_at",
        )
        for org_id, pk, sequence, cancelled_at, *people in changed:
            method: Method = "CANCEL" if cancelled_at else "REQUEST"
            users = [
                user_id
                for user_id, removed_at in zip(people[::2], people[1::2], strict=True)
                if user_id and removed_at is None
            ]
            expected[(org_id, pk, sequence, method)] = {
                f"ics:{pk}:{sequence}:{method}:{user_id}" for user_id in users
            }
        if not expected:
            return []
        sent = set(
            ReminderDelivery.objects.filter(
                organization_id__in={org_id for org_id, *_ in expected},
                key__in=set().union(*expected.values()),
                sent_at__isnull=False,
            ).values_list("key", flat=True)
        )
    return [change for change, keys in expected.items() if keys - sent]
