"""Background work of meetings: the calendar invitations, sent after commit, and the dispatcher
that catches up a lost wake-up (beat: ``dispatch_meeting_invitations`` every minute)."""

from __future__ import annotations

from celery import shared_task

from mentorship.tasks import ReliableTask, SendTask
from pairings import meetings
from pairings.ics import Method


# Claim and send in one transaction (see SendTask): a worker killed between them loses nothing.
@shared_task(base=SendTask)
def send_meeting_invitation(
    *, organization_id: int, meeting_id: int, sequence: int, method: Method
) -> int:
    """Email one change of a meeting (its calendar file) to both partners, once each."""
    return meetings.meeting_invitation_deliver(
        meeting_id=meeting_id, sequence=sequence, method=method
    )


@shared_task(base=ReliableTask)
def dispatch_meeting_invitations() -> int:
    """Beat dispatcher: one send per recent meeting change whose invitations are not all out."""
    due = meetings.meeting_invitations_due_across_organizations()
    for organization_id, meeting_id, sequence, method in due:
        send_meeting_invitation.delay(
            organization_id=organization_id, meeting_id=meeting_id, sequence=sequence, method=method
        )
    return len(due)
