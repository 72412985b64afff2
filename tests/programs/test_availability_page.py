"""The weekly availability page: a participant ticks half hours (or adds a range, or copies
Monday) in their own zone; bad input comes back with its message and nothing lost; nobody else
reaches it; every box has its label."""

from __future__ import annotations

import re

import pytest

from mentorship.events.models import EventType
from mentorship.models import Role
from programs.models import Participant, Program
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory
from tests.programs.conftest import url

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(alpha: Tenant) -> Participant:
    program = ProgramFactory(organization=alpha.organization, status=Program.Status.ENROLLING)
    return ParticipantFactory(
        program=program,
        membership=alpha.members[Role.PARTICIPANT],
        status=Participant.Status.APPROVED,
        timezone="Europe/Paris",
        availability="not in August",
    )


def page(p: Participant) -> str:
    return url(p.program, "me/availability/")


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "slots": [],
        "timezone": "Europe/Paris",
        "availability": "not in August",
        "add_day": "weekdays",
        "add_start": "09:00",
        "add_end": "12:00",
        "action": "save",
    }
    data.update(changes)
    return data


def test_ticked_half_hours_are_saved_as_merged_ranges(alpha: Tenant, me, client_for) -> None:
    client = client_for(alpha.participant)
    response = client.post(
        page(me),
        form(slots=["0-09:00", "0-09:30", "2-14:00"], timezone="Asia/Tokyo", availability=""),
    )
    assert response.status_code == 302
    with alpha.scope():
        me.refresh_from_db()
    assert me.weekly_availability == [[0, "09:00", "10:00"], [2, "14:00", "14:30"]]
    assert (me.timezone, me.availability) == ("Asia/Tokyo", "")
    shown = client.get(page(me)).content.decode()
    assert "Mon 09:00–10:00 · Wed 14:00–14:30" in shown
    assert 'value="0-09:00" id="slot-0-540" checked' in shown


def test_every_checkbox_has_a_label_naming_its_day_and_time(alpha: Tenant, me, client_for) -> None:
    html = client_for(alpha.participant).get(page(me)).content.decode()
    boxes = re.findall(r'<input type="checkbox" name="slots" value="[^"]+" id="([^"]+)"', html)
    assert len(boxes) == 7 * 32
    for box in boxes:
        label = re.search(rf'<label for="{box}">(.*?)</label>', html)
        assert label is not None, box
    assert re.search(r'<span class="visually-hidden">Monday </span>09:00–09:30</label>', html), (
        "a screen reader hears the day with the time"
    )
    assert html.count("<legend>") >= 8  # a fieldset per day, and the quick actions'


