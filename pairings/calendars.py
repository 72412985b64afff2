"""Calendar files of meetings, from their rows: the invitation (or cancellation) of one
meeting, a member's personal feed, and the links they carry. The documents themselves are built
by the pure ``pairings.ics``; the database is the source of truth for what they say."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from mentorship.i18n import recipient_language
from mentorship.models import Membership
from mentorship.web import absolute_url, tenant_url
from pairings.ics import FeedEvent, Method, feed_ics, meeting_ics
from pairings.models import Meeting, Pairing
from programs.models import Participant


def _organizer() -> tuple[str, str]:
    """The platform's sending address as the organiser: either partner may change a meeting,
    and clients accept updates only from the organiser they know, so it must not be one of
    them."""
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or _("Reverse mentoring"), email or "noreply@localhost"


def _email_of(participant: Participant) -> str:
    membership = participant.membership
    if membership is not None and membership.user_id:
        return membership.user.email
    return participant.email


def meeting_page_url(meeting: Meeting) -> str:
    """The path of the meeting's own page (in notifications, emails and calendar files): when,
    where, and the session plan's guide for it."""
    return tenant_url(
        meeting.pairing.program.organization,
        "meeting_detail",
        pairing_id=meeting.pairing_id,
        meeting_id=meeting.pk,
    )


def _summary(partner: Participant | None, pairing: Pairing) -> str:
    """The event's title, in the active language (the recipient's, for an invitation)."""
    if partner is None:
        return _("Reverse mentoring: %(mentor)s and %(mentee)s") % {
            "mentor": pairing.mentor.full_name,
            "mentee": pairing.mentee.full_name,
        }
    return _("Reverse mentoring with %(partner)s") % {"partner": partner.full_name}


def _description(meeting: Meeting, url: str) -> str:
    pairing = meeting.pairing
    return (
        _("Reverse-mentoring meeting in %(program)s: %(mentor)s (reverse mentor) and %(mentee)s.")
        % {
            "program": pairing.program.name,
            "mentor": pairing.mentor.full_name,
            "mentee": pairing.mentee.full_name,
        }
        + "\n\n"
        + _("Meeting page: %(url)s") % {"url": url}
    )


def meeting_ics_for(*, meeting: Meeting, method: Method | None = None) -> bytes:
    """The meeting's current calendar file: a REQUEST, or a CANCEL once it is cancelled."""
    if method is None:
        method = "CANCEL" if meeting.cancelled_at else "REQUEST"
    pairing = meeting.pairing
    organizer_name, organizer_email = _organizer()
    return meeting_ics(
        uid=meeting.uid,
        sequence=meeting.sequence,
        starts_at_utc=meeting.starts_at,
        duration_minutes=meeting.duration_minutes,
        summary=_summary(None, pairing),
        description=_description(meeting, absolute_url(meeting_page_url(meeting))),
        location=meeting.location,
        organizer_email=organizer_email,
        organizer_name=organizer_name,
        attendee_emails=[_email_of(pairing.mentor), _email_of(pairing.mentee)],
        method=method,
    )


def calendar_feed_render(*, membership: Membership, meetings: list[Meeting]) -> bytes:
    """The member's feed document, in the member's language (a calendar app fetches it, not
    the member). Each event is named after the partner as the member sees it. Location is
    included (the feed is the member's own); no addresses are."""
    with recipient_language(membership.user, membership.organization):
        return _feed_render(membership=membership, meetings=meetings)


def _feed_render(*, membership: Membership, meetings: list[Meeting]) -> bytes:
    events = []
    for meeting in meetings:
        pairing = meeting.pairing
        partner = (
            pairing.mentee if pairing.mentor.membership_id == membership.pk else pairing.mentor
        )
        url = absolute_url(
            tenant_url(
                membership.organization,
                "meeting_detail",
                pairing_id=pairing.pk,
                meeting_id=meeting.pk,
            )
        )
        events.append(
            FeedEvent(
                uid=meeting.uid,
                sequence=meeting.sequence,
                starts_at_utc=meeting.starts_at,
                duration_minutes=meeting.duration_minutes,
                summary=_summary(partner, pairing),
                description=_description(meeting, url),
                location=meeting.location,
            )
        )
    name = _("Reverse mentoring · %(organization)s") % {
        "organization": membership.organization.name
    }
    return feed_ics(events, name=name)


def calendar_feed_url(*, token: str) -> str:
    """The feed's public URL (its secret token in it), shown to the member once."""
    return absolute_url(reverse("calendar_feed", kwargs={"token": token}))
