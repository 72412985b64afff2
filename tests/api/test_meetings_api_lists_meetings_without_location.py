"""The meetings API lists the organisation's meetings, cancelled ones included, with their time
and status but not their location (a video link lets anyone in); another organisation's meetings
answer 404; ``updated_since`` sees a move or a cancellation; the list costs the same at any
size."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from pairings.models import Meeting, Pairing
from pairings.services import meetings as meeting_services
from tests.api.support import api_client, results
from tests.api.test_pairs_api_shows_status_history import go_live, proposed_pair
from tests.conftest import Tenant
from tests.queries import assert_queries_do_not_grow

URL = "/api/v1/meetings/"
LOCATION_MARKER = "https://video.example/room-5d0e?pwd=secret"


def schedule(tenant: Tenant, pairing: Pairing, days: int = 2) -> Meeting:
    with tenant.scope():
        return meeting_services.meeting_schedule(
            pairing=pairing,
            starts_at=timezone.now() + timedelta(days=days),
            duration_minutes=45,
            location=LOCATION_MARKER,
            actor=pairing.mentor.membership.user,
        )


def test_a_meeting_shows_its_time_and_status_and_never_its_location(alpha: Tenant) -> None:
    pairing = go_live(alpha, proposed_pair(alpha))
    kept = schedule(alpha, pairing)
    dropped = schedule(alpha, pairing, days=3)
    with alpha.scope():
        meeting_services.meeting_cancel(meeting=dropped, actor=pairing.mentee.membership.user)
    client = api_client(alpha.organization)
    listed = client.get(URL)
    assert LOCATION_MARKER not in listed.content.decode()
    by_id = {m["id"]: m for m in results(listed)}
    assert by_id[kept.pk]["status"] == "scheduled"
    assert by_id[kept.pk]["cancelled_by_side"] is None
    assert by_id[kept.pk]["pair"] == pairing.pk
    assert by_id[kept.pk]["duration_minutes"] == 45
    assert by_id[dropped.pk]["status"] == "cancelled"
    assert by_id[dropped.pk]["cancelled_by_side"] == "senior"
    detail = client.get(f"{URL}{kept.pk}/")
    assert detail.json() == by_id[kept.pk]
    assert set(detail.json()) == {
        "id",
        "pair",
        "starts_at",
        "ends_at",
        "duration_minutes",
        "status",
        "cancelled_at",
        "cancelled_by_side",
        "sequence",
        "created_at",
        "updated_at",
    }
    assert [m["id"] for m in results(client.get(URL, {"pair": pairing.pk + 1000}))] == []
    assert client.get(URL, {"pair": "-3"}).status_code == 400


def test_another_organisations_meetings_are_missing(alpha: Tenant, beta: Tenant) -> None:
    mine = schedule(alpha, go_live(alpha, proposed_pair(alpha)))
    theirs = schedule(beta, go_live(beta, proposed_pair(beta)))
    client = api_client(alpha.organization)
    assert [m["id"] for m in results(client.get(URL))] == [mine.pk]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert results(client.get(URL, {"pair": theirs.pairing_id})) == []


def test_updated_since_sees_a_moved_meeting(alpha: Tenant) -> None:
    pairing = go_live(alpha, proposed_pair(alpha))
    still = schedule(alpha, pairing)
    moved = schedule(alpha, pairing, days=4)
    with alpha.scope():
        Meeting.objects.update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    client = api_client(alpha.organization)
    assert results(client.get(URL, {"updated_since": since})) == []
    with alpha.scope():
        meeting_services.meeting_reschedule(
            meeting=Meeting.objects.get(pk=moved.pk),
            starts_at=timezone.now() + timedelta(days=5),
            duration_minutes=30,
            location="",
            actor=pairing.mentor.membership.user,
        )
    changed = results(client.get(URL, {"updated_since": since}))
    assert [(m["id"], m["duration_minutes"], m["sequence"]) for m in changed] == [(moved.pk, 30, 1)]
    assert still.pk not in [m["id"] for m in changed]


def test_the_meetings_list_costs_the_same_at_any_size(alpha: Tenant) -> None:
    pairing = go_live(alpha, proposed_pair(alpha))
    schedule(alpha, pairing)
    client = api_client(alpha.organization)
    client.get(URL)  # the key's first use is recorded once a minute: not part of the pin

    def grow() -> None:
        for day in range(3, 9):
            schedule(alpha, pairing, days=day)

    _small, large = assert_queries_do_not_grow(
        # The key, the page of meetings.
        lambda: client.get(URL, {"pair": pairing.pk}),
        grow=grow,
        pinned=2,
    )
    assert len(large.result.json()["results"]) == 7
