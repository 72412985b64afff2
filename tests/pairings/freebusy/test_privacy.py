"""A person's own calendar in their personal data: shown masked in their export, never its busy
times nor to HR; deleted by erasure, by leaving the organisation, and with the account."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from mentorship.identity.secrets import encrypt
from mentorship.models import Membership, Role, User
from mentorship.services import membership_remove
from mentorship.tenancy import across_all_organizations
from pairings.models import BusyCalendar
from programs.models import Participant
from programs.privacy import member_data, participant_data, participant_erase
from tests.conftest import Tenant
from tests.factories import MembershipFactory, ParticipantFactory, ProgramFactory, UserFactory

URL = "https://calendar.google.com/calendar/ical/pat/private-feedfacefeedface/basic.ics"


@pytest.fixture
def member(alpha: Tenant) -> Membership:
    user = UserFactory(email="pat@example.com", first_name="Pat")
    return MembershipFactory(organization=alpha.organization, user=user, is_participant=True)


@pytest.fixture
def participant(alpha: Tenant, member: Membership) -> Participant:
    return ParticipantFactory(
        program=ProgramFactory(organization=alpha.organization), membership=member
    )


@pytest.fixture
def calendar(member: Membership) -> BusyCalendar:
    with across_all_organizations():
        return BusyCalendar.objects.create(
            organization=member.organization,
            membership=member,
            url_encrypted=encrypt(URL),
            url_hint="https://calendar.google.com/…/basic.ics",
            state=BusyCalendar.State.OK,
            busy=[[1804000000, 1804003600]],
        )


def exists(calendar: BusyCalendar) -> bool:
    with across_all_organizations():
        return BusyCalendar.objects.filter(pk=calendar.pk).exists()


def test_the_persons_export_says_a_calendar_is_connected_masked_without_busy_times(
    alpha: Tenant, member: Membership, participant: Participant, calendar: BusyCalendar
) -> None:
    with alpha.scope():
        data = member_data(membership=member)
    exported = data["participations"][0]["busy_calendar"]
    assert exported["address"] == "https://calendar.google.com/…/basic.ics"
    assert exported["state"] == "ok"
    text = json.dumps(data, default=str)
    assert "private-feedfacefeedface" not in text
    assert "1804000000" not in text


def test_hrs_export_leaves_the_calendar_out(
    alpha: Tenant, participant: Participant, calendar: BusyCalendar
) -> None:
    with alpha.scope():
        data = participant_data(participant=participant)
    assert "busy_calendar" not in json.dumps(data, default=str)


def test_erasure_deletes_the_calendar(
    alpha: Tenant, participant: Participant, calendar: BusyCalendar
) -> None:
    with alpha.scope():
        participant_erase(participant=participant, actor=alpha.hr)
    assert not exists(calendar)


def test_leaving_the_organisation_deletes_the_calendar(
    alpha: Tenant, member: Membership, calendar: BusyCalendar
) -> None:
    with alpha.scope():
        membership_remove(membership=member, actor=alpha.hr)
    assert not exists(calendar)


def test_a_membership_saved_as_removed_deletes_the_calendar(
    member: Membership, calendar: BusyCalendar
) -> None:
    with across_all_organizations():
        member.removed_at = timezone.now()
        member.save()
    assert not exists(calendar)


def test_a_deactivated_account_loses_its_calendars(
    member: Membership, calendar: BusyCalendar
) -> None:
    user = User.objects.get(pk=member.user_id)
    user.is_active = False
    user.save()
    assert not exists(calendar)


def test_others_calendars_stay(alpha: Tenant, member: Membership, calendar: BusyCalendar) -> None:
    other = alpha.members[Role.PARTICIPANT]
    with across_all_organizations():
        kept = BusyCalendar.objects.create(
            organization=other.organization,
            membership=other,
            url_encrypted=encrypt(URL),
            url_hint="https://calendar.google.com/…/basic.ics",
        )
    with alpha.scope():
        membership_remove(membership=member, actor=alpha.hr)
    assert exists(kept)
