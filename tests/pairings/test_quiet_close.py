"""Quiet pairs closed kindly: with the program's "close pairs quiet for" setting, both partners
are told 7 days ahead (after the nudge and HR's escalation), can keep their pair with one
click, and otherwise the pair ends as a no-fault exit, told to everyone once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from mentorship.events.models import EventType, WebhookEndpoint, WebhookEvent
from mentorship.models import AuditEvent, Notification
from pairings import due, reminders
from pairings.models import Meeting, Pairing, PairingEvent, ReminderDelivery
from pairings.reminders import quiet_pair_expired, reminders_send_due
from pairings.services import quiet as quiet_services
from programs.models import Participant, Program, SessionGuide
from tests.conftest import Tenant
from tests.factories import MeetingFactory
from tests.pairings.conftest import active_pair

N = 5  # PAIR_INACTIVITY_DAYS in these tests: nudge at day 5, HR at day 10
C = 20  # close_quiet_after_days: notice at max(20 - 7, 10) = day 13, close at day 20


def day(n: float) -> datetime:
    return START + timedelta(days=n)


# The pair's start: its notice falls due a minute ago (day C - 7), so what the partners do on the
# page (now) follows the notice, as in life.
START = timezone.now().replace(microsecond=0) - timedelta(days=C - 7, minutes=1)


def test_the_close_is_wired_when_the_app_starts() -> None:
    """The pass only signals (services import it, so it cannot call them): the app connects the
    receiver that closes the pair."""
    connected = quiet_pair_expired._live_receivers(Pairing)
    connected = connected[0] if isinstance(connected, tuple) else connected
    assert [(r.__module__, r.__name__) for r in connected] == [
        ("pairings.receivers", "close_quiet_pair")
    ]


@pytest.fixture
def pair(alpha: Tenant, matching_program, settings) -> Pairing:
    """An active pair, active since START, in a program closing pairs quiet for C days."""
    settings.PAIR_INACTIVITY_DAYS = N
    pairing = active_pair(alpha, matching_program)
    with alpha.scope():
        Program.objects.filter(pk=matching_program.pk).update(close_quiet_after_days=C)
        PairingEvent.objects.create(
            organization=alpha.organization, pairing=pairing, status="active", created_at=START
        )
        Pairing.objects.filter(pk=pairing.pk).update(created_at=START, quiet_check_at=START)
        pairing.refresh_from_db()
    return pairing


def run(alpha: Tenant, capture, at: datetime) -> int:
    with alpha.scope(), capture(execute=True):
        return reminders_send_due(organization=alpha.organization, now=at)


def subjects(to: str | None = None) -> list[str]:
    return [m.subject for m in mail.outbox if to is None or m.to == [to]]


def long_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def fresh(alpha: Tenant, pairing: Pairing) -> Pairing:
    with alpha.scope():
        return Pairing.objects.get(pk=pairing.pk)


# --- The stages (pure) ----------------------------------------------------------------------------


def test_without_the_setting_the_stages_are_those_of_before() -> None:
    last = datetime(2030, 1, 1, tzinfo=timezone.get_fixed_timezone(0))

    def at(days: float, **kw: object) -> tuple[int, datetime | None]:
        return due.quiet_next_check(
            last_activity=last, inactive_days=21, now=last + timedelta(days=days), **kw
        )

    assert at(3) == (0, last + timedelta(days=21))
    assert at(22) == (1, last + timedelta(days=42))
    assert at(50) == (2, None)
    assert at(400) == (2, None)
    # With C = 90: the notice at day 83, then the close 7 days after it was sent.
    assert at(50, close_after_days=90) == (2, last + timedelta(days=83))
    now = last + timedelta(days=85)
    assert at(85, close_after_days=90) == (3, now + timedelta(days=7))
    sent = last + timedelta(days=85)
    assert at(91, close_after_days=90, notice_at=sent) == (3, sent + timedelta(days=7))
    assert at(92, close_after_days=90, notice_at=sent) == (4, None)
    # C shorter than the escalation: the notice still waits for day 2N.
    assert at(30, close_after_days=14) == (1, last + timedelta(days=42))
    assert at(42, close_after_days=14)[0] == 3
    # A notice of an earlier stretch does not count.
    old = last - timedelta(days=1)
    assert at(92, close_after_days=90, notice_at=old) == (3, last + timedelta(days=99))


# --- Notice, keep, close --------------------------------------------------------------------------


def test_both_partners_are_told_7_days_ahead_after_the_nudge_and_hr(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    run(alpha, django_capture_on_commit_callbacks, day(N + 0.5))  # nudge
    run(alpha, django_capture_on_commit_callbacks, day(2 * N + 0.5))  # HR
    assert not [s for s in subjects() if "will close" in s]
    assert fresh(alpha, pair).quiet_check_at == day(C - 7)
    at = day(C - 7) + timedelta(minutes=1)
    run(alpha, django_capture_on_commit_callbacks, at)
    run(alpha, django_capture_on_commit_callbacks, at)  # a second pass sends nothing more
    closes = long_date(at + timedelta(days=7))
    notices = [m for m in mail.outbox if "will close" in m.subject]
    assert sorted(m.to[0] for m in notices) == sorted([pair.mentor.email, pair.mentee.email])
    assert all(closes in m.subject and "Keep it with one click" in m.body for m in notices)
    assert all(f"/o/alpha/pairs/{pair.pk}/" in m.body for m in notices)
    pairing = fresh(alpha, pair)
    assert pairing.quiet_notice_at == at
    assert pairing.quiet_check_at == at + timedelta(days=7)
    assert pairing.status == "active"


def test_a_removed_member_gets_no_notice(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        member = Participant.objects.get(pk=pair.mentee_id).membership
        member.removed_at = timezone.now()
        member.save()
    run(alpha, django_capture_on_commit_callbacks, day(C - 6))
    assert [m.to[0] for m in mail.outbox if "will close" in m.subject] == [pair.mentor.email]


def test_without_keeping_the_pair_closes_7_days_after_the_notice(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        WebhookEndpoint.objects.create(
            organization=alpha.organization,
            url="https://hooks.example.com/in",
            event_types=[EventType.PAIRING_ENDED],
        )
    noticed = day(C - 7)
    run(alpha, django_capture_on_commit_callbacks, noticed)
    run(alpha, django_capture_on_commit_callbacks, noticed + timedelta(days=6, hours=23))
    assert fresh(alpha, pair).status == "active"
    mail.outbox.clear()
    run(alpha, django_capture_on_commit_callbacks, noticed + timedelta(days=7))
    run(alpha, django_capture_on_commit_callbacks, noticed + timedelta(days=7, minutes=1))
    pairing = fresh(alpha, pair)
    assert (pairing.status, pairing.end_reason) == ("dissolved", "inactivity")
    closed = [m for m in mail.outbox if "has closed" in m.subject]
    assert sorted(m.to[0] for m in closed) == sorted([pair.mentor.email, pair.mentee.email])
    assert all("no-fault" in m.body and "blame" in m.body for m in closed)
    assert len([s for s in subjects(alpha.hr.email) if "was closed" in s]) == 1
    with alpha.scope():
        event = PairingEvent.objects.filter(pairing=pair).last()
        assert event.status == "dissolved" and event.actor is None
        assert event.note == f"Closed after {C} days without a meeting"
        audit = AuditEvent.objects.get(action=AuditEvent.Action.PAIRING_DISSOLVED)
        assert "inactivity" in audit.summary and audit.actor is None
        assert WebhookEvent.objects.filter(event_type=EventType.PAIRING_ENDED).count() == 1
        # Both are free to be matched again.
        assert not Participant.objects.filter(pk__in=[pair.mentor_id, pair.mentee_id]).filter(
            matched=True
        )
    # The pair's page says why it ended, to partners and HR admins alike.
    for user in (alpha.participant, alpha.hr):
        page = client_for(user).get(f"/o/alpha/pairs/{pair.pk}/").content.decode()
        assert f"Closed after {C} days without a meeting" in page
        assert "Keep our pair" not in page


def test_closing_cancels_future_meetings_with_calendar_cancellations(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        meeting = MeetingFactory(
            pairing=pair, starts_at=timezone.now() + timedelta(days=3), uid=f"{uuid.uuid4()}@t"
        )
    mail.outbox.clear()
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        quiet_services.pairing_close_for_inactivity(
            pairing=fresh(alpha, pair), now=timezone.now(), quiet_since=day(0)
        )
    with alpha.scope():
        meeting = Meeting.objects.get(pk=meeting.pk)
    assert meeting.cancelled_at is not None and meeting.cancelled_by is None
    assert meeting.cancelled_by_side == ""
    cancels = [m for m in mail.outbox if m.subject.startswith("Cancelled:")]
    assert sorted(m.to[0] for m in cancels) == sorted([pair.mentor.email, pair.mentee.email])
    for message in cancels:
        ics = [p for p in message.attachments if getattr(p, "get_content_type", None)]
        assert any(p.get_param("method") == "CANCEL" for p in ics)
        # Nobody cancelled it by hand: the email does not blame an unnamed "someone".
        assert "Someone" not in message.body and "was cancelled" in message.body


def test_a_partner_keeps_the_pair_with_one_click_and_a_new_stretch_starts(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    noticed = day(C - 7)
    run(alpha, django_capture_on_commit_callbacks, noticed)
    junior = client_for(alpha.participant)
    page = junior.get(f"/o/alpha/pairs/{pair.pk}/").content.decode()
    closes = long_date(noticed + timedelta(days=7))
    assert "Keep our pair" in page and closes in page
    hr_page = client_for(alpha.hr).get(f"/o/alpha/pairs/{pair.pk}/").content.decode()
    assert "closes on" in hr_page and "unless a partner keeps it" in hr_page
    assert "Keep our pair" not in hr_page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = junior.post(f"/o/alpha/pairs/{pair.pk}/keep/", follow=True)
    assert "Your pair is kept" in response.content.decode()
    assert "Keep our pair" not in response.content.decode()
    pairing = fresh(alpha, pair)
    assert pairing.quiet_notice_at is None and pairing.kept_at is not None
    assert [m.to[0] for m in mail.outbox] == [pair.mentee.email]
    assert "kept your pair" in mail.outbox[0].subject
    with alpha.scope():
        assert PairingEvent.objects.filter(
            pairing=pair, note="Kept after the inactivity notice"
        ).exists()
    # The new stretch starts from the keep: looked at N days on, not on the closing day.
    kept = pairing.kept_at
    assert pairing.quiet_check_at == kept + timedelta(days=N)
    # The day the pair would have closed it is still open, in a new stretch (nudged again).
    mail.outbox.clear()
    run(alpha, django_capture_on_commit_callbacks, noticed + timedelta(days=7, minutes=5))
    pairing = fresh(alpha, pair)
    assert pairing.status == "active" and pairing.quiet_notice_at is None
    # (the keep's own history line, a moment later, is the stretch's start)
    assert abs(pairing.quiet_check_at - (kept + timedelta(days=2 * N))) < timedelta(seconds=5)
    assert len([s for s in subjects() if s.startswith("Time to meet")]) == 2
    # Keeping twice (another tab) changes nothing and says so.
    again = junior.post(f"/o/alpha/pairs/{pair.pk}/keep/", follow=True).content.decode()
    assert "not waiting to be kept" in again


def test_a_late_notice_still_gives_7_full_days(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    late = day(C + 30)  # the workers were down for a month
    run(alpha, django_capture_on_commit_callbacks, late)
    assert fresh(alpha, pair).status == "active"
    assert fresh(alpha, pair).quiet_notice_at == late
    run(alpha, django_capture_on_commit_callbacks, late + timedelta(days=6, hours=23))
    assert fresh(alpha, pair).status == "active"
    run(alpha, django_capture_on_commit_callbacks, late + timedelta(days=7))
    assert fresh(alpha, pair).status == "dissolved"


def test_a_pair_with_a_meeting_ahead_is_neither_told_nor_closed(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    noticed = day(C - 7)
    run(alpha, django_capture_on_commit_callbacks, noticed)
    ahead = noticed + timedelta(days=20)
    with alpha.scope():
        MeetingFactory(pairing=pair, starts_at=ahead, uid=f"{uuid.uuid4()}@t")
    run(alpha, django_capture_on_commit_callbacks, noticed + timedelta(days=8))
    pairing = fresh(alpha, pair)
    assert pairing.status == "active"
    assert pairing.quiet_notice_at is None  # withdrawn: the pair is meeting again
    assert pairing.quiet_check_at == ahead


def test_scheduling_a_meeting_withdraws_the_notice_and_a_cancelled_one_brings_a_fresh_one(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    noticed = day(C - 7)
    run(alpha, django_capture_on_commit_callbacks, noticed)
    with alpha.scope():
        reminders.quiet_check_rearm(pairing=pair, after_meeting_at=noticed + timedelta(days=20))
    assert fresh(alpha, pair).quiet_notice_at is None
    # No meeting happened after all (say it was cancelled): a fresh notice, 7 days again.
    mail.outbox.clear()
    again = noticed + timedelta(days=7, minutes=1)
    run(alpha, django_capture_on_commit_callbacks, again)
    assert fresh(alpha, pair).status == "active"
    assert len([m for m in mail.outbox if "will close" in m.subject]) == 2
    assert fresh(alpha, pair).quiet_notice_at == again


def test_without_the_setting_nothing_is_told_or_closed(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        Program.objects.update(close_quiet_after_days=None)
    for n in (N + 1, 2 * N + 1, C, C + 10, C + 100):
        run(alpha, django_capture_on_commit_callbacks, day(n))
    assert fresh(alpha, pair).status == "active"
    assert not [s for s in subjects() if "close" in s]
    with alpha.scope():
        assert not ReminderDelivery.objects.filter(key__startswith="quiet-notice:").exists()


# --- Links and guides in the other reminders ------------------------------------------------------


def test_the_nudge_and_the_log_prompt_lead_to_find_a_time(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    run(alpha, django_capture_on_commit_callbacks, day(N + 1))
    find_time = f"/o/alpha/pairs/{pair.pk}/find-a-time/"
    with alpha.scope():
        nudges = Notification.objects.filter(subject__startswith="Time to meet")
        assert nudges.count() == 2 and {n.url for n in nudges} == {find_time}
        MeetingFactory(
            pairing=pair, starts_at=timezone.now() - timedelta(hours=2), uid=f"{uuid.uuid4()}@t"
        )
    run(alpha, django_capture_on_commit_callbacks, timezone.now())
    prompts = [m for m in mail.outbox if m.subject.startswith("Log your session")]
    assert len(prompts) == 2 and all(find_time in m.body for m in prompts)


def test_the_24_hour_reminder_shows_the_sessions_guide(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        for position, title in ((1, "Ground rules"), (2, "What I want to learn")):
            SessionGuide.objects.create(
                organization=alpha.organization,
                program=pair.program,
                position=position,
                title=title,
                purpose=f"Purpose of {title}",
            )
        MeetingFactory(
            pairing=pair, starts_at=timezone.now() - timedelta(days=9), uid=f"{uuid.uuid4()}@t"
        )
        second = MeetingFactory(
            pairing=pair, starts_at=timezone.now() + timedelta(hours=23), uid=f"{uuid.uuid4()}@t"
        )
    mail.outbox.clear()
    run(alpha, django_capture_on_commit_callbacks, timezone.now())
    reminded = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert len(reminded) == 2
    for message in reminded:
        assert "Session 2, What I want to learn" in message.body
        assert "Purpose of What I want to learn" in message.body
        assert f"/pairs/{pair.pk}/meetings/{second.pk}/" in message.body


# --- The page -------------------------------------------------------------------------------------


def test_only_the_partners_keep_a_pair_and_other_organisations_see_nothing(
    alpha: Tenant, beta: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    run(alpha, django_capture_on_commit_callbacks, day(C - 7))
    url = f"/o/alpha/pairs/{pair.pk}/keep/"
    assert client_for(alpha.hr).post(url).status_code == 404
    assert client_for(alpha.sponsor).post(url).status_code == 404
    assert client_for(beta.participant).post(url).status_code == 404
    assert client_for(beta.hr).post(f"/o/beta/pairs/{pair.pk}/keep/").status_code == 404
    assert client_for(alpha.participant).get(url).status_code == 405
    assert fresh(alpha, pair).quiet_notice_at is not None


def test_turning_the_setting_on_later_reaches_pairs_already_reported_in_full(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        Program.objects.update(close_quiet_after_days=None)
    run(alpha, django_capture_on_commit_callbacks, day(2 * N + 1))  # nudge and HR: then nothing
    assert fresh(alpha, pair).quiet_check_at is None
    at = day(C - 7)
    with alpha.scope():
        Program.objects.update(close_quiet_after_days=C)
        reminders.quiet_checks_follow_program(program=pair.program, now=at)
    run(alpha, django_capture_on_commit_callbacks, at)
    assert len([m for m in mail.outbox if "will close" in m.subject]) == 2
    assert fresh(alpha, pair).quiet_notice_at == at


def test_hr_turning_the_setting_on_in_the_program_form_reaches_quiet_pairs(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    """Through the service the program form uses: the pairs already nudged and escalated (no
    check left) are looked at again, and the next pass sends their notice."""
    from programs.services.programs import program_update

    with alpha.scope():
        Program.objects.update(close_quiet_after_days=None)
    run(alpha, django_capture_on_commit_callbacks, day(2 * N + 1))
    assert fresh(alpha, pair).quiet_check_at is None
    with alpha.scope():
        program_update(
            program=Program.objects.get(pk=pair.program_id), data={"close_quiet_after_days": C}
        )
    assert fresh(alpha, pair).quiet_check_at is not None
    run(alpha, django_capture_on_commit_callbacks, timezone.now())
    assert len([m for m in mail.outbox if "will close" in m.subject]) == 2
