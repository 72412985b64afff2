"""Which conversation guide of the program's session plan a meeting follows.

The pair's first meeting gets session 1, the second session 2, and so on: a meeting's number is
its place among the pair's meetings that were not cancelled, by start time. A meeting past the
end of the plan has no guide. Moving a meeting can change its number (the plan follows the
order in which the pair actually meets).
"""

from __future__ import annotations

from django.db.models import Q

from pairings.models import Meeting
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


def guide_for_meeting(*, meeting: Meeting) -> SessionGuide | None:
    """The session plan's guide for this meeting, or None past the plan's end (or no plan)."""
    return SessionGuide.objects.filter(
        program_id=meeting.pairing.program_id, position=meeting_number(meeting=meeting)
    ).first()


def guide_plain_text(guide: SessionGuide) -> str:
    """The guide as plain text for emails and notifications (Markdown left as written: it
    reads well as text)."""
    parts = [f"Session {guide.position}: {guide.title}"]
    if guide.purpose:
        parts.append(guide.purpose)
    if guide.agenda.strip():
        parts.append("Agenda:\n" + guide.agenda.strip())
    if guide.junior_questions.strip():
        parts.append("Questions for the junior:\n" + guide.junior_questions.strip())
    if guide.senior_questions.strip():
        parts.append("Questions for the senior:\n" + guide.senior_questions.strip())
    return "\n\n".join(parts)
