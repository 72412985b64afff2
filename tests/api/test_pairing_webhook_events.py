"""Pairs, meetings and session logs emit their webhook events from the services, in the
transaction of the change (rolled back with it), once per change, each carrying what the API
shows of the object at that moment (never a note, a location or an exit request); an
organisation's events go to its own endpoints only; with no endpoint listening an emission
costs the one query that finds none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from mentorship import services as kernel
from mentorship.events.models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from pairings.models import MatchRun, Pairing
from pairings.services import exits as exit_services
from pairings.services import match_runs
from pairings.services import meetings as meeting_services
from pairings.services import pairs as pair_services
from pairings.services import session_logs as log_services
from pairings.services.webhooks import pairs_emit
from programs.models import Participant, Program
from programs.services import participants as participant_services
from programs.services import programs as program_services
from programs.services import topics as topic_services
from tests.api.support import api_client
from tests.api.test_pairs_api_shows_status_history import go_live, proposed_pair
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.queries import count_queries

NOTE_MARKER = "note-marker-c41d"
LOCATION_MARKER = "room-marker-8e2f"


def listen(tenant: Tenant, *event_types: str) -> WebhookEndpoint:
    """An endpoint of ``tenant`` subscribed to these events (every event when none is named)."""
    with tenant.scope():
        return WebhookEndpoint.objects.create(
            organization=tenant.organization,
            url="https://hooks.example/receive",
            event_types=list(event_types or EventType.values),
        )


def emitted(tenant: Tenant, event_type: str | None = None) -> list[dict[str, Any]]:
    """The ``data`` of the organisation's events, oldest first."""
    with tenant.scope():
        events = WebhookEvent.objects.order_by("created_at", "id")
        if event_type:
            events = events.filter(event_type=event_type)
        return [event.payload["data"] for event in events]


def api(tenant: Tenant, path: str) -> dict[str, Any]:
    response = api_client(tenant.organization).get(path)
    assert response.status_code == 200, response.content
    return response.json()


def matching_program(tenant: Tenant) -> Program:
    """Two juniors and two seniors, members all, ready to be matched."""
    with tenant.scope():
        program = program_services.program_create(organization=tenant.organization, name="Match")
        Program.objects.filter(pk=program.pk).update(status=Program.Status.MATCHING)
        program.refresh_from_db()
        ai, social = topic_services.topics_get_or_create(
            organization=tenant.organization, names=["AI", "Social"]
        )
        for n, (side, level, topic, department) in enumerate(
            [
                ("junior", 1, ai, "Sales"),
                ("junior", 1, social, "Tech"),
                ("senior", 8, ai, "Tech"),
                ("senior", 8, social, "Sales"),
            ]
        ):
            person = MembershipFactory(organization=tenant.organization, is_participant=True)
            participant_services.participant_add(
                program=program,
                email=person.user.email,
                invited_by=None,
                first_name="P",
                last_name=str(n),
                side=side,
                level=level,
                department=department,
                **({"offers": [topic]} if side == "junior" else {"wants": [topic]}),
            )
    return program


