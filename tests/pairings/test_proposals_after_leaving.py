"""Proposed times meet the rest of a person's life in the program: leaving the program, and the
erasure of their personal data."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pairings import proposal_selectors
from pairings.models import Meeting, MeetingProposal, Pairing
from pairings.services import proposals
from pairings.services.meetings import meeting_schedule
from pairings.services.pairs import pairing_dissolve
from programs import privacy
from programs.services.participants import participant_withdraw
from tests.conftest import Tenant
from tests.pairings.proposals.support import days_ahead, junior_of, propose, senior_of, with_hours
from tests.pairings.test_meetings import make_pair


@pytest.fixture
def pair(alpha: Tenant) -> Pairing:
    return with_hours(alpha, make_pair(alpha))


SECRET = "call me on 07700 900123, my wife's clinic is Tuesdays"


def test_times_proposed_by_someone_who_left_the_program_cannot_be_accepted(
    alpha: Tenant, pair: Pairing
) -> None:
    # The junior proposes, then leaves the program ("You leave the program and its matching").
    proposal = propose(alpha, pair)
    with alpha.scope():
        participant_withdraw(participant=pair.mentor)
        with pytest.raises(ValidationError):
            proposals.proposal_accept(proposal=proposal, slot_index=0, actor=senior_of(pair))
        assert not Meeting.objects.filter(pairing=pair).exists()


def test_erasure_blanks_the_messages_the_person_wrote_with_their_proposed_times(
    alpha: Tenant, pair: Pairing
) -> None:
    propose(alpha, pair, message=SECRET, location="My flat, 12 Acacia Avenue")
    with alpha.scope():
        pairing_dissolve(pairing=pair, actor=alpha.hr)
        privacy.participant_erase(participant=pair.mentor, actor=alpha.hr)
        row = MeetingProposal.objects.get()
        assert SECRET not in row.message
        assert "Acacia" not in row.location


def test_erasure_rewrites_the_partners_proposals_that_name_the_person(
    alpha: Tenant, pair: Pairing
) -> None:
    with alpha.scope():
        email = junior_of(pair).email
    propose(alpha, pair, message="hi")  # keeps the junior's own proposal out of the way
    with alpha.scope():
        # The senior writes the junior's address into the proposal to them.
        proposal = proposals.proposal_create(
            pairing=pair,
            actor=senior_of(pair),
            slots=[days_ahead(6, hour=14)],
            duration_minutes=60,
            location="",
            message=f"Jo Junior ({email}) suggested the canteen",
        )
        pairing_dissolve(pairing=pair, actor=alpha.hr)
        privacy.participant_erase(participant=pair.mentor, actor=alpha.hr)
        proposal.refresh_from_db()
        assert email not in proposal.message
        assert "Jo Junior" not in proposal.message


def test_the_times_of_someone_who_left_read_as_withdrawn(alpha: Tenant, pair: Pairing) -> None:
    proposal = propose(alpha, pair)
    with alpha.scope():
        participant_withdraw(participant=pair.mentor)
        pair = Pairing.objects.select_related("mentor", "mentee").get(pk=pair.pk)
        assert (
            proposal_selectors.open_proposals_to(pairing=pair, membership=pair.mentee.membership)
            == []
        )
        shown = proposal_selectors.proposal_get(pairing=pair, proposal_id=proposal.pk)
        assert shown.status == MeetingProposal.Status.WITHDRAWN


def test_no_meeting_is_scheduled_with_someone_who_left(alpha: Tenant, pair: Pairing) -> None:
    with alpha.scope():
        participant_withdraw(participant=pair.mentee)
        with pytest.raises(ValidationError, match="has left the program"):
            meeting_schedule(
                pairing=Pairing.objects.get(pk=pair.pk),
                starts_at=days_ahead(3),
                duration_minutes=60,
                location="",
                actor=junior_of(pair),
            )
        assert not Meeting.objects.filter(pairing=pair).exists()
