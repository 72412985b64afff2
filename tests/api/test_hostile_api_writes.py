"""Writes through the API: an Idempotency-Key is the organisation's (a retry sent with another
of its keys, e.g. while rotating keys, writes once), and every write is audited with the key
that made it."""

from __future__ import annotations

import json

from mentorship.models import AuditEvent, Invitation
from tests.api.support import api_client, key_for
from tests.conftest import Tenant

INVITATIONS = "/api/v1/invitations/"
BODY = {"email": "someone@example.com", "role": "participant"}


def test_a_retry_with_another_key_of_the_organisation_writes_once(alpha: Tenant) -> None:
    old = api_client(key=key_for(alpha.organization, write=True, name="Old"))
    new = api_client(key=key_for(alpha.organization, write=True, name="New"))
    first = old.post(INVITATIONS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="op-1")
    assert first.status_code == 201
    retry = new.post(INVITATIONS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="op-1")
    with alpha.scope():
        # Today: a second invitation, which withdraws the first one's link.
        assert Invitation.objects.count() == 1
    assert retry.json()["id"] == first.json()["id"]


def test_a_write_through_the_api_is_audited_with_the_key_that_made_it(alpha: Tenant) -> None:
    plain = key_for(alpha.organization, write=True, name="HR system")
    prefix = plain.split(".")[0]
    response = api_client(key=plain).post(INVITATIONS, BODY, format="json")
    assert response.status_code == 201
    with alpha.scope():
        event = AuditEvent.objects.get(action=AuditEvent.Action.INVITATION_SENT)
    # Today: "someone@example.com invited as Participant", no actor, nothing naming the key: a
    # leaked key's invitations look like the system's own.
    shown = api_client(alpha.organization).get(f"/api/v1/audit-events/{event.pk}/").json()
    assert prefix in json.dumps(shown, ensure_ascii=False)
