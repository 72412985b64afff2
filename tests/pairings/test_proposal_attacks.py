"""Hostile inputs and races against "Find a time" and proposed times."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mentorship.models import User
from mentorship.services import membership_remove
from pairings import slots
from pairings.models import Meeting, MeetingProposal, Pairing
from pairings.proposal_selectors import slot_starts
from pairings.services import proposals
from pairings.services.pairs import pairing_dissolve
from tests.conftest import Tenant
from tests.factories import (
    MembershipFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
    UserFactory,
)
from tests.pairings.proposals.support import (
    days_ahead,
    junior_of,
    propose,
    senior_of,
    with_hours,
)
from tests.pairings.test_meetings import make_pair


def new_url(pair: Pairing) -> str:
    return f"/o/{pair.organization.slug}/pairs/{pair.pk}/proposals/new/"


@pytest.fixture
def pair(alpha: Tenant) -> Pairing:
    return with_hours(alpha, make_pair(alpha))


# --- Times at the edge of the calendar: a form error, never a server error -------------------


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:30:00+05:00", "9999-12-31T23:30:00-05:00"],
    ids=["year 1 east of UTC", "year 9999 west of UTC"],
)
def test_a_posted_suggestion_at_the_end_of_the_calendar_is_refused_not_a_crash(
    alpha: Tenant, pair: Pairing, client_for, value: str
) -> None:
    response = client_for(junior_of(pair)).post(new_url(pair), {"suggested": [value]})
    assert response.status_code == 200
    with alpha.scope():
        assert not MeetingProposal.objects.exists()


def test_a_typed_date_in_year_one_east_of_utc_is_refused_not_a_crash(
    alpha: Tenant, client_for
) -> None:
    pair = with_hours(alpha, make_pair(alpha, junior_tz="Asia/Tokyo"))
    response = client_for(junior_of(pair)).post(
        new_url(pair), {"date_1": "0001-01-01", "time_1": "00:30"}
    )
    assert response.status_code == 200
    with alpha.scope():
        assert not MeetingProposal.objects.exists()


# --- Two proposals accepted at once must not double-book anyone ----------------------------


def accept_at_once(
    alpha: Tenant, accepts: list[tuple[MeetingProposal, User]], monkeypatch
) -> list[Exception]:
    """Every accept passes its busy check before any of them writes (as two clicks a few
    milliseconds apart do). On PostgreSQL each runs in its own thread and connection and they
    meet after the check; on SQLite (one writer at a time) they run one after the other, each
    with the row it loaded before any ran and the answer its check gave before any wrote."""
    errors: list[Exception] = []
    checked = proposals._busy_problem
    if connection.vendor != "postgresql":
        with alpha.scope():
            loaded = [(MeetingProposal.objects.get(pk=p.pk), user) for p, user in accepts]
            answers = {
                row.pk: checked(proposal=row, starts_at=slot_starts(row)[0]) for row, _ in loaded
            }
            assert answers == {row.pk: "" for row, _ in loaded}  # every time free before
            monkeypatch.setattr(
                proposals, "_busy_problem", lambda *, proposal, **_: answers[proposal.pk]
            )
            for row, user in loaded:
                try:
                    proposals.proposal_accept(proposal=row, slot_index=0, actor=user)
                except ValidationError as exc:
                    errors.append(exc)
        return errors
    barrier = threading.Barrier(len(accepts), timeout=10)

    def check_then_wait(**kwargs: object) -> str:
        problem = checked(**kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return problem

    monkeypatch.setattr(proposals, "_busy_problem", check_then_wait)

    def run(proposal: MeetingProposal, user: User) -> None:
        try:
            with alpha.scope():
                row = MeetingProposal.objects.get(pk=proposal.pk)
                proposals.proposal_accept(proposal=row, slot_index=0, actor=user)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in accepts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def overlapping(meetings: list[Meeting]) -> bool:
    spans = sorted(
        (m.starts_at, m.starts_at + timedelta(minutes=m.duration_minutes)) for m in meetings
    )
    return any(later[0] < earlier[1] for earlier, later in pairwise(spans))


@pytest.mark.django_db(transaction=True)
def test_each_partners_proposal_accepted_at_once_books_the_pair_once(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The junior proposes a time to the senior and the senior proposes the same time to the
    junior; each accepts the other's at the same moment. One meeting, the other told it is taken
    ("accepting a slot that has become busy or already taken says so")."""
    pair = with_hours(alpha, make_pair(alpha))
    at = days_ahead(3)
    with alpha.scope():
        mine = proposals.proposal_create(
            pairing=pair,
            actor=junior_of(pair),
            slots=[at],
            duration_minutes=60,
            location="",
            message="",
        )
        theirs = proposals.proposal_create(
            pairing=pair,
            actor=senior_of(pair),
            slots=[at + timedelta(minutes=30)],
            duration_minutes=60,
            location="",
            message="",
        )
    errors = accept_at_once(
        alpha, [(mine, senior_of(pair)), (theirs, junior_of(pair))], monkeypatch
    )
    with alpha.scope():
        meetings = list(Meeting.objects.filter(pairing=pair))
    assert len(meetings) == 1, errors
    assert not overlapping(meetings)
    assert [type(e) for e in errors] == [ValidationError], errors


