"""A person's own calendar belongs to their membership (one per organisation), while personal
data is exported and erased per participation: the two must meet correctly."""

from __future__ import annotations

import json

import pytest

from mentorship.identity.secrets import encrypt
from mentorship.models import Membership, Role
from mentorship.tenancy import across_all_organizations
from pairings.models import BusyCalendar
from programs.models import Participant
from programs.privacy import participant_erase
from tests.conftest import Tenant
from tests.factories import MembershipFactory, ParticipantFactory, ProgramFactory, UserFactory

URL = "https://calendar.example.com/ical/pat/private-feedfacefeedface/basic.ics"
HINT = "https://calendar.example.com/…/basic.ics"


def connect(membership: Membership) -> BusyCalendar:
    with across_all_organizations():
        return BusyCalendar.objects.create(
            organization=membership.organization,
            membership=membership,
            url_encrypted=encrypt(URL),
            url_hint=HINT,
            state=BusyCalendar.State.OK,
            busy=[[1804000000, 1804003600]],
        )


@pytest.mark.parametrize("role", [Role.HR_ADMIN, Role.SPONSOR])
def test_a_member_in_no_program_finds_their_connected_calendar_in_their_own_export(
    alpha: Tenant, client_for, role: Role
) -> None:
    # Every member may connect their calendar ("Your busy times" is in everyone's account menu).
    membership = alpha.members[role]
    connect(membership)
    response = client_for(membership.user).get(
        f"/o/{alpha.organization.slug}/me/personal-data.json"
    )
    assert response.status_code == 200
    body = json.dumps(
        json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    assert "calendar.example.com" in body


def test_erasing_an_ended_participation_keeps_the_calendar_of_a_program_still_running(
    alpha: Tenant,
) -> None:
    user = UserFactory(email="pat@example.com", first_name="Pat")
    member = MembershipFactory(organization=alpha.organization, user=user, is_participant=True)
    with alpha.scope():
        old = ParticipantFactory(
            program=ProgramFactory(organization=alpha.organization, slug="old"), membership=member
        )
        ParticipantFactory(
            program=ProgramFactory(organization=alpha.organization, slug="now"), membership=member
        )
    calendar = connect(member)
    with alpha.scope():
        participant_erase(participant=Participant.objects.get(pk=old.pk), actor=alpha.hr)
    # Their calendar still tells "Find a time" in the running program when they are busy:
    # deleting it silently makes every busy hour of theirs look free there.
    with across_all_organizations():
        assert BusyCalendar.objects.filter(pk=calendar.pk).exists()
