"""Hostile cases for the weekly availability (commit 534f1bb): each test below fails on that
commit and states what a correct implementation does."""

from __future__ import annotations

import re
from datetime import date

import pytest

from mentorship.models import Role
from pairings.matching import Candidate, Rules, match
from programs.availability import parse_legacy
from programs.models import Participant, Program
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory
from tests.programs.conftest import url


@pytest.fixture
def me(alpha: Tenant) -> Participant:
    program = ProgramFactory(organization=alpha.organization, status=Program.Status.ENROLLING)
    return ParticipantFactory(
        program=program,
        membership=alpha.members[Role.PARTICIPANT],
        status=Participant.Status.APPROVED,
        timezone="Europe/Paris",
        availability="",
    )


def page(p: Participant) -> str:
    return url(p.program, "me/availability/")


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "slots": [],
        "timezone": "Europe/Paris",
        "availability": "",
        "add_day": "weekdays",
        "add_start": "09:00",
        "add_end": "12:00",
        "action": "save",
    }
    data.update(changes)
    return data


def ticked(html: str) -> list[str]:
    return re.findall(
        r'<input type="checkbox" name="slots" value="([^"]+)" id="[^"]+" checked', html
    )


# --- The page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_copy_monday_then_save_stores_what_the_page_showed(alpha: Tenant, me, client_for) -> None:
    """Monday 05:00–07:00 (05:00–06:00 outside the grid). "Copy Monday" shows "Also kept:
    Mon–Fri 05:00–06:00"; pressing Save with the boxes shown must store Mon–Fri 05:00–07:00.
    The kept ranges are recomputed from the database on Save, so Tue–Fri 05:00–06:00 is lost."""
    with alpha.scope():
        Participant.objects.filter(pk=me.pk).update(weekly_availability=[[0, "05:00", "07:00"]])
    client = client_for(alpha.participant)
    copied = client.post(page(me), form(slots=["0-06:00", "0-06:30"], action="copy-monday"))
    html = copied.content.decode()
    assert "Also kept, outside the hours shown: Mon–Fri 05:00–06:00" in html
    client.post(page(me), form(slots=ticked(html)))
    with alpha.scope():
        me.refresh_from_db()
    assert me.weekly_availability == [[day, "05:00", "07:00"] for day in range(5)]


@pytest.mark.django_db
def test_after_clear_the_page_and_the_save_agree_on_hours_outside_the_grid(
    alpha: Tenant, me, client_for
) -> None:
    """After "Clear every box" the page no longer mentions the hours outside the grid and says
    "Ticked now: nothing"; Save then silently keeps Mon 05:00–06:00, which matching uses."""
    with alpha.scope():
        Participant.objects.filter(pk=me.pk).update(weekly_availability=[[0, "05:00", "07:00"]])
    client = client_for(alpha.participant)
    cleared = client.post(page(me), form(slots=["0-06:00", "0-06:30"], action="clear"))
    html = cleared.content.decode()
    still_mentioned = "05:00–06:00" in html
    client.post(page(me), form(slots=ticked(html)))
    with alpha.scope():
        me.refresh_from_db()
    assert bool(me.weekly_availability) == still_mentioned, (
        "the page said one thing and Save stored another"
    )


@pytest.mark.django_db
def test_add_with_an_empty_start_is_an_error_not_a_crash(alpha: Tenant, me, client_for) -> None:
    """add_start/add_end are optional ChoiceFields: "" passes the form, then
    parse_clock("") raises ValueError in ranges_after_action (a 500)."""
    response = client_for(alpha.participant).post(
        page(me), form(action="add", add_start="", add_end="12:00")
    )
    assert response.status_code == 200
    with alpha.scope():
        me.refresh_from_db()
    assert me.weekly_availability == []


@pytest.mark.django_db
def test_ticked_now_after_an_error_describes_the_posted_boxes(
    alpha: Tenant, me, client_for
) -> None:
    """A bad time zone re-renders the posted boxes ticked, but "Ticked now" falls back to the
    saved hours (nothing), so a screen-reader user hears something other than the grid."""
    response = client_for(alpha.participant).post(
        page(me), form(slots=["0-10:00"], timezone="Mars/Olympus")
    )
    html = response.content.decode()
    assert 'value="0-10:00" id="slot-0-600" checked' in html
    assert "<strong>Ticked now:</strong> Mon 10:00–10:30" in html


# --- The old free text --------------------------------------------------------------------------


def test_evenings_and_weekends_is_not_read_as_weekend_evenings_only() -> None:
    """The migration empties the note when the text parses. "evenings and weekends" means
    weekday evenings plus the weekend; it is read as Sat/Sun 17:00–20:00 only and the original
    text is lost. It must either be read fully or left as the note (None)."""
    ranges = parse_legacy("evenings and weekends")
    assert ranges is None or [0, "17:00", "20:00"] in ranges


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("Tue 2-5", [[1, "14:00", "17:00"]]),
        ("Thursdays 2-4", [[3, "14:00", "16:00"]]),
        # 18:00–20:00, not the whole 17:00–20:00 evening: the hours say which part of it.
        ("evenings 6-8", [[d, "18:00", "20:00"] for d in range(5)]),
    ],
)
def test_bare_small_hours_are_not_read_as_the_middle_of_the_night(text: str, meant) -> None:
    """ "Tue 2-5" is read as Tue 02:00–05:00 and "evenings 6-8" adds 06:00–08:00 every morning;
    the migration then empties the note, and the CSV import does the same. An ambiguous bare
    hour must be read as the afternoon/evening or leave the text as the note (None)."""
    ranges = parse_legacy(text)
    assert ranges is None or ranges == meant, ranges


# --- Matching -----------------------------------------------------------------------------------


def _overlap(j_hours: tuple, s_hours: tuple, j_zone: str = "UTC", s_zone: str = "UTC") -> float:
    junior = Candidate(id=1, email="j@x", level=1, timezone=j_zone, weekly_availability=j_hours)
    senior = Candidate(id=2, email="s@x", level=5, timezone=s_zone, weekly_availability=s_hours)
    rules = Rules(reference_day=date(2027, 1, 11))
    [pair] = match(juniors=[junior], seniors=[senior], rules=rules).pairs
    return pair.reasons["availability_overlap"]


def test_adjacent_half_hours_do_not_overlap() -> None:
    """Mon 09:00–09:30 and Mon 09:30–10:00 in the same zone share no minute, yet both "touch"
    UTC hour 9, so matching scores them as a perfect overlap (1.0)."""
    assert _overlap(((0, "09:00", "09:30"),), ((0, "09:30", "10:00"),)) == 0.0


def test_half_hour_zone_without_common_time_does_not_overlap() -> None:
    """Kolkata 09:00–10:00 is 03:30–04:30 UTC; UTC 04:30–05:00 shares none of it, yet the
    score is 0.5."""
    assert (
        _overlap(((0, "09:00", "10:00"),), ((0, "04:30", "05:00"),), j_zone="Asia/Kolkata") == 0.0
    )


def test_giving_generous_hours_never_scores_below_giving_none() -> None:
    """Junior free Mon–Fri 09:00–17:00, senior free Tue 10:00–11:00 (entirely inside the
    junior's hours): every hour the senior gives is shared, yet Jaccard scores 1/40 = 0.025,
    far below the ½ a pair gets when either leaves the grid empty. Filling in the grid
    generously is punished, so people are better off not filling it in."""
    week = tuple((day, "09:00", "17:00") for day in range(5))
    inside = _overlap(week, ((1, "10:00", "11:00"),))
    unknown = _overlap(week, ())
    assert inside >= unknown