@pytest.mark.django_db(transaction=True)
def test_a_senior_accepting_two_pairs_proposals_at_once_is_not_double_booked(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A senior in two pairs clicks the links of two juniors' proposals for the same hour (two
    tabs): the meetings of one's other pairs count as busy, so the second is refused."""
    first = with_hours(alpha, make_pair(alpha))
    with alpha.scope():
        program = ProgramFactory(organization=alpha.organization, slug="second", name="Second")
        other_user = UserFactory(email="jules@alpha.test", first_name="Jules", last_name="Young")
        other_junior = ParticipantFactory(
            program=program,
            membership=MembershipFactory(
                organization=alpha.organization, user=other_user, is_participant=True
            ),
            email=other_user.email,
            first_name="Jules",
            last_name="Young",
            side="junior",
            level=2,
            timezone="Europe/London",
            weekly_availability=first.mentor.weekly_availability,
        )
        same_senior = ParticipantFactory(
            program=program,
            membership=first.mentee.membership,
            email=first.mentee.email,
            first_name="Sam",
            last_name="Senior",
            side="senior",
            level=9,
            timezone="America/New_York",
            weekly_availability=first.mentee.weekly_availability,
        )
        second = PairingFactory(
            program=program, mentor=other_junior, mentee=same_senior, status=first.status
        )
        at = days_ahead(3)
        one = proposals.proposal_create(
            pairing=first,
            actor=junior_of(first),
            slots=[at],
            duration_minutes=60,
            location="",
            message="",
        )
        two = proposals.proposal_create(
            pairing=second,
            actor=other_user,
            slots=[at],
            duration_minutes=60,
            location="",
            message="",
        )
    senior = senior_of(first)
    errors = accept_at_once(alpha, [(one, senior), (two, senior)], monkeypatch)
    with alpha.scope():
        meetings = list(Meeting.objects.filter(pairing__in=[first, second]))
    assert len(meetings) == 1, errors
    assert not overlapping(meetings)
    assert [type(e) for e in errors] == [ValidationError], errors


# --- The slot finder on a spring-forward day -------------------------------------------------


def test_a_range_ending_in_the_spring_forward_gap_does_not_stretch_an_hour_past_it() -> None:
    """New York, Sunday 14 March 2027: the clocks go from 02:00 EST to 03:00 EDT. Someone free
    "00:00-02:30" that Sunday (busy until 01:30) must not be offered 01:30-03:30 EDT: the
    meeting would end an hour after the latest wall-clock time they gave (the module promises
    a gap time maps to the instant just after the gap, 03:00 EDT)."""
    new_york = ZoneInfo("America/New_York")
    busy = [(datetime(2027, 3, 14, 5, 0, tzinfo=UTC), datetime(2027, 3, 14, 6, 30, tzinfo=UTC))]
    found = slots.suggest(
        first=slots.Person([[6, "00:00", "02:30"]], "America/New_York", busy),
        second=slots.Person([[d, "00:00", "24:00"] for d in range(7)], "UTC"),
        minutes=60,
        now=datetime(2027, 3, 13, 12, tzinfo=UTC),
        days=2,
    )
    gap_ends = datetime(2027, 3, 14, 7, 0, tzinfo=UTC)  # 03:00 EDT
    for at in found:
        ends = at + timedelta(minutes=60)
        assert ends <= gap_ends, (at.astimezone(new_york), ends.astimezone(new_york))


# --- A proposer who has left ---------------------------------------------------------------


def test_times_proposed_by_a_member_who_has_since_left_cannot_be_accepted(
    alpha: Tenant, pair: Pairing
) -> None:
    """A member who leaves "will not come to their meetings": removal cancels their meetings
    ahead (pairings.receivers). Their open proposal must not let the partner book a new one
    with them afterwards."""
    proposal = propose(alpha, pair)
    with alpha.scope():
        membership_remove(membership=pair.mentor.membership, actor=alpha.hr)
        row = MeetingProposal.objects.get(pk=proposal.pk)
        with pytest.raises(ValidationError):
            proposals.proposal_accept(proposal=row, slot_index=0, actor=senior_of(pair))
        assert not Meeting.objects.filter(pairing=pair, cancelled_at__isnull=True).exists()


def test_a_pair_dissolved_while_a_time_is_being_accepted_gets_no_meeting(
    alpha: Tenant, pair: Pairing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HR dissolves the pair (its meetings ahead are cancelled) just after the accept's checks
    and before its write, as a concurrent request does. The accept works on the pair it loaded
    before and books a live meeting of a dissolved pair that nothing will ever cancel."""
    proposal = propose(alpha, pair)
    checked = proposals._busy_problem

    def dissolved_meanwhile(**kwargs: object) -> str:
        problem = checked(**kwargs)
        pairing_dissolve(pairing=Pairing.objects.get(pk=pair.pk), actor=alpha.hr)
        return problem

    monkeypatch.setattr(proposals, "_busy_problem", dissolved_meanwhile)
    with alpha.scope():
        row = MeetingProposal.objects.get(pk=proposal.pk)
        with contextlib.suppress(ValidationError):
            proposals.proposal_accept(proposal=row, slot_index=0, actor=senior_of(pair))
        assert Pairing.objects.get(pk=pair.pk).status == Pairing.Status.DISSOLVED
        assert not Meeting.objects.filter(pairing=pair, cancelled_at__isnull=True).exists()
