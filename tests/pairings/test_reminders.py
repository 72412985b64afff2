"""Reminders: before meetings, after them, and when a pair goes quiet. Each exactly once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from mentorship.models import Notification
from pairings.models import Meeting, Pairing, PairingEvent, ReminderDelivery
from pairings.reminders import reminders_send_due
from pairings.services.session_logs import session_log_create
from pairings.tasks import dispatch_reminders
from programs.services import programs as program_services
from tests.conftest import Tenant
from tests.factories import MeetingFactory, SessionLogFactory
from tests.pairings.conftest import active_pair


@pytest.fixture
def pair(alpha: Tenant, matching_program) -> Pairing:
    pairing = active_pair(alpha, matching_program)
    with alpha.scope():
        PairingEvent.objects.create(
            organization=alpha.organization, pairing=pairing, status="active"
        )
    return pairing


def meeting(alpha: Tenant, pairing: Pairing, starts_in: timedelta, minutes: int = 60) -> Meeting:
    with alpha.scope():
        return MeetingFactory(
            pairing=pairing,
            starts_at=timezone.now() + starts_in,
            duration_minutes=minutes,
            uid=f"{uuid.uuid4()}@test",
        )


def send(alpha: Tenant, capture, now=None) -> int:
    with alpha.scope(), capture(execute=True):
        return reminders_send_due(organization=alpha.organization, now=now)


def reminder_subjects() -> list[str]:
    return sorted(m.subject for m in mail.outbox if m.subject.startswith("Reminder"))


def test_a_meeting_in_50_minutes_gets_its_one_hour_reminder_once(
    alpha: Tenant, pair, django_capture_on_commit_callbacks
) -> None:
    meeting(alpha, pair, timedelta(minutes=50))
    assert send(alpha, django_capture_on_commit_callbacks) == 2
    assert send(alpha, django_capture_on_commit_callbacks) == 0  # a second pass sends nothing
    assert len(reminder_subjects()) == 2
    assert {m.to[0] for m in mail.outbox} == {pair.mentor.email, pair.mentee.email}
    with alpha.scope():
        assert Notification.objects.filter(subject__startswith="Reminder").count() == 2
        assert ReminderDelivery.objects.filter(sent_at__isnull=False).count() == 2


def test_each_offset_is_sent_once_and_a_new_time_is_reminded_again(
    alpha: Tenant, pair, django_capture_on_commit_callbacks
) -> None:
    m = meeting(alpha, pair, timedelta(hours=23))
    send(alpha, django_capture_on_commit_callbacks)  # the 24-hour reminder
    send(
        alpha,
        django_capture_on_commit_callbacks,
        now=timezone.now() + timedelta(hours=22, minutes=30),
    )
    assert len(reminder_subjects()) == 4  # and the 1-hour one
    with alpha.scope():
        Meeting.objects.filter(pk=m.pk).update(starts_at=m.starts_at + timedelta(days=2))
    send(
        alpha,
        django_capture_on_commit_callbacks,
        now=timezone.now() + timedelta(days=2, hours=22, minutes=30),
    )
    assert len(reminder_subjects()) == 6


def test_cancelled_meetings_are_not_reminded(
    alpha: Tenant, pair, django_capture_on_commit_callbacks
) -> None:
    m = meeting(alpha, pair, timedelta(minutes=30))
    with alpha.scope():
        Meeting.objects.filter(pk=m.pk).update(cancelled_at=timezone.now())
    assert send(alpha, django_capture_on_commit_callbacks) == 0


def test_after_a_meeting_each_partner_is_asked_to_log_it_unless_they_did(
    alpha: Tenant, pair, django_capture_on_commit_callbacks
) -> None:
    m = meeting(alpha, pair, -timedelta(hours=2))
    with alpha.scope():
        SessionLogFactory(
            pairing=pair,
            author=pair.mentor,
            date=m.starts_at.astimezone(timezone.get_current_timezone()).date(),
            minutes=60,
        )
    send(alpha, django_capture_on_commit_callbacks)
    send(alpha, django_capture_on_commit_callbacks)
    prompts = [msg for msg in mail.outbox if msg.subject.startswith("Log your session")]
    assert [msg.to[0] for msg in prompts] == [pair.mentee.email]


def test_a_quiet_pair_is_nudged_then_hr_hears(
    alpha: Tenant, pair, django_capture_on_commit_callbacks, settings
) -> None:
    settings.PAIR_INACTIVITY_DAYS = 21
    with alpha.scope():
        Pairing.objects.filter(pk=pair.pk).update(last_met_at=timezone.now() - timedelta(days=22))
        PairingEvent.objects.update(created_at=timezone.now() - timedelta(days=60))
    send(alpha, django_capture_on_commit_callbacks)
    send(alpha, django_capture_on_commit_callbacks)
    nudges = [m for m in mail.outbox if m.subject.startswith("Time to meet")]
    assert sorted(m.to[0] for m in nudges) == sorted([pair.mentor.email, pair.mentee.email])
    assert not [m for m in mail.outbox if m.to == [alpha.hr.email]]
    # Three weeks later, still quiet (43 days): HR admins hear, once; the partners' nudge for
    # this stretch is not sent again.
    later = timezone.now() + timedelta(days=21)
    send(alpha, django_capture_on_commit_callbacks, now=later)
    send(alpha, django_capture_on_commit_callbacks, now=later)
    to_hr = [m for m in mail.outbox if m.to == [alpha.hr.email]]
    assert len(to_hr) == 1 and "has not met for 43 days" in to_hr[0].subject
    assert len([m for m in mail.outbox if m.subject.startswith("Time to meet")]) == 2


def test_a_quiet_pair_is_not_reconsidered_until_its_next_stage(
    alpha: Tenant, pair, django_capture_on_commit_callbacks, settings
) -> None:
    settings.PAIR_INACTIVITY_DAYS = 21
    with alpha.scope():
        Pairing.objects.filter(pk=pair.pk).update(last_met_at=timezone.now() - timedelta(days=22))
        PairingEvent.objects.update(created_at=timezone.now() - timedelta(days=60))
    send(alpha, django_capture_on_commit_callbacks)
    with alpha.scope():
        pair.refresh_from_db()
        # Looked at again when HR could be told (day 42 of the stretch), not every minute.
        assert pair.quiet_check_at == pair.last_met_at + timedelta(days=42)
    # A logged session starts a new stretch: the pair is looked at 21 days after it.
    with alpha.scope():
        session_log_create(pairing=pair, author=pair.mentor, date=timezone.now().date(), minutes=30)
        pair.refresh_from_db()
        assert pair.quiet_check_at <= pair.last_met_at + timedelta(days=21)
    # When the check comes, the pair has met: nothing is sent, and the check moves on to 21
    # days after that session.
    sent_before = len(mail.outbox)
    assert send(alpha, django_capture_on_commit_callbacks, now=pair.quiet_check_at) == 0
    assert len(mail.outbox) == sent_before
    with alpha.scope():
        pair.refresh_from_db()
        assert pair.quiet_check_at == pair.last_met_at + timedelta(days=21)


def test_the_beat_dispatcher_wakes_only_organisations_with_something_due(
    alpha: Tenant, pair, django_capture_on_commit_callbacks
) -> None:
    meeting(alpha, pair, timedelta(minutes=45))
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_reminders() == 1
    assert len(reminder_subjects()) == 2
    # Sent: the meeting's next moment is its end, the pair's next check weeks away.
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_reminders() == 0
    assert len(reminder_subjects()) == 2


def test_new_reminder_times_apply_to_meetings_already_set(
    alpha: Tenant, pair, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        program = pair.program
        program_services.program_update(program=program, data={"reminder_offsets_hours": [1]})
    m = meeting(alpha, pair, timedelta(hours=30))
    with alpha.scope():
        m.refresh_from_db()
        assert m.next_due_at == m.starts_at - timedelta(hours=1)
        # HR adds a reminder two days ahead: the meeting, 30 hours away, is reminded now.
        program_services.program_update(program=program, data={"reminder_offsets_hours": [48, 1]})
    assert send(alpha, django_capture_on_commit_callbacks) == 2
    assert len(reminder_subjects()) == 2


def test_a_shorter_inactivity_period_applies_to_pairs_already_checked(
    alpha: Tenant, pair, django_capture_on_commit_callbacks, settings
) -> None:
    settings.PAIR_INACTIVITY_DAYS = 21
    send(alpha, django_capture_on_commit_callbacks)  # the check is stored 21 days ahead
    settings.PAIR_INACTIVITY_DAYS = 7
    eight_days_on = timezone.now() + timedelta(days=8)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_reminders()  # the beat dispatcher notices the shorter period
    send(alpha, django_capture_on_commit_callbacks, now=eight_days_on)
    nudges = [m for m in mail.outbox if m.subject.startswith("Time to meet")]
    assert sorted(m.to[0] for m in nudges) == sorted([pair.mentor.email, pair.mentee.email])
