"""``pairings.busy.busy_for``: what "Find a time" must avoid, per participant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from mentorship.identity.secrets import encrypt
from mentorship.models import Role
from mentorship.tenancy import across_all_organizations
from pairings.busy import busy_for
from pairings.freebusy import to_epoch_pairs
from pairings.models import BusyCalendar
from programs.models import Side
from tests.conftest import Tenant
from tests.factories import (
    MeetingFactory,
    MembershipFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
)

START = datetime(2027, 3, 1, tzinfo=UTC)
END = START + timedelta(weeks=4)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


def connect(
    membership: object, *, busy: list, state: str = "ok", fetched_at: object = START
) -> BusyCalendar:
    with across_all_organizations():
        return BusyCalendar.objects.create(
            organization=membership.organization,  # type: ignore[attr-defined]
            membership=membership,
            url_encrypted=encrypt("https://calendar.example.com/private/basic.ics"),
            url_hint="https://calendar.example.com/…/basic.ics",
            state=state,
            busy=to_epoch_pairs(busy),
            fetched_at=fetched_at,
        )


@pytest.fixture
def pair(alpha: Tenant) -> object:
    """An active pair of two members of alpha."""
    program = ProgramFactory(organization=alpha.organization)
    senior = MembershipFactory(organization=alpha.organization, is_participant=True)
    return PairingFactory(
        program=program,
        mentor=ParticipantFactory(program=program, membership=alpha.members[Role.PARTICIPANT]),
        mentee=ParticipantFactory(program=program, membership=senior, side=Side.SENIOR),
    )


def test_without_calendar_or_meeting_nobody_is_busy(alpha: Tenant, pair: object) -> None:
    with alpha.scope():
        result = busy_for(participants=[pair.mentor, pair.mentee], start=START, end=END)
    assert set(result) == {pair.mentor.pk, pair.mentee.pk}
    for busy in result.values():
        assert busy.intervals == []
        assert busy.unknown is False
        assert busy.calendar_read_at is None


def test_meetings_count_for_both_partners_and_cancelled_ones_do_not(
    alpha: Tenant, pair: object
) -> None:
    MeetingFactory(pairing=pair, starts_at=at(3, 10), duration_minutes=60)
    MeetingFactory(pairing=pair, starts_at=at(4, 10), cancelled_at=START)
    with alpha.scope():
        result = busy_for(participants=[pair.mentor, pair.mentee], start=START, end=END)
    assert result[pair.mentor.pk].intervals == [(at(3, 10), at(3, 11))]
    assert result[pair.mentee.pk].intervals == [(at(3, 10), at(3, 11))]


def test_meetings_of_the_persons_other_pairs_count_too(alpha: Tenant, pair: object) -> None:
    """The senior is also a mentee in another program's pair: that meeting is theirs too."""
    other_program = ProgramFactory(organization=alpha.organization)
    other_pair = PairingFactory(
        program=other_program,
        mentee=ParticipantFactory(
            program=other_program, membership=pair.mentee.membership, side=Side.SENIOR
        ),
    )
    MeetingFactory(pairing=other_pair, starts_at=at(5, 9), duration_minutes=30)
    # A stranger's meeting is not theirs.
    MeetingFactory(starts_at=at(5, 14), pairing=PairingFactory(program=other_program))
    with alpha.scope():
        result = busy_for(participants=[pair.mentor, pair.mentee], start=START, end=END)
    assert result[pair.mentee.pk].intervals == [(at(5, 9), at(5, 9, 30))]
    assert result[pair.mentor.pk].intervals == []


def test_a_participant_without_account_is_busy_with_their_own_meetings(alpha: Tenant) -> None:
    program = ProgramFactory(organization=alpha.organization)
    pairing = PairingFactory(program=program)
    MeetingFactory(pairing=pairing, starts_at=at(2, 8), duration_minutes=45)
    with alpha.scope():
        result = busy_for(participants=[pairing.mentor], start=START, end=END)
    assert result == {
        pairing.mentor.pk: result[pairing.mentor.pk],
    }
    assert result[pairing.mentor.pk].intervals == [(at(2, 8), at(2, 8, 45))]


