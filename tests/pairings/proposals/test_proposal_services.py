"""Proposing times, accepting one (the meeting and both invitations), declining, expiry."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from mentorship.models import Notification
from pairings.models import BusyCalendar, Meeting, MeetingProposal, Pairing
from pairings.proposal_selectors import proposal_get
from pairings.services import meetings, proposals
from pairings.timezones import when_in, zone_named
from tests.conftest import Tenant
from tests.factories import MeetingFactory
from tests.pairings.proposals.support import days_ahead, junior_of, propose, senior_of

Status = MeetingProposal.Status


def emails_to(user) -> list:
    return [m for m in mail.outbox if user.email in m.to]


def test_the_partner_gets_a_notification_and_an_email_with_a_link_per_time_in_both_zones(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    times = [days_ahead(3, 15), days_ahead(4, 16), days_ahead(5, 17)]
    with django_capture_on_commit_callbacks(execute=True):
        proposal = propose(alpha, pair, times=times, message="Tea?")
    with alpha.scope():
        (note,) = Notification.objects.filter(recipient=senior_of(pair))
    assert note.subject == "Jo Junior proposed times to meet"
    assert note.url.endswith(f"/pairs/{pair.pk}/proposals/{proposal.pk}/")
    (email,) = emails_to(senior_of(pair))
    links = re.findall(r"http://testserver/proposals/([^/\s]+)/", email.body)
    assert len(links) == 3 and len(set(links)) == 3
    # Each time in the senior's zone (New York) and the junior's (London).
    for at in times:
        senior_sees = when_in(at, zone_named("America/New_York"))
        junior_sees = when_in(at, zone_named("Europe/London"))
        assert f"{senior_sees} (for Jo: {junior_sees})" in email.body
    assert "Jo wrote:\n> Tea?\n" in email.body
    assert not emails_to(junior_of(pair))


def test_times_are_validated_with_clear_messages(alpha: Tenant, pair: Pairing) -> None:
    cases = {
        "Pick at least one time.": [],
        "Propose at most 3 times.": [days_ahead(n) for n in (2, 3, 4, 5)],
        "One of the times has already passed.": [timezone.now() - timedelta(hours=1)],
        "The same time is picked twice.": [days_ahead(3), days_ahead(3)],
        "Two of the times overlap": [days_ahead(3, 15), days_ahead(3, 15, 30)],
    }
    for message, times in cases.items():
        with alpha.scope(), pytest.raises(ValidationError) as caught:
            proposals.proposal_create(
                pairing=pair,
                actor=junior_of(pair),
                slots=times,
                duration_minutes=60,
                location="",
                message="",
            )
        assert caught.value.messages[0].startswith(message), caught.value.messages


def test_only_a_partner_of_a_running_pair_proposes(alpha: Tenant, pair: Pairing) -> None:
    with alpha.scope(), pytest.raises(ValidationError, match="Only the two partners"):
        proposals.proposal_create(
            pairing=pair,
            actor=alpha.hr,
            slots=[days_ahead(3)],
            duration_minutes=60,
            location="",
            message="",
        )
    with alpha.scope():
        Pairing.objects.filter(pk=pair.pk).update(status=Pairing.Status.PROPOSED)
        pair.refresh_from_db()
    with pytest.raises(ValidationError, match="confirmed or active"):
        propose(alpha, pair)


def test_a_new_proposal_withdraws_the_proposers_open_one(alpha: Tenant, pair: Pairing) -> None:
    first = propose(alpha, pair)
    second = propose(alpha, pair, times=[days_ahead(6)])
    with alpha.scope():
        first.refresh_from_db()
        second.refresh_from_db()
    assert (first.status, second.status) == (Status.WITHDRAWN, Status.OPEN)
    with alpha.scope(), pytest.raises(ValidationError, match="withdrawn"):
        proposals.proposal_accept(proposal=first, slot_index=0, actor=senior_of(pair))


def test_accepting_creates_the_meeting_and_both_get_the_invitation(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    proposal = propose(alpha, pair, location="Room 9")
    mail.outbox.clear()
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        meeting = proposals.proposal_accept(proposal=proposal, slot_index=1, actor=senior_of(pair))
    assert meeting.starts_at == days_ahead(4)
    assert (meeting.duration_minutes, meeting.location) == (60, "Room 9")
    with alpha.scope():
        proposal.refresh_from_db()
    assert (proposal.status, proposal.accepted_slot, proposal.meeting_id) == (
        Status.ACCEPTED,
        1,
        meeting.pk,
    )
    for user in (junior_of(pair), senior_of(pair)):
        (invitation,) = [m for m in emails_to(user) if m.subject.startswith("Invitation")]
        assert invitation.attachments[0].get_content_type() == "text/calendar"
    # The proposer is told in the app.
    with alpha.scope():
        assert Notification.objects.filter(
            recipient=junior_of(pair), subject__contains="scheduled a meeting"
        ).exists()


def test_only_the_recipient_accepts_and_only_once(alpha: Tenant, pair: Pairing) -> None:
    proposal = propose(alpha, pair)
    with alpha.scope():
        with pytest.raises(ValidationError, match="Only the partner"):
            proposals.proposal_accept(proposal=proposal, slot_index=0, actor=junior_of(pair))
        proposals.proposal_accept(proposal=proposal, slot_index=0, actor=senior_of(pair))
        with pytest.raises(ValidationError, match="already answered: one of them was accepted"):
            proposals.proposal_accept(proposal=proposal, slot_index=2, actor=senior_of(pair))
        stale = MeetingProposal.objects.get(pk=proposal.pk)
        stale.status = Status.OPEN  # a page loaded before the first accept
        with pytest.raises(ValidationError, match="already answered"):
            proposals.proposal_accept(proposal=stale, slot_index=2, actor=senior_of(pair))
        assert Meeting.objects.filter(pairing=pair).count() == 1


def test_a_time_that_became_busy_is_refused(alpha: Tenant, pair: Pairing) -> None:
    proposal = propose(alpha, pair)
    with alpha.scope():
        # The senior's own calendar now has something at the first time.
        BusyCalendar.objects.create(
            organization=alpha.organization,
            membership=pair.mentee.membership,
            url_encrypted="x",
            url_hint="https://…",
            state=BusyCalendar.State.OK,
            fetched_at=timezone.now(),
            busy=[[int(days_ahead(3, 15, 30).timestamp()), int(days_ahead(3, 16).timestamp())]],
        )
        with pytest.raises(ValidationError, match="no longer free: Sam Senior is busy"):
            proposals.proposal_accept(proposal=proposal, slot_index=0, actor=senior_of(pair))
        # A meeting of the pair at the second time.
        MeetingFactory(pairing=pair, starts_at=days_ahead(4, 14, 30), duration_minutes=60)
        with pytest.raises(ValidationError, match="already have a meeting together"):
            proposals.proposal_accept(proposal=proposal, slot_index=1, actor=senior_of(pair))
        # The third is free, and touching a busy time is fine.
        MeetingFactory(pairing=pair, starts_at=days_ahead(5, 14), duration_minutes=60)
        proposals.proposal_accept(proposal=proposal, slot_index=2, actor=senior_of(pair))


def test_declining_tells_the_proposer_with_the_note(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    proposal = propose(alpha, pair)
    mail.outbox.clear()
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        proposals.proposal_decline(proposal=proposal, actor=senior_of(pair), note="Away that week")
    (email,) = emails_to(junior_of(pair))
    assert email.subject == "Sam Senior declined the times you proposed"
    assert "Away that week" in email.body
    assert f"/pairs/{pair.pk}/find-a-time/" in email.body
    with alpha.scope(), pytest.raises(ValidationError, match="declined"):
        proposals.proposal_accept(proposal=proposal, slot_index=0, actor=senior_of(pair))


def at_time(monkeypatch: pytest.MonkeyPatch, moment) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_a_proposal_expires_when_its_last_time_starts(
    alpha: Tenant, pair: Pairing, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal = propose(alpha, pair)
    at_time(monkeypatch, days_ahead(5) + timedelta(minutes=1))
    with alpha.scope():
        assert proposal_get(pairing=pair, proposal_id=proposal.pk).status == Status.EXPIRED
        with pytest.raises(ValidationError, match="all passed"):
            proposals.proposal_accept(proposal=proposal, slot_index=2, actor=senior_of(pair))


def test_a_passed_time_cannot_be_accepted_but_a_later_one_can(
    alpha: Tenant, pair: Pairing, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal = propose(alpha, pair)
    at_time(monkeypatch, days_ahead(3) + timedelta(minutes=1))
    with alpha.scope():
        with pytest.raises(ValidationError, match="This time has already passed"):
            proposals.proposal_accept(proposal=proposal, slot_index=0, actor=senior_of(pair))
        assert proposals.proposal_accept(proposal=proposal, slot_index=1, actor=senior_of(pair))


def test_the_meeting_services_still_refuse_a_non_partner(alpha: Tenant, pair: Pairing) -> None:
    """Accepting goes through meeting_schedule: its rules hold for proposals too."""
    with alpha.scope(), pytest.raises(ValidationError):
        meetings.meeting_schedule(
            pairing=pair, starts_at=days_ahead(3), duration_minutes=60, location="", actor=alpha.hr
        )


def test_the_proposer_withdraws_and_the_times_can_no_longer_be_accepted(
    alpha: Tenant, pair: Pairing
) -> None:
    proposal = propose(alpha, pair)
    with alpha.scope():
        with pytest.raises(ValidationError, match="Only the partner who proposed"):
            proposals.proposal_withdraw(proposal=proposal, actor=senior_of(pair))
        proposals.proposal_withdraw(proposal=proposal, actor=junior_of(pair))
        with pytest.raises(ValidationError, match="withdrawn"):
            proposals.proposal_accept(proposal=proposal, slot_index=0, actor=senior_of(pair))
        assert not Meeting.objects.filter(pairing=pair).exists()