def test_copy_monday_fills_the_weekdays_without_saving(alpha: Tenant, me, client_for) -> None:
    client = client_for(alpha.participant)
    response = client.post(
        page(me), form(slots=["0-10:00", "0-10:30"], action="copy-monday", availability="typed")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mon–Fri 10:00–11:00" in html
    assert 'value="typed"' in html  # the note typed is still there
    with alpha.scope():
        me.refresh_from_db()
    assert me.weekly_availability == []  # only "Save" keeps it


def test_adding_a_range_and_a_backwards_one(alpha: Tenant, me, client_for) -> None:
    client = client_for(alpha.participant)
    added = client.post(
        page(me), form(action="add", add_day="3", add_start="13:00", add_end="15:00")
    )
    assert "Thu 13:00–15:00" in added.content.decode()
    wrong = client.post(
        page(me),
        form(slots=["1-08:00"], action="add", add_start="15:00", add_end="13:00"),
    )
    html = wrong.content.decode()
    assert "The end must be after the start." in html
    assert 'value="1-08:00" id="slot-1-480" checked' in html  # nothing lost


def test_a_bad_time_zone_or_slot_re_renders_with_the_input_kept(
    alpha: Tenant, me, client_for
) -> None:
    client = client_for(alpha.participant)
    response = client.post(
        page(me), form(slots=["4-11:00", "9-99:00"], timezone="Mars/Olympus", availability="hi")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in html
    assert 'value="hi"' in html and 'value="4-11:00" id="slot-4-660" checked' in html
    with alpha.scope():
        me.refresh_from_db()
    assert me.weekly_availability == [] and me.timezone == "Europe/Paris"


def test_apply_to_all_copies_to_the_members_other_live_programs(
    alpha: Tenant, me, client_for
) -> None:
    other_program = ProgramFactory(organization=alpha.organization, name="Second")
    closed_program = ProgramFactory(
        organization=alpha.organization, name="Old", status=Program.Status.CLOSED
    )
    membership = alpha.members[Role.PARTICIPANT]
    other = ParticipantFactory(
        program=other_program, membership=membership, status=Participant.Status.APPLIED
    )
    closed = ParticipantFactory(
        program=closed_program, membership=membership, status=Participant.Status.APPROVED
    )
    client = client_for(alpha.participant)
    assert "Use these hours in my other programs too" in client.get(page(me)).content.decode()
    client.post(page(me), form(slots=["1-09:00"], apply_to_all="on"))
    with alpha.scope():
        other.refresh_from_db()
        closed.refresh_from_db()
    assert other.weekly_availability == [[1, "09:00", "09:30"]]
    assert other.timezone == "Europe/Paris"
    assert closed.weekly_availability == []


def test_saving_bumps_updated_at_and_emits_the_webhook(
    alpha: Tenant, me, client_for, monkeypatch
) -> None:
    sent: list[tuple[str, list[int]]] = []
    monkeypatch.setattr(
        "programs.services.availability.participants_emit",
        lambda *, organization, event_type, participant_ids: sent.append(
            (event_type, list(participant_ids))
        ),
    )
    before = me.updated_at
    client_for(alpha.participant).post(page(me), form(slots=["5-10:00"]))
    with alpha.scope():
        me.refresh_from_db()
    assert me.updated_at > before
    assert sent == [(EventType.PARTICIPANT_UPDATED, [me.pk])]


def test_ranges_outside_the_grid_are_kept_by_a_save(alpha: Tenant, me, client_for) -> None:
    with alpha.scope():
        Participant.objects.filter(pk=me.pk).update(
            weekly_availability=[[0, "05:00", "07:00"], [6, "21:00", "23:00"]]
        )
    client = client_for(alpha.participant)
    html = client.get(page(me)).content.decode()
    assert "Also kept, outside the hours shown" in html
    client.post(page(me), form(slots=["0-06:00", "0-06:30", "0-08:00"]))
    with alpha.scope():
        me.refresh_from_db()
    assert me.weekly_availability == [
        [0, "05:00", "07:00"],
        [0, "08:00", "08:30"],
        [6, "22:00", "23:00"],
    ]


@pytest.mark.parametrize("role", [Role.HR_ADMIN, Role.SPONSOR])
def test_only_the_participant_themself_reaches_it(alpha: Tenant, me, client_for, role) -> None:
    assert client_for(alpha.user(role)).get(page(me)).status_code == 404


def test_another_organisation_gets_a_404(alpha: Tenant, beta: Tenant, me, client_for) -> None:
    foreign = f"/o/{alpha.organization.slug}/programs/{me.program.slug}/me/availability/"
    assert client_for(beta.participant).get(foreign).status_code == 404
    assert client_for(beta.participant).post(foreign, form()).status_code == 404


def test_someone_who_left_cannot_edit(alpha: Tenant, me, client_for) -> None:
    with alpha.scope():
        Participant.objects.filter(pk=me.pk).update(status=Participant.Status.WITHDRAWN)
    assert client_for(alpha.participant).get(page(me)).status_code == 404


def test_own_page_links_to_it_and_hr_sees_the_summary(alpha: Tenant, me, client_for) -> None:
    with alpha.scope():
        Participant.objects.filter(pk=me.pk).update(
            weekly_availability=[[0, "09:00", "12:00"], [2, "09:00", "12:00"]]
        )
    own = client_for(alpha.participant).get(url(me.program, "me/")).content.decode()
    assert page(me) in own and "Mon, Wed 09:00–12:00" in own
    detail = client_for(alpha.hr).get(url(me.program, f"participants/{me.pk}/")).content.decode()
    assert "Mon, Wed 09:00–12:00" in detail and "not in August" in detail
    assert page(me) not in detail  # HR reads it, never edits it


def test_hours_outside_the_grid_are_listed_as_boxes_and_can_be_dropped(
    alpha: Tenant, me, client_for
) -> None:
    with alpha.scope():
        Participant.objects.filter(pk=me.pk).update(
            weekly_availability=[[0, "05:00", "07:00"], [6, "21:00", "23:00"]]
        )
    client = client_for(alpha.participant)
    html = client.get(page(me)).content.decode()
    assert 'value="0-05:00-06:00" id="kept-0-300-360" checked' in html
    assert '<label for="kept-6-1320-1380">' in html and "Sunday 22:00–23:00" in html
    # The page lists them (the hidden marker), and Monday's early hour is unticked: dropped.
    client.post(
        page(me), form(slots=["0-06:00", "0-06:30", "6-22:00-23:00"], outside_listed="True")
    )
    with alpha.scope():
        me.refresh_from_db()
    assert me.weekly_availability == [[0, "06:00", "07:00"], [6, "22:00", "23:00"]]
    # Unticking every one of them drops them all.
    client.post(page(me), form(slots=["0-06:00"], outside_listed="True"))
    with alpha.scope():
        me.refresh_from_db()
    assert me.weekly_availability == [[0, "06:00", "06:30"]]


def test_a_range_box_inside_the_grid_is_refused(alpha: Tenant, me, client_for) -> None:
    response = client_for(alpha.participant).post(page(me), form(slots=["0-09:00-10:00"]))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_clear_empties_the_grid_and_keeps_listing_the_hours_outside_it(
    alpha: Tenant, me, client_for
) -> None:
    with alpha.scope():
        Participant.objects.filter(pk=me.pk).update(weekly_availability=[[0, "05:00", "07:00"]])
    html = (
        client_for(alpha.participant)
        .post(page(me), form(slots=["0-06:00", "0-06:30"], action="clear"))
        .content.decode()
    )
    assert 'id="slot-0-360" checked' not in html
    assert "<strong>Ticked now:</strong> Mon 05:00–06:00" in html
    assert 'value="0-05:00-06:00" id="kept-0-300-360" checked' in html


def test_adding_without_a_start_says_so(alpha: Tenant, me, client_for) -> None:
    html = (
        client_for(alpha.participant)
        .post(page(me), form(action="add", add_start="", add_end="12:00"))
        .content.decode()
    )
    assert "Choose when the hours to add start." in html


def test_the_list_of_time_zones_is_read_once(monkeypatch) -> None:
    from programs.services import availability as service

    calls: list[int] = []
    monkeypatch.setattr(service, "available_timezones", lambda: calls.append(1) or {"Europe/Paris"})
    service._known_zones.cache_clear()
    try:
        for _ in range(3):
            assert service.timezone_clean("Europe/Paris") == "Europe/Paris"
        assert calls == [1]
    finally:
        service._known_zones.cache_clear()