def test_calendar_and_meetings_merge_and_clip_to_the_window(alpha: Tenant, pair: object) -> None:
    # Started before the window: clipped to its start.
    MeetingFactory(pairing=pair, starts_at=START - timedelta(hours=1), duration_minutes=120)
    MeetingFactory(pairing=pair, starts_at=at(3, 10), duration_minutes=60)
    connect(
        pair.mentor.membership,
        busy=[(at(3, 10, 30), at(3, 12)), (at(9, 8), at(9, 9))],
        fetched_at=START,
    )
    with alpha.scope():
        result = busy_for(participants=[pair.mentor, pair.mentee], start=START, end=END)
    mentor = result[pair.mentor.pk]
    assert mentor.intervals == [
        (START, START + timedelta(hours=1)),
        (at(3, 10), at(3, 12)),
        (at(9, 8), at(9, 9)),
    ]
    assert mentor.unknown is False
    assert mentor.calendar_read_at == START
    # The partner's own calendar is not the mentor's: only the shared meetings.
    assert result[pair.mentee.pk].intervals == [
        (START, START + timedelta(hours=1)),
        (at(3, 10), at(3, 11)),
    ]


@pytest.mark.parametrize(
    ("state", "fetched_at"),
    [("pending", None), ("failing", START), ("ok", END - timedelta(weeks=8, seconds=1))],
    ids=["pending", "failing", "horizon-too-short"],
)
def test_a_calendar_not_read_is_unknown_not_free(
    alpha: Tenant, pair: object, state: str, fetched_at: object
) -> None:
    connect(pair.mentor.membership, busy=[(at(9, 8), at(9, 9))], state=state, fetched_at=fetched_at)
    with alpha.scope():
        result = busy_for(participants=[pair.mentor, pair.mentee], start=START, end=END)
    assert result[pair.mentor.pk].unknown is True
    assert result[pair.mentor.pk].calendar_read_at == fetched_at
    # The last good intervals still count.
    assert result[pair.mentor.pk].intervals == [(at(9, 8), at(9, 9))]
    assert result[pair.mentee.pk].unknown is False


def test_the_horizon_just_covering_the_window_is_known(alpha: Tenant, pair: object) -> None:
    connect(pair.mentor.membership, busy=[], fetched_at=END - timedelta(weeks=8))
    with alpha.scope():
        result = busy_for(participants=[pair.mentor], start=START, end=END)
    assert result[pair.mentor.pk].unknown is False


@pytest.mark.parametrize("meetings", [1, 30])
def test_queries_do_not_grow_with_meetings_or_intervals(
    alpha: Tenant, pair: object, meetings: int, django_assert_num_queries: object
) -> None:
    for i in range(meetings):
        MeetingFactory(pairing=pair, starts_at=START + timedelta(hours=5 * i + 1))
    connect(
        pair.mentor.membership,
        busy=[
            (START + timedelta(hours=3 * i), START + timedelta(hours=3 * i + 1))
            for i in range(meetings * 20)
        ],
    )
    with alpha.scope(), django_assert_num_queries(2):  # the calendars; the meetings
        result = busy_for(participants=[pair.mentor, pair.mentee], start=START, end=END)
    assert len(result[pair.mentee.pk].intervals) == meetings


def test_now_is_a_fine_window_start(alpha: Tenant, pair: object) -> None:
    """Aware datetimes from ``timezone.now()`` work as the window (what the callers pass)."""
    now = timezone.now()
    MeetingFactory(pairing=pair, starts_at=now + timedelta(days=1), duration_minutes=60)
    with alpha.scope():
        result = busy_for(participants=[pair.mentor], start=now, end=now + timedelta(days=28))
    assert len(result[pair.mentor.pk].intervals) == 1
