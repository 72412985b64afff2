"""Slack and Teams endpoints get a short message about program-level events (not the signed
JSON), and can subscribe to nothing else."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from mentorship.events.formats import chat_text
from mentorship.events.models import EventType, WebhookEndpoint
from mentorship.events.services import endpoint_create, event_emit
from pairings.selectors import pairs_for_api
from pairings.serializers import PairSerializer
from tests.conftest import Tenant
from tests.events.support import Receiver, deliveries, make_endpoint
from tests.factories import PairingFactory

pytestmark = pytest.mark.usefixtures("private_networks")


def emit(tenant: Tenant, capture, event_type: str, data: dict) -> None:
    with tenant.scope(), capture(execute=True):
        event_emit(organization=tenant.organization, event_type=event_type, data=data)


def test_slack_gets_a_text_message_about_a_pair_going_live(
    alpha: Tenant, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_endpoint(alpha, receiver.url, format=WebhookEndpoint.Format.SLACK)
    data = {"id": 3, "program": {"id": 1, "name": "Tools <&> talk"}, "mentor": {"id": 9}}
    emit(alpha, django_capture_on_commit_callbacks, EventType.PAIRING_ACTIVE, data)
    [request] = receiver.received
    assert json.loads(request.body) == {
        "text": "Alpha · A new mentoring pair went live in “Tools &lt;&amp;&gt; talk”."
    }
    assert "webhook-signature" not in request.headers
    assert deliveries(alpha)[0].status == "delivered"


def test_teams_gets_an_adaptive_card_about_a_survey_opening(
    alpha: Tenant, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_endpoint(
        alpha, receiver.url, format=WebhookEndpoint.Format.TEAMS, events=[EventType.SURVEY_OPENED]
    )
    data = {"id": 4, "name": "Monthly check-in", "program_name": "Pilot"}
    emit(alpha, django_capture_on_commit_callbacks, EventType.SURVEY_OPENED, data)
    [request] = receiver.received
    body = json.loads(request.body)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"] == [
        {
            "type": "TextBlock",
            "text": "Alpha · The survey “Monthly check-in” opened in “Pilot”.",
            "wrap": True,
        }
    ]


@pytest.mark.parametrize(
    ("event_type", "data", "text"),
    [
        (
            EventType.PROGRAM_STATUS_CHANGED,
            {"id": 1, "name": "Pilot", "status": "active"},
            "Acme · The program “Pilot” is now active.",
        ),
        (EventType.SURVEY_CLOSED, {"program": "Pilot"}, "Acme · The survey closed in “Pilot”."),
        (
            EventType.PAIRING_ACTIVE,
            {"id": 2},
            "Acme · A new mentoring pair went live in a program.",
        ),
        ("webhook.test", {"message": "x"}, "Acme · Test message: this webhook works."),
    ],
)
def test_chat_messages_say_what_happened_in_which_program(
    event_type: str, data: dict, text: str
) -> None:
    assert chat_text(event_type, data, "Acme") == text


@pytest.mark.parametrize("format", [WebhookEndpoint.Format.SLACK, WebhookEndpoint.Format.TEAMS])
def test_chat_endpoints_receive_program_level_events_only(alpha: Tenant, format: str) -> None:
    with alpha.scope(), pytest.raises(ValidationError) as refused:
        endpoint_create(
            organization=alpha.organization,
            url="http://127.0.0.1:9/hook",
            format=format,
            event_types=[EventType.PAIRING_ACTIVE, EventType.PARTICIPANT_CREATED],
            actor=alpha.hr,
        )
    assert "program-level news only" in " ".join(refused.value.message_dict["event_types"])


def test_a_pair_going_live_is_announced_with_its_programs_name(alpha: Tenant) -> None:
    """The chat message reads the program's name from the payload the API shows of a pair."""
    with alpha.scope():
        pairing = PairingFactory(program__organization=alpha.organization, program__name="Pilot")
        data = PairSerializer(pairs_for_api().get(pk=pairing.pk)).data
    text = chat_text(EventType.PAIRING_ACTIVE, dict(data), alpha.organization.name)
    assert "went live in" in text and "Pilot" in text
