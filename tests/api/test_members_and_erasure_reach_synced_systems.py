"""What a synced system must learn: a member whose roles change or who is removed shows up in
``/members/?updated_since=``; a participant whose personal data is erased is reported as
removed by webhook, with the erased row (no name, no address) as its data."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from mentorship.events.models import EventType, WebhookEndpoint, WebhookEvent
from mentorship.models import Role
from mentorship.services import membership_remove, membership_set_roles
from programs.privacy import participant_erase
from tests.api.support import api_client, results
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory


def _changed_since(tenant: Tenant, since: datetime) -> set[int]:
    client = api_client(tenant.organization)
    stamp = since.isoformat().replace("+00:00", "Z")
    return {row["id"] for row in results(client.get(f"/api/v1/members/?updated_since={stamp}"))}


def test_role_changes_and_removals_show_in_members_updated_since(alpha: Tenant) -> None:
    sponsor = alpha.members[Role.SPONSOR]
    participant = alpha.members[Role.PARTICIPANT]
    time.sleep(0.01)
    since = datetime.now(UTC)
    assert _changed_since(alpha, since) == set()
    with alpha.scope():
        membership_set_roles(
            membership=sponsor,
            roles=[Role.SPONSOR, Role.PARTICIPANT],
            actor=alpha.members[Role.HR_ADMIN].user,
        )
        membership_remove(membership=participant, actor=alpha.members[Role.HR_ADMIN].user)
    assert _changed_since(alpha, since) == {sponsor.pk, participant.pk}


def test_an_erased_participant_is_reported_removed_without_their_details(alpha: Tenant) -> None:
    with alpha.scope():
        WebhookEndpoint.objects.create(
            organization=alpha.organization,
            url="https://hooks.example/receive",
            event_types=[EventType.PARTICIPANT_REMOVED],
        )
        program = ProgramFactory(organization=alpha.organization, status="enrolling")
        person = ParticipantFactory(
            program=program, email="grace.hopper@alpha.test", first_name="Grace"
        )
        participant_erase(participant=person, actor=alpha.members[Role.HR_ADMIN].user)
        events = list(WebhookEvent.objects.filter(event_type=EventType.PARTICIPANT_REMOVED))
    assert len(events) == 1
    data = events[0].payload["data"]
    assert data["id"] == person.pk and data["status"] == "removed"
    assert "grace" not in str(data).lower()
