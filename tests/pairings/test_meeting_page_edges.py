"""Edges of the meeting page and the session log it leads to: buttons only where the services
would act, a guide answer that can be taken back, the meeting a log records (this pair's only),
the author's answer in their personal data, and one <h1> whatever the guide's Markdown."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pairings import privacy
from pairings.models import Pairing, SessionLog
from pairings.services.session_logs import session_log_create
from programs.privacy import Audience
from programs.services import guides as guide_services
from tests.conftest import Tenant
from tests.pairings.test_meeting_page import PLAN, meeting, page_url
from tests.pairings.test_meetings import junior_of, make_pair


def yesterday() -> str:
    return (timezone.localdate() - timedelta(days=1)).isoformat()


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def pair(alpha: Tenant) -> Pairing:
    pairing = make_pair(alpha)
    with alpha.scope():
        guide_services.session_plan_replace(program=pairing.program, guides=PLAN)
    return pairing


# --- Buttons --------------------------------------------------------------------------------


def test_a_dissolved_pairs_meeting_page_offers_no_log_nor_move(
    alpha: Tenant, pair, client_for
) -> None:
    held = meeting(alpha, pair, -1)
    upcoming = meeting(alpha, pair, 3)
    client = client_for(junior_of(pair))
    # While the pair runs, both are offered.
    assert "Log this session" in text(client.get(page_url(pair, held)))
    assert f"meetings/{upcoming.pk}/edit/" in text(client.get(page_url(pair, upcoming)))
    with alpha.scope():
        Pairing.objects.filter(pk=pair.pk).update(status=Pairing.Status.DISSOLVED)
    body = text(client.get(page_url(pair, held)))
    assert "Log this session" not in body and "sessions/new/" not in body
    body = text(client.get(page_url(pair, upcoming)))
    assert f"meetings/{upcoming.pk}/edit/" not in body and ">Move<" not in body
    # The cancellation service still takes a stray meeting of an ended pair off the calendars.
    assert f"meetings/{upcoming.pk}/cancel/" in body


# --- The guide question ---------------------------------------------------------------------


def test_the_guide_question_can_be_left_unanswered(alpha: Tenant, pair, client_for) -> None:
    held = meeting(alpha, pair, -1)
    client = client_for(junior_of(pair))
    new = f"/o/alpha/pairs/{pair.pk}/sessions/new/?meeting={held.pk}"
    form = client.get(new).content.decode()
    assert "Not answered" in form
    # The blank choice is the one checked at first.
    assert re.search(r'<input type="radio" name="guide_followed" value=""[^>]*checked', form)
    response = client.post(new, {"date": yesterday(), "minutes": 60, "guide_followed": ""})
    assert response.status_code == 302
    with alpha.scope():
        assert SessionLog.objects.get().guide_followed == ""


# --- The meeting a log records --------------------------------------------------------------


def test_a_log_without_a_named_meeting_records_none(alpha: Tenant, pair, client_for) -> None:
    meeting(alpha, pair, -1)
    client = client_for(junior_of(pair))
    new = f"/o/alpha/pairs/{pair.pk}/sessions/new/"
    assert client.post(new, {"date": yesterday(), "minutes": 60}).status_code == 302
    with alpha.scope():
        # The latest meeting is only a guess (the session may have been held elsewhere).
        assert SessionLog.objects.get().meeting_id is None


def test_another_pairs_meeting_is_never_recorded(
    alpha: Tenant, beta: Tenant, pair, client_for
) -> None:
    other = make_pair(beta)
    theirs = meeting(beta, other, -1)
    client = client_for(junior_of(pair))
    new = f"/o/alpha/pairs/{pair.pk}/sessions/new/?meeting={theirs.pk}"
    assert client.post(new, {"date": yesterday(), "minutes": 60}).status_code == 302
    with alpha.scope():
        assert SessionLog.objects.get().meeting_id is None
        with pytest.raises(ValidationError, match="not one this pair held"):
            session_log_create(
                pairing=pair,
                author=pair.mentor,
                date=timezone.localdate() - timedelta(days=2),
                minutes=60,
                meeting=theirs,
            )


def test_a_cancelled_meeting_is_never_recorded(alpha: Tenant, pair) -> None:
    cancelled = meeting(alpha, pair, -1, cancelled_at=timezone.now())
    with alpha.scope(), pytest.raises(ValidationError):
        session_log_create(
            pairing=pair,
            author=pair.mentor,
            date=timezone.localdate() - timedelta(days=1),
            minutes=60,
            meeting=cancelled,
        )


# --- Personal data --------------------------------------------------------------------------


def test_the_authors_export_holds_their_guide_answer(alpha: Tenant, pair) -> None:
    held = meeting(alpha, pair, -1)
    with alpha.scope():
        session_log_create(
            pairing=pair,
            author=pair.mentor,
            date=timezone.localdate() - timedelta(days=1),
            minutes=60,
            meeting=held,
            guide_position=1,
            guide_followed="partly",
        )
        for audience in (Audience.SELF,):
            (row,) = privacy.export(pair.mentor, None, audience)["pairings"][0]["session_logs"]
            assert (row["guide_position"], row["guide_followed"]) == (1, "partly")
        # The partner's copy lists the log but not an answer they did not give.
        (theirs,) = privacy.export(pair.mentee, None, Audience.SELF)["pairings"][0]["session_logs"]
        assert not {"guide_position", "guide_followed"} & theirs.keys()


# --- Headings -------------------------------------------------------------------------------


def test_a_heading_in_the_guide_adds_no_second_h1(alpha: Tenant, pair, client_for) -> None:
    with alpha.scope():
        guide_services.session_plan_replace(
            program=pair.program, guides=[{**PLAN[0], "agenda": "# Big agenda\n\n- tea"}]
        )
    first = meeting(alpha, pair, 2)
    body = client_for(junior_of(pair)).get(page_url(pair, first)).content.decode()
    assert "Big agenda" in body
    assert len(re.findall(r"<h1[\s>]", body)) == 1
