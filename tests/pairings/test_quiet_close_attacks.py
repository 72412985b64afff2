# ruff: noqa: F811  (the fixture ``pair`` is imported from test_quiet_close)
"""Attacks on quiet pairs closed kindly: what a partner does while the inactivity pass is
running must win over the close, a confidential exit request is not "activity", and the closing
day reads the same in the partner's email and on their page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from pairings import due
from pairings.models import Meeting, Pairing
from pairings.services import meetings as meeting_services
from pairings.services import quiet as quiet_services
from pairings.services.exits import pairing_request_exit
from programs.models import Participant
from tests.conftest import Tenant
from tests.pairings.test_quiet_close import C, day, fresh, pair, run  # noqa: F401

_real_next_check = due.quiet_next_check


def _during_the_pass(monkeypatch, act) -> None:
    """Run ``act`` once, right after the pass has read the pairs and decided the close (the
    time the pass spends on the pairs before it: up to 2,000 of them, each with its emails)."""
    done = []

    def next_check(**kwargs):
        stage, following = _real_next_check(**kwargs)
        if stage == 4 and not done:
            done.append(True)
            act()
        return stage, following

    monkeypatch.setattr(due, "quiet_next_check", next_check)


def test_a_pair_kept_while_the_pass_runs_is_not_closed(
    alpha: Tenant, pair: Pairing, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    noticed = day(C - 7)
    run(alpha, django_capture_on_commit_callbacks, noticed)
    assert fresh(alpha, pair).quiet_notice_at == noticed

    def keep() -> None:
        with alpha.scope():
            member = Participant.objects.get(pk=pair.mentor_id).membership
            quiet_services.pairing_keep(pairing=fresh(alpha, pair), membership=member)

    _during_the_pass(monkeypatch, keep)
    run(alpha, django_capture_on_commit_callbacks, noticed + timedelta(days=7))
    pairing = fresh(alpha, pair)
    assert pairing.kept_at is not None  # the partner was told "Your pair is kept"
    # ... so the pair must still be open: the close must not go through on a stale read.
    assert pairing.status == Pairing.Status.ACTIVE, "a kept pair was closed by the pass"
    assert not [m for m in mail.outbox if "has closed" in m.subject]


def test_a_meeting_scheduled_while_the_pass_runs_stops_the_close(
    alpha: Tenant, pair: Pairing, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    noticed = day(C - 7)
    run(alpha, django_capture_on_commit_callbacks, noticed)
    starts_at = (timezone.now() + timedelta(days=10)).replace(microsecond=0)
    scheduled: list[Meeting] = []

    def schedule() -> None:
        with alpha.scope():
            scheduled.append(
                meeting_services.meeting_schedule(
                    pairing=fresh(alpha, pair),
                    starts_at=starts_at,
                    duration_minutes=60,
                    location="Room 1",
                    actor=alpha.participant,
                )
            )

    _during_the_pass(monkeypatch, schedule)
    run(alpha, django_capture_on_commit_callbacks, noticed + timedelta(days=7))
    with alpha.scope():
        meeting = Meeting.objects.get(pk=scheduled[0].pk)
    assert fresh(alpha, pair).status == Pairing.Status.ACTIVE, (
        "the pair was closed right after a partner scheduled a meeting"
    )
    assert meeting.cancelled_at is None


def test_a_confidential_exit_request_does_not_call_off_the_close(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    """An exit request leaves "the pair carries on as it was (meetings, reminders)": it is not
    a meeting. Counted as activity, it silently withdraws the closing notice (the other partner
    sees the announced close not happen, with no "kept" message) and restarts the nudges,
    whose "You have not met for N days" then dates the confidential request."""
    noticed = day(C - 7)
    run(alpha, django_capture_on_commit_callbacks, noticed)
    with alpha.scope():
        senior = Participant.objects.get(pk=pair.mentee_id).membership
        pairing_request_exit(pairing=fresh(alpha, pair), membership=senior, note="")
    mail.outbox.clear()
    run(alpha, django_capture_on_commit_callbacks, noticed + timedelta(days=7, minutes=1))
    to_junior = [m.subject for m in mail.outbox if m.to == [pair.mentor.email]]
    assert fresh(alpha, pair).status == Pairing.Status.DISSOLVED, to_junior
    assert not [s for s in to_junior if s.startswith("Time to meet")], to_junior


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Auckland"])
def test_the_page_gives_the_closing_day_the_email_gave(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks, zone: str
) -> None:
    """The notice email says the day in the partner's time zone (as every reminder does); the
    page must say the same day, not the UTC one."""
    with alpha.scope():
        Participant.objects.filter(pk=pair.mentor_id).update(timezone=zone)
    # A pass at 03:00 / 20:00 UTC: the closing moment is on another day in LA / Auckland.
    base = day(C - 6).astimezone(UTC)
    hour = 3 if zone.startswith("America") else 20
    at = datetime(base.year, base.month, base.day, hour, tzinfo=UTC)
    run(alpha, django_capture_on_commit_callbacks, at)
    notice = next(
        m for m in mail.outbox if m.to == [pair.mentor.email] and "will close" in m.subject
    )
    local = (at + due.NOTICE).astimezone(ZoneInfo(zone))
    told = f"{local.day} {local:%B %Y}"
    assert told in notice.subject
    page = client_for(alpha.participant).get(f"/o/alpha/pairs/{pair.pk}/").content.decode()
    assert "Keep our pair" in page
    assert "will close on <time" in page
    shown = page.split("will close on <time", 1)[1].split("</time>", 1)[0].split(">", 1)[1]
    assert shown == told, f"email says {told}, page says {shown}"


def test_a_setting_edit_during_the_pass_does_not_bring_a_second_notice(
    alpha: Tenant, pair: Pairing, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """HR edits the program (C 20 -> 21) while the pass sends the notice: the pass's final
    compare-and-set on ``quiet_check_at`` then fails, the notice it just sent is not recorded,
    and the next pass tells both partners again, with another closing day."""
    from programs.models import Program
    from programs.services.programs import program_update

    done: list[bool] = []

    def next_check(**kwargs):
        stage, following = _real_next_check(**kwargs)
        if stage == 3 and not done:
            done.append(True)
            with alpha.scope():
                program_update(
                    program=Program.objects.get(pk=pair.program_id),
                    data={"close_quiet_after_days": C + 1},
                )
        return stage, following

    monkeypatch.setattr(due, "quiet_next_check", next_check)
    at = day(C - 6)
    run(alpha, django_capture_on_commit_callbacks, at)
    run(alpha, django_capture_on_commit_callbacks, at + timedelta(hours=1))
    notices = [m.subject for m in mail.outbox if "will close" in m.subject]
    assert len(notices) == 2, notices


@pytest.mark.parametrize("act", ["log", "meeting"])
def test_a_close_refused_on_a_withdrawn_notice_tells_no_one_and_looks_again(
    alpha: Tenant, pair: Pairing, monkeypatch, django_capture_on_commit_callbacks, act: str
) -> None:
    """A session logged, or a meeting planned (far enough ahead not to move the pair's next
    check), while the pass runs withdraws the notice: the pair is not closed, HR admins are not
    told of a close, nothing is audited, and the pair is still looked at (a refused close is
    not an ended pair, whose checks stop)."""
    from mentorship.models import AuditEvent, Notification
    from pairings.services.session_logs import session_log_create

    noticed = day(C - 7)
    run(alpha, django_capture_on_commit_callbacks, noticed)

    def do() -> None:
        with alpha.scope():
            if act == "meeting":
                meeting_services.meeting_schedule(
                    pairing=fresh(alpha, pair),
                    starts_at=(timezone.now() + timedelta(days=10)).replace(microsecond=0),
                    duration_minutes=60,
                    location="Room 1",
                    actor=alpha.participant,
                )
                return
            session_log_create(
                pairing=fresh(alpha, pair),
                author=Participant.objects.get(pk=pair.mentor_id),
                date=(timezone.now() - timedelta(days=1)).date(),
                minutes=45,
                taught="Shortcuts",
            )

    _during_the_pass(monkeypatch, do)
    run(alpha, django_capture_on_commit_callbacks, noticed + timedelta(days=7))
    pairing = fresh(alpha, pair)
    assert pairing.status == Pairing.Status.ACTIVE and pairing.quiet_check_at is not None
    assert pairing.quiet_notice_at is None  # the withdrawal is not undone by the pass
    assert not [m for m in mail.outbox if "closed" in m.subject]
    with alpha.scope():
        assert not Notification.objects.filter(subject__contains="closed").exists()
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.PAIRING_DISSOLVED).exists()
