"""Deprovisioning: the directory says a person is gone (``active: false`` or DELETE). Their
membership ends at once, they are signed out, their calendar feed and future meetings go, their
history stays; re-activation brings back a participant, nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.test import override_settings
from django.utils import timezone

from mentorship import services as kernel
from mentorship.identity.models import ScimUser
from mentorship.models import AuditEvent, Membership, Notification, Role
from pairings.models import CalendarFeed, Meeting
from pairings.services.meetings import calendar_feed_token_create
from tests.conftest import Tenant
from tests.factories import (
    MeetingFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
    UserFactory,
)
from tests.identity.scim_helpers import Scim, token_for, user_body


@pytest.fixture
def scim(alpha: Tenant) -> Scim:
    return Scim(token_for(alpha.organization))


def _provision(scim: Scim, email: str) -> str:
    # The fixtures' addresses end in ".test", which scim2-models refuses in ``emails`` (a
    # special-use domain): the userName, an address too, stands in for them.
    body = user_body(email)
    del body["emails"]
    response = scim.post("/Users", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _deactivate(scim: Scim, scim_id: str) -> object:
    return scim.patch(f"/Users/{scim_id}", {"op": "replace", "path": "active", "value": False})


@override_settings(USERSESSIONS_TRACK_ACTIVITY=True)  # so the test client's session is recorded
def test_deactivation_ends_access_and_signs_the_person_out(
    alpha: Tenant, scim: Scim, client_for, django_capture_on_commit_callbacks
) -> None:
    user = alpha.participant
    scim_id = _provision(scim, user.email)
    browser = client_for(user)
    assert browser.get("/o/alpha/").status_code == 200
    assert UserSession.objects.filter(user=user).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert _deactivate(scim, scim_id).status_code == 200
    assert not UserSession.objects.filter(user=user).exists()
    assert browser.get("/o/alpha/").status_code == 302  # signed out: to the sign-in page
    assert client_for(user).get("/o/alpha/").status_code == 404  # and no longer a member
    with alpha.scope():
        membership = Membership.objects.get(user=user)
        assert membership.removed_at is not None
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditEvent.Action.MEMBER_REMOVED, AuditEvent.Action.MEMBER_DEPROVISIONED} <= actions


def test_deactivation_revokes_the_calendar_feed_and_cancels_future_meetings(
    alpha: Tenant, scim: Scim
) -> None:
    """As removing a member does: the partner is told, past meetings stay as they were."""
    partner_user = UserFactory(email="partner@alpha.test")
    with alpha.scope():
        partner_membership = Membership.objects.create(
            organization=alpha.organization, user=partner_user, is_participant=True
        )
        leaver = alpha.members[Role.PARTICIPANT]
        program = ProgramFactory(organization=alpha.organization, status="active")
        pairing = PairingFactory(
            program=program,
            mentor=ParticipantFactory(program=program, membership=leaver),
            mentee=ParticipantFactory(program=program, membership=partner_membership),
        )
        upcoming = MeetingFactory(pairing=pairing)
        past = MeetingFactory(pairing=pairing, starts_at=timezone.now() - timedelta(days=3))
        calendar_feed_token_create(membership=leaver)
    scim_id = _provision(scim, leaver.user.email)
    assert _deactivate(scim, scim_id).status_code == 200
    with alpha.scope():
        upcoming.refresh_from_db()
        past.refresh_from_db()
        assert upcoming.cancelled_at is not None
        assert past.cancelled_at is None
        assert not CalendarFeed.objects.filter(membership=leaver).exists()
        (told,) = Notification.objects.filter(recipient=partner_user)
    assert "cancelled a meeting" in told.subject


def test_removing_a_member_in_the_app_cancels_their_future_meetings_too(alpha: Tenant) -> None:
    with alpha.scope():
        leaver = alpha.members[Role.PARTICIPANT]
        pairing = PairingFactory(program__organization=alpha.organization)
        pairing.mentor.membership = leaver
        pairing.mentor.save()
        meeting = MeetingFactory(pairing=pairing)
        kernel.membership_remove(membership=leaver, actor=alpha.hr)
        meeting.refresh_from_db()
        assert meeting.cancelled_at is not None
        assert Meeting.objects.filter(cancelled_at__isnull=True).count() == 0


def test_reactivation_restores_a_participant_not_the_old_roles(alpha: Tenant, scim: Scim) -> None:
    sponsor = alpha.members[Role.SPONSOR]
    with alpha.scope():
        Membership.objects.filter(pk=sponsor.pk).update(is_participant=True)
    scim_id = _provision(scim, sponsor.user.email)
    _deactivate(scim, scim_id)
    response = scim.patch(f"/Users/{scim_id}", {"op": "replace", "value": {"active": True}})
    assert response.status_code == 200 and response.json()["active"] is True
    with alpha.scope():
        sponsor.refresh_from_db()
    assert sponsor.is_active and sponsor.roles == [Role.PARTICIPANT]


def test_the_last_hr_admin_cannot_be_deprovisioned(alpha: Tenant, scim: Scim) -> None:
    scim_id = _provision(scim, alpha.hr.email)
    for response in (_deactivate(scim, scim_id), scim.delete(f"/Users/{scim_id}")):
        assert response.status_code == 409
        assert response.json()["scimType"] == "mutability"
        assert "only HR admin" in response.json()["detail"]
    with alpha.scope():
        assert Membership.objects.get(user=alpha.hr).is_active
        assert ScimUser.objects.get().active  # nothing changed
    assert scim.get(f"/Users/{scim_id}").json()["active"] is True


def test_a_user_created_inactive_gets_no_access(alpha: Tenant, scim: Scim) -> None:
    response = scim.post("/Users", user_body("late@example.com", active=False))
    assert response.status_code == 201 and response.json()["active"] is False
    with alpha.scope():
        assert not Membership.objects.get(user__email="late@example.com").is_active
