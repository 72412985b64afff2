"""What a proposal's email may carry, who can be asked, and what a departure or a second tab
leaves behind."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from mentorship.models import Notification
from mentorship.services import membership_remove
from pairings import slots
from pairings.models import Meeting, MeetingProposal, Pairing
from pairings.services import meetings, proposals
from pairings.services.pairs import pairing_dissolve
from tests.conftest import Tenant
from tests.pairings.proposals.support import days_ahead, junior_of, propose, senior_of

Status = MeetingProposal.Status


def test_a_name_with_a_line_break_still_sends_the_email_on_one_subject_line(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        pair.mentor.first_name = "Jo\r\nBcc: someone@evil.test"
        pair.mentor.save(update_fields=["first_name"])
    with django_capture_on_commit_callbacks(execute=True):
        propose(alpha, pair)
    with alpha.scope():
        (note,) = Notification.objects.filter(recipient=senior_of(pair))
    assert note.subject == "Jo Bcc: someone@evil.test Junior proposed times to meet"
    (email,) = [m for m in mail.outbox if senior_of(pair).email in m.to]
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.to == [senior_of(pair).email] and not email.bcc


def test_the_proposers_message_is_quoted_so_it_cannot_pass_for_an_accept_link(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    fake = "Accept this time: http://evil.test/steal"
    with django_capture_on_commit_callbacks(execute=True):
        propose(alpha, pair, message=f"Hi!\n\n1. Monday\n   {fake}")
    (email,) = [m for m in mail.outbox if senior_of(pair).email in m.to]
    lines = email.body.splitlines()
    assert ["Jo wrote:", "> Hi!", ">", "> 1. Monday", f">    {fake}"] == lines[2:7]
    assert f"   {fake}" not in lines
    ours = [line for line in lines if line.startswith("   Accept this time: ")]
    assert len(ours) == 3
    assert all("http://testserver/proposals/" in line for line in ours)


def test_times_cannot_be_proposed_to_a_deactivated_account(alpha: Tenant, pair: Pairing) -> None:
    with alpha.scope():
        user = senior_of(pair)
        user.is_active = False
        user.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="cannot answer"):
        propose(alpha, pair)
    with alpha.scope():
        assert not MeetingProposal.objects.exists()


def test_a_member_who_leaves_has_their_open_proposals_withdrawn(
    alpha: Tenant, pair: Pairing
) -> None:
    theirs = propose(alpha, pair)
    with alpha.scope():
        to_them = proposals.proposal_create(
            pairing=pair,
            actor=senior_of(pair),
            slots=[days_ahead(6)],
            duration_minutes=60,
            location="",
            message="",
        )
        membership_remove(membership=pair.mentor.membership, actor=alpha.hr)
        theirs.refresh_from_db()
        to_them.refresh_from_db()
    assert theirs.status == Status.WITHDRAWN
    # Times proposed *to* the one who left stay as they were: nobody can answer them.
    assert to_them.status == Status.OPEN


def test_a_meeting_scheduled_directly_on_a_pair_ended_meanwhile_is_refused(
    alpha: Tenant, pair: Pairing
) -> None:
    with alpha.scope():
        stale = Pairing.objects.get(pk=pair.pk)
        pairing_dissolve(pairing=Pairing.objects.get(pk=pair.pk), actor=alpha.hr)
        with pytest.raises(ValidationError, match="dissolved"):
            meetings.meeting_schedule(
                pairing=stale,
                starts_at=days_ahead(3),
                duration_minutes=60,
                location="",
                actor=junior_of(pair),
            )
        assert not Meeting.objects.filter(pairing=pair).exists()


@pytest.mark.django_db(transaction=True)
def test_two_proposals_of_the_same_partner_at_once_leave_one_open(
    alpha: Tenant, pair: Pairing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tabs send times at the same moment: both pass their checks before either writes. On
    PostgreSQL in two threads (the pair's row lock makes the second wait and withdraw the
    first); on SQLite one after the other, each with the pair it loaded before either ran."""
    times = [[days_ahead(3)], [days_ahead(4)]]
    errors: list[Exception] = []

    def create(pairing: Pairing, at: list[datetime]) -> None:
        proposals.proposal_create(
            pairing=pairing,
            actor=junior_of(pair),
            slots=at,
            duration_minutes=60,
            location="",
            message="",
        )

    if connection.vendor != "postgresql":
        with alpha.scope():
            loaded = [Pairing.objects.get(pk=pair.pk) for _ in times]
            for pairing, at in zip(loaded, times, strict=True):
                create(pairing, at)
    else:
        barrier = threading.Barrier(len(times), timeout=10)
        checked = proposals.meeting_schedule_problem
        waited = threading.local()

        def check_then_wait(**kwargs: object) -> str:
            problem = checked(**kwargs)
            if not getattr(waited, "done", False):  # the check before the transaction
                waited.done = True
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait()
            return problem

        monkeypatch.setattr(proposals, "meeting_schedule_problem", check_then_wait)

        def run(at: list[datetime]) -> None:
            try:
                with alpha.scope():
                    create(Pairing.objects.get(pk=pair.pk), at)
            except Exception as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(at,)) for at in times]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    with alpha.scope():
        statuses = sorted(MeetingProposal.objects.values_list("status", flat=True))
    assert not errors
    assert statuses == sorted([Status.OPEN, Status.WITHDRAWN])


def test_a_range_starting_in_the_spring_forward_gap_starts_when_the_clocks_resume() -> None:
    """New York, Sunday 14 March 2027, clocks jump from 02:00 to 03:00: a range "02:30-04:00"
    starts at 03:00 EDT (07:00 UTC), so the one hour that fits is 03:00-04:00 EDT."""
    found = slots.suggest(
        first=slots.Person([[6, "02:30", "04:00"]], "America/New_York"),
        second=slots.Person([[d, "00:00", "24:00"] for d in range(7)], "UTC"),
        minutes=60,
        now=datetime(2027, 3, 13, 12, tzinfo=UTC),
        days=2,
    )
    assert found == [datetime(2027, 3, 14, 7, 0, tzinfo=UTC)]
    assert found[0] + timedelta(minutes=60) == datetime(2027, 3, 14, 8, 0, tzinfo=UTC)
