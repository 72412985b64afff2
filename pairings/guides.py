"""Which conversation guide of the program's session plan a meeting follows.

The pair's first meeting gets session 1, the second session 2, and so on: a meeting's number is
its place among the pair's meetings that were not cancelled, by start time. A meeting past the
end of the plan has no guide. Moving a meeting can change its number (the plan follows the
order in which the pair actually meets).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pairings.models import Meeting, Pairing
from programs.models import SessionGuide


def meeting_number(*, meeting: Meeting) -> int:
    """The meeting's place (from 1) among its pair's meetings that were not cancelled."""
    earlier = (
        Meeting.objects.filter(pairing_id=meeting.pairing_id, cancelled_at__isnull=True)
        .filter(
            Q(starts_at__lt=meeting.starts_at) | Q(starts_at=meeting.starts_at, pk__lt=meeting.pk)
        )
        .exclude(pk=meeting.pk)
        .count()
    )
    return earlier + 1


def guide_for_meeting(*, meeting: Meeting, number: int | None = None) -> SessionGuide | None:
    """The session plan's guide for this meeting, or None past the plan's end (or no plan), and
    for a cancelled meeting (it has no place in the pair's sequence). ``number`` is the
    meeting's :func:`meeting_number` when the caller has it already."""
    if meeting.cancelled_at is not None:
        return None
    return SessionGuide.objects.filter(
        program_id=meeting.pairing.program_id,
        position=number if number is not None else meeting_number(meeting=meeting),
    ).first()


def meeting_for_session_log(*, pairing: Pairing) -> Meeting | None:
    """The meeting a session log written now most likely records: the pair's latest meeting
    that has started (the one just held), else their next one (a pair may log a session they
    held before scheduling it in the app). Cancelled meetings never count."""
    meetings = pairing.meetings.filter(cancelled_at__isnull=True)
    now = timezone.now()
    held = meetings.filter(starts_at__lte=now).order_by("-starts_at", "-id").first()
    return held or meetings.filter(starts_at__gt=now).order_by("starts_at", "id").first()


@dataclass(frozen=True)
class LoggedMeeting:
    """What the session-log form asks about: the meeting it records, that meeting's number and
    its guide (None when the plan has none for it)."""

    meeting: Meeting
    number: int
    guide: SessionGuide | None


def logged_meeting(*, pairing: Pairing, meeting_id: int | None = None) -> LoggedMeeting | None:
    """The meeting a session log records: the one named (the meeting page's "Log this session"
    link), if it is this pair's, was not cancelled and has started; else
    :func:`meeting_for_session_log`. None when the pair has no meeting at all."""
    meeting = None
    if meeting_id is not None:
        meeting = (
            pairing.meetings.filter(
                pk=meeting_id, cancelled_at__isnull=True, starts_at__lte=timezone.now()
            )
            .select_related("pairing")
            .first()
        )
    meeting = meeting or meeting_for_session_log(pairing=pairing)
    if meeting is None:
        return None
    number = meeting_number(meeting=meeting)
    return LoggedMeeting(
        meeting=meeting, number=number, guide=guide_for_meeting(meeting=meeting, number=number)
    )


def guide_plain_text(guide: SessionGuide) -> str:
    """The guide as plain text for emails and notifications (Markdown left as written: it
    reads well as text), its headings in the active language."""
    parts = [_("Session %(number)s: %(title)s") % {"number": guide.position, "title": guide.title}]
    if guide.purpose:
        parts.append(guide.purpose)
    if guide.agenda.strip():
        parts.append(_("Agenda:") + "\n" + guide.agenda.strip())
    if guide.junior_questions.strip():
        parts.append(_("Questions for the junior:") + "\n" + guide.junior_questions.strip())
    if guide.senior_questions.strip():
        parts.append(_("Questions for the senior:") + "\n" + guide.senior_questions.strip())
    return "\n\n".join(parts)
