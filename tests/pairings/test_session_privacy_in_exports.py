"""What the personal-data exports say of a pair's sessions and proposed times: how a session
went (the answer about the session plan) and what the partners wrote to each other when
proposing times stay with the pair; the person's own export holds them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from pairings.models import Pairing
from pairings.services.session_logs import session_log_create
from programs.privacy import member_data, participant_data
from programs.services import guides as guide_services
from tests.conftest import Tenant
from tests.pairings.proposals.support import propose, with_hours
from tests.pairings.test_meeting_page import PLAN, meeting
from tests.pairings.test_meetings import make_pair

NOTE = "Tuesdays are my wife's clinic day"


@pytest.fixture
def pair(alpha: Tenant) -> Pairing:
    pairing = with_hours(alpha, make_pair(alpha))
    with alpha.scope():
        guide_services.session_plan_replace(program=pairing.program, guides=PLAN)
    return pairing


def logged_with_the_plan(alpha: Tenant, pair: Pairing) -> None:
    held = meeting(alpha, pair, -1)
    with alpha.scope():
        session_log_create(
            pairing=pair,
            author=pair.mentor,
            date=timezone.localdate() - timedelta(days=1),
            minutes=60,
            meeting=held,
            guide_position=1,
            guide_followed="partly",
        )


def test_hrs_export_leaves_out_how_the_session_followed_the_plan(alpha: Tenant, pair) -> None:
    logged_with_the_plan(alpha, pair)
    with alpha.scope():
        data = participant_data(participant=pair.mentor)
    (row,) = data["pairings"][0]["session_logs"]
    assert row["by_this_person"] and row["minutes"] == 60  # the log is listed, as before
    text = json.dumps(data, default=str)
    assert "guide_followed" not in text and "guide_position" not in text
    assert "partly" not in text


def test_the_authors_own_export_keeps_their_answer_about_the_plan(alpha: Tenant, pair) -> None:
    logged_with_the_plan(alpha, pair)
    with alpha.scope():
        data = member_data(membership=pair.mentor.membership)
    (row,) = data["participations"][0]["pairings"][0]["session_logs"]
    assert (row["guide_position"], row["guide_followed"]) == (1, "partly")


def test_proposed_times_are_in_the_own_export_and_without_their_words_in_hrs(
    alpha: Tenant, pair
) -> None:
    propose(alpha, pair, message=NOTE, location="Room 4")
    with alpha.scope():
        own = member_data(membership=pair.mentor.membership)
        partners = member_data(membership=pair.mentee.membership)
        hr = participant_data(participant=pair.mentor)
    (mine,) = own["participations"][0]["pairings"][0]["proposed_times"]
    assert mine["by_this_person"] and mine["message"] == NOTE and mine["location"] == "Room 4"
    assert len(mine["times"]) == 3 and mine["status"] == "open"
    # The partner they were sent to finds them in their own export too.
    (theirs,) = partners["participations"][0]["pairings"][0]["proposed_times"]
    assert not theirs["by_this_person"] and theirs["message"] == NOTE
    (listed,) = hr["pairings"][0]["proposed_times"]
    assert listed["message_held"] and len(listed["times"]) == 3
    assert NOTE not in json.dumps(hr, default=str)
