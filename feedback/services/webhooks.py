"""Webhook events of surveys (``survey.opened``, ``survey.closed``), emitted by the services of
this package inside the transaction that opens or closes the survey (the outbox,
``mentorship.events``).

The data is exactly the API's representation of the survey (``feedback.serializers``): its
window, status and counts under the pages' rule, never an answer. It is read only when an
endpoint listens: otherwise emitting costs the one query that finds none."""

from __future__ import annotations

from feedback import selectors
from feedback.serializers import survey_data
from mentorship.events.models import EventType
from mentorship.events.services import event_emit, subscribed_endpoints
from mentorship.models import Organization


def survey_emit(*, organization: Organization, event_type: EventType, cycle_id: int) -> None:
    if not subscribed_endpoints(organization=organization, event_type=event_type):
        return
    cycle = selectors.surveys_for_api().get(pk=cycle_id)
    event_emit(
        organization=organization,
        event_type=event_type,
        data=survey_data(cycle=cycle, k=organization.anonymity_threshold),
    )
