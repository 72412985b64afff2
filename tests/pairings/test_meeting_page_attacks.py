"""Attacks on the meeting page, the guide in reminders and the session-log form's guide
question: what the pair is told to prepare, and what a log records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from pairings.models import Pairing, SessionLog
from pairings.reminders import reminders_send_due
from programs.models import Program
from programs.services import guides as guide_services
from tests.conftest import Tenant
from tests.pairings.test_meeting_page import PLAN, meeting, page_url
from tests.pairings.test_meetings import junior_of, make_pair


@pytest.fixture
def pair(alpha: Tenant) -> Pairing:
    """An active pair whose program has the two-session plan of the meeting page's tests."""
    pairing = make_pair(alpha)
    with alpha.scope():
        guide_services.session_plan_replace(program=pairing.program, guides=PLAN)
    return pairing


def test_a_session_logged_from_a_meetings_page_records_that_meeting(
    alpha: Tenant,
    pair: Pairing,
    client_for,
) -> None:
    """The form works out which meeting the log records (and asks about that meeting's guide),
    but the log's ``meeting`` stays empty: the API's ``meeting`` of a session log is always
    null, and nothing ties the "guide followed" answer to the meeting it was about."""
    meeting(alpha, pair, -8)
    held = meeting(alpha, pair, -1)
    client = client_for(junior_of(pair))
    new = f"/o/alpha/pairs/{pair.pk}/sessions/new/?meeting={held.pk}"
    response = client.post(
        new,
        {
            "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "minutes": 60,
            "guide_followed": "yes",
        },
    )
    assert response.status_code == 302
    with alpha.scope():
        log = SessionLog.objects.get()
        assert log.guide_position == 2
        assert log.meeting_id == held.pk


def test_the_24_hour_reminder_carries_the_guide_and_the_meeting_page(
    alpha: Tenant,
    pair: Pairing,
    django_capture_on_commit_callbacks,
) -> None:
    """Issue 17: "The meeting page, the meeting's invitation email and its 24-hour reminder
    show the guide of that session". The reminder still says only when and where, and links
    to the pair's meeting list rather than the meeting's page."""
    with alpha.scope():
        Program.objects.filter(pk=pair.program_id).update(reminder_offsets_hours=[24])
    m = meeting(alpha, pair, 23 / 24)  # in 23 hours: the 24-hour reminder is due
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        sent = reminders_send_due(organization=alpha.organization)
    assert sent == 2
    reminders = [msg for msg in mail.outbox if msg.subject.startswith("Reminder")]
    assert len(reminders) == 2
    for message in reminders:
        assert "Ground rules" in message.body, message.body
        assert page_url(pair, m) in message.body