def test_publishing_a_proposal_emits_one_event_per_pair(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    program = matching_program(alpha)
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        run = match_runs.match_run_start(program=program, actor=alpha.hr)
    listen(alpha, EventType.PAIRING_PROPOSED, EventType.PARTICIPANT_UPDATED)
    with alpha.scope():
        run = MatchRun.objects.get(pk=run.pk)
        pairings = match_runs.match_run_publish(run=run, actor=alpha.hr)
    assert len(pairings) == 2
    # Each of the four people is matched now, which the participants API shows.
    updated = emitted(alpha, "participant.updated")
    assert sorted(d["id"] for d in updated) == sorted(
        pk for p in pairings for pk in (p.mentor_id, p.mentee_id)
    )
    assert all(d["matched"] is True for d in updated)
    data = emitted(alpha, "pairing.proposed")
    assert [d["id"] for d in data] == [p.pk for p in pairings]
    assert data == [api(alpha, f"/api/v1/pairs/{p.pk}/") for p in pairings]
    assert all(d["status_history"][0]["status"] == "proposed" for d in data)
    with alpha.scope():
        # One delivery per event for the one endpoint listening.
        assert WebhookDelivery.objects.filter(event__event_type="pairing.proposed").count() == 2


def test_each_step_of_a_pairs_life_is_emitted_once(alpha: Tenant) -> None:
    listen(alpha)
    pairing = proposed_pair(alpha)
    with alpha.scope():
        pair_services.pairing_accept_agreement(
            pairing=pairing, membership=pairing.mentor.membership
        )
        pair_services.pairing_confirm(
            pairing=pairing, membership=pairing.mentee.membership, confirm=True
        )
    assert [d["status"] for d in emitted(alpha, "pairing.confirmed")] == ["confirmed"]
    assert emitted(alpha, "pairing.active") == []
    with alpha.scope():
        pair_services.pairing_accept_agreement(
            pairing=pairing, membership=pairing.mentee.membership
        )
        # Accepting again changes nothing, and says nothing.
        pair_services.pairing_accept_agreement(
            pairing=pairing, membership=pairing.mentee.membership
        )
    (active,) = emitted(alpha, "pairing.active")
    assert active == api(alpha, f"/api/v1/pairs/{pairing.pk}/")
    with alpha.scope():
        meeting = meeting_services.meeting_schedule(
            pairing=pairing,
            starts_at=timezone.now() + timedelta(days=2),
            duration_minutes=60,
            location=LOCATION_MARKER,
            actor=pairing.mentor.membership.user,
        )
        exit_services.pairing_request_exit(
            pairing=pairing, membership=pairing.mentee.membership, note=NOTE_MARKER
        )
    assert emitted(alpha, "pairing.ended") == []
    with alpha.scope():
        pair_services.pairing_dissolve(pairing=pairing, actor=alpha.hr, note=NOTE_MARKER)
    (ended,) = emitted(alpha, "pairing.ended")
    assert ended["status"] == "dissolved"
    (cancelled,) = emitted(alpha, "meeting.cancelled")
    assert cancelled == api(alpha, f"/api/v1/meetings/{meeting.pk}/")
    assert cancelled["status"] == "cancelled"
    everything = str(emitted(alpha))
    assert NOTE_MARKER not in everything and LOCATION_MARKER not in everything
    assert [d["status"] for d in emitted(alpha) if "status_history" in d] == [
        "confirmed",
        "active",
        "dissolved",
    ]


def test_a_declined_pair_has_ended_and_frees_its_people(alpha: Tenant) -> None:
    listen(alpha)
    pairing = proposed_pair(alpha)
    with alpha.scope():
        Participant.objects.filter(pk=pairing.mentor_id).update(matched=True)
        pair_services.pairing_confirm(
            pairing=pairing, membership=pairing.mentee.membership, confirm=False
        )
    (ended,) = emitted(alpha, "pairing.ended")
    assert (ended["id"], ended["status"]) == (pairing.pk, "declined")
    # Only the junior was marked matched: only the junior changes.
    assert [(d["id"], d["matched"]) for d in emitted(alpha, "participant.updated")] == [
        (pairing.mentor_id, False)
    ]


def test_meetings_are_emitted_when_scheduled_moved_and_cancelled(alpha: Tenant) -> None:
    listen(alpha, EventType.MEETING_SCHEDULED, EventType.MEETING_RESCHEDULED)
    listen(alpha, EventType.MEETING_CANCELLED)
    pairing = go_live(alpha, proposed_pair(alpha))
    actor = pairing.mentor.membership.user
    with alpha.scope():
        meeting = meeting_services.meeting_schedule(
            pairing=pairing,
            starts_at=timezone.now() + timedelta(days=2),
            duration_minutes=60,
            location=LOCATION_MARKER,
            actor=actor,
        )
    assert emitted(alpha, "meeting.scheduled") == [api(alpha, f"/api/v1/meetings/{meeting.pk}/")]
    with alpha.scope():
        meeting = meeting_services.meeting_reschedule(
            meeting=meeting,
            starts_at=timezone.now() + timedelta(days=3),
            duration_minutes=30,
            location=LOCATION_MARKER,
            actor=actor,
        )
    (moved,) = emitted(alpha, "meeting.rescheduled")
    assert (moved["duration_minutes"], moved["sequence"]) == (30, 1)
    with alpha.scope():
        meeting_services.meeting_cancel(meeting=meeting, actor=actor)
    (cancelled,) = emitted(alpha, "meeting.cancelled")
    assert (cancelled["status"], cancelled["cancelled_by_side"]) == ("cancelled", "junior")
    assert LOCATION_MARKER not in str(emitted(alpha))
    with alpha.scope():
        # Two endpoints, each its own subscription: one delivery per listening endpoint.
        assert WebhookDelivery.objects.count() == 3


def test_a_removed_members_meetings_are_emitted_as_cancelled(alpha: Tenant) -> None:
    pairing = go_live(alpha, proposed_pair(alpha))
    with alpha.scope():
        meeting = meeting_services.meeting_schedule(
            pairing=pairing,
            starts_at=timezone.now() + timedelta(days=2),
            duration_minutes=60,
            location="",
            actor=pairing.mentor.membership.user,
        )
    listen(alpha, EventType.MEETING_CANCELLED)
    with alpha.scope():
        kernel.membership_remove(membership=pairing.mentee.membership, actor=alpha.hr)
    assert [(d["id"], d["status"]) for d in emitted(alpha)] == [(meeting.pk, "cancelled")]


def test_a_logged_session_is_emitted_without_what_was_written(alpha: Tenant) -> None:
    listen(alpha, EventType.SESSION_LOGGED)
    pairing = go_live(alpha, proposed_pair(alpha))
    with alpha.scope():
        log = log_services.session_log_create(
            pairing=pairing,
            author=pairing.mentee,
            date=timezone.localdate(),
            minutes=30,
            taught=NOTE_MARKER,
            learned=NOTE_MARKER,
            shared_notes=NOTE_MARKER,
            private_notes=NOTE_MARKER,
        )
    assert emitted(alpha) == [api(alpha, f"/api/v1/session-logs/{log.pk}/")]
    assert NOTE_MARKER not in str(emitted(alpha))


def test_a_change_rolled_back_emits_nothing(alpha: Tenant) -> None:
    listen(alpha)
    pairing = go_live(alpha, proposed_pair(alpha))
    before = len(emitted(alpha))
    with alpha.scope(), pytest.raises(RuntimeError), transaction.atomic():
        log_services.session_log_create(
            pairing=pairing, author=pairing.mentor, date=timezone.localdate(), minutes=30
        )
        assert len(emitted(alpha)) == before + 1  # written in the change's transaction
        raise RuntimeError("the change fails after the log")
    assert len(emitted(alpha)) == before


def test_events_go_to_the_organisations_own_subscribed_endpoints(
    alpha: Tenant, beta: Tenant
) -> None:
    listen(beta)
    listen(alpha, EventType.MEETING_SCHEDULED)
    go_live(alpha, proposed_pair(alpha))
    assert emitted(alpha) == [] and emitted(beta) == []


def test_an_emission_nobody_listens_to_costs_one_query(alpha: Tenant) -> None:
    listen(alpha, EventType.SESSION_LOGGED)
    pairing = proposed_pair(alpha)
    with alpha.scope():
        organization = pairing.organization  # loaded once, as the services have it
        assert (
            count_queries(
                lambda: pairs_emit(
                    organization=organization,
                    event_type=EventType.PAIRING_ACTIVE,
                    pairing_ids=[pairing.pk],
                )
            )
            == 1
        )
        assert not WebhookEvent.objects.exists()
        assert Pairing.objects.get(pk=pairing.pk).status == Pairing.Status.PROPOSED
