"""A burst of meetings due at the same time is shared out: split into tasks that every worker
can take, each leased its meetings, so the next minute's dispatch does not hand them out again
while they are queued, and each reminder still goes once."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from mentorship.models import Notification
from pairings.models import Meeting, Pairing, ReminderDelivery
from pairings.tasks import MEETING_CHUNK, dispatch_reminders, send_due_reminders
from tests.conftest import Tenant
from tests.factories import MeetingFactory
from tests.pairings.conftest import active_pair

MEETINGS = MEETING_CHUNK + 50


def test_a_burst_is_leased_out_in_shares_and_each_reminder_goes_once(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    pair: Pairing = active_pair(alpha, matching_program)
    starts_at = timezone.now() + timedelta(minutes=50)
    with alpha.scope():
        for _ in range(MEETINGS):
            MeetingFactory(pairing=pair, starts_at=starts_at)
    with django_capture_on_commit_callbacks() as shares:
        send_due_reminders.apply(kwargs={"organization_id": alpha.organization.pk})
    assert len(shares) == 2  # 100 meetings, then 50
    with alpha.scope():
        assert not Notification.objects.exists()  # nothing sent yet: the shares do it
        leases = set(Meeting.objects.values_list("next_due_at", flat=True))
    assert len(leases) == 1 and leases.pop() > timezone.now()
    # The next minute's dispatch finds nothing due: the queued shares hold the meetings.
    assert dispatch_reminders() == 0
    with django_capture_on_commit_callbacks(execute=True):
        for share in shares:
            share()
    # Every email went, once, from one task per share.
    assert len([m for m in mail.outbox if m.subject.startswith("Reminder")]) == 2 * MEETINGS
    with alpha.scope():
        assert ReminderDelivery.objects.filter(key__startswith="meeting:").count() == 2 * MEETINGS
        assert Notification.objects.filter(subject__startswith="Reminder").count() == 2 * MEETINGS
        # Then each meeting waits for its end (the "log your session" prompt).
        assert set(Meeting.objects.values_list("next_due_at", flat=True)) == {
            starts_at + timedelta(minutes=60)
        }
    # A share delivered twice (a broker redelivery) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        shares[0]()
    with alpha.scope():
        assert Notification.objects.filter(subject__startswith="Reminder").count() == 2 * MEETINGS
