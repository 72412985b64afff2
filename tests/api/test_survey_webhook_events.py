"""Surveys emit ``survey.opened`` and ``survey.closed`` once each, from the dispatcher's
transaction that opens or closes them (and from the quick check opened after a session log),
carrying what the API shows of the survey then: how many answered only where the pages show it,
and never an answer."""

from __future__ import annotations

from feedback.services import after_session
from feedback.services import cycles as cycle_services
from feedback.services.webhooks import survey_emit
from mentorship.events.models import EventType, WebhookEvent
from tests.api.support import api_client
from tests.api.test_pairing_webhook_events import emitted, listen
from tests.api.test_pairs_api_shows_status_history import go_live, proposed_pair
from tests.api.test_surveys_api_counts_answers_as_the_pages_do import (
    TEXT_MARKER,
    answer,
    close,
    open_survey,
    people,
)
from tests.conftest import Tenant
from tests.queries import count_queries


def survey(tenant: Tenant, survey_id: int) -> dict:
    return api_client(tenant.organization).get(f"/api/v1/surveys/{survey_id}/").json()


def test_a_survey_is_emitted_once_when_it_opens_and_once_when_it_closes(
    alpha: Tenant, beta: Tenant
) -> None:
    listen(alpha, EventType.SURVEY_OPENED, EventType.SURVEY_CLOSED)
    listen(beta)
    program = people(alpha, [("junior", "Sales", 4), ("senior", "Tech", 2)])
    cycle = open_survey(alpha, program)
    with alpha.scope():
        # Another pass finds nothing new to open.
        cycle_services.cycles_dispatch(organization=alpha.organization)
    (opened,) = emitted(alpha, "survey.opened")
    assert opened == survey(alpha, cycle.pk)
    assert (opened["status"], opened["invited"]) == ("open", 6)
    assert opened["answered"]["withheld"] is True
    with alpha.scope():
        answer(alpha, cycle, list(program.participants.order_by("pk")[:5]))
    close(alpha, cycle)
    close(alpha, cycle)  # a second closing pass changes nothing, and says nothing
    (closed,) = emitted(alpha, "survey.closed")
    assert closed == survey(alpha, cycle.pk)
    # 5 of 6 answered: the one who did not would be known, as on the Surveys page.
    assert closed["status"] == "closed" and closed["answered"]["withheld"] is True
    assert TEXT_MARKER not in str(emitted(alpha))
    assert emitted(beta) == []


def test_a_quick_check_opened_after_a_session_is_emitted_once(alpha: Tenant) -> None:
    listen(alpha, EventType.SURVEY_OPENED)
    pairing = go_live(alpha, proposed_pair(alpha))
    with alpha.scope():
        first = after_session.after_session_invitation(participant=pairing.mentor, pairing=pairing)
        again = after_session.after_session_invitation(participant=pairing.mentee, pairing=pairing)
    assert first is not None and again is not None
    assert first.cycle_id == again.cycle_id
    (opened,) = emitted(alpha, "survey.opened")
    assert opened["id"] == first.cycle_id and opened["on_demand"] is True
    assert opened["template_name"] == "Pairing fit"


def test_an_emission_nobody_listens_to_costs_one_query(alpha: Tenant) -> None:
    listen(alpha, EventType.SESSION_LOGGED)
    cycle = open_survey(alpha, people(alpha, [("junior", "Sales", 1)]))
    with alpha.scope():
        organization = cycle.organization
        assert (
            count_queries(
                lambda: survey_emit(
                    organization=organization,
                    event_type=EventType.SURVEY_CLOSED,
                    cycle_id=cycle.pk,
                )
            )
            == 1
        )
        assert not WebhookEvent.objects.exists()
