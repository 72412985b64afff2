"""A meeting's page and the session plan's guide it shows: which session a meeting is, who sees
what (times for HR, the guide for the two partners only), the invitation email's guide, and the
session-log form's question about it."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from pairings import guides
from pairings.calendars import meeting_page_url
from pairings.models import Meeting, Pairing, SessionLog
from programs.models import Program
from programs.services import guides as guide_services
from tests.conftest import Tenant
from tests.factories import MeetingFactory, MembershipFactory, ParticipantFactory, UserFactory
from tests.pairings.test_meetings import future_year, junior_of, make_pair, schedule, senior_of

PLAN = [
    {
        "title": "Ground rules",
        "purpose": "Agree how you work together.",
        "agenda": "- 10 min: introductions\n- 20 min: the agreement",
        "junior_questions": "- What makes candour easy for you?",
        "senior_questions": "- What would make you challenge me?",
    },
    {
        "title": "Objectives",
        "purpose": "Pick two goals.",
        "agenda": "- 30 min: goals",
        "junior_questions": "- When did a tool last beat you?",
        "senior_questions": "- Which goal matters most to you?",
    },
]


@pytest.fixture
def pair(alpha: Tenant) -> Pairing:
    pairing = make_pair(alpha)
    with alpha.scope():
        guide_services.session_plan_replace(program=pairing.program, guides=PLAN)
    return pairing


def meeting(tenant: Tenant, pair: Pairing, days: float, **fields: object) -> Meeting:
    with tenant.scope():
        return MeetingFactory(
            pairing=pair,
            starts_at=timezone.now() + timedelta(days=days),
            location="Room 4",
            **fields,
        )


def page_url(pair: Pairing, m: Meeting) -> str:
    return f"/o/{pair.organization.slug}/pairs/{pair.pk}/meetings/{m.pk}/"


def text(response) -> str:
    return html.unescape(response.content.decode())


# --- Which session a meeting is --------------------------------------------------------------


def test_meetings_follow_the_plan_in_the_order_the_pair_meets(alpha: Tenant, pair) -> None:
    second = meeting(alpha, pair, 9)
    first = meeting(alpha, pair, 2)
    third = meeting(alpha, pair, 16)
    with alpha.scope():
        assert guides.meeting_number(meeting=first) == 1
        assert guides.guide_for_meeting(meeting=first).title == "Ground rules"
        assert guides.guide_for_meeting(meeting=second).title == "Objectives"
        # Past the plan's end: no guide.
        assert guides.meeting_number(meeting=third) == 3
        assert guides.guide_for_meeting(meeting=third) is None


def test_a_cancelled_meeting_is_skipped_and_has_no_guide(alpha: Tenant, pair) -> None:
    cancelled = meeting(alpha, pair, 2, cancelled_at=timezone.now())
    held = meeting(alpha, pair, 5)
    with alpha.scope():
        assert guides.meeting_number(meeting=held) == 1
        assert guides.guide_for_meeting(meeting=held).title == "Ground rules"
        assert guides.guide_for_meeting(meeting=cancelled) is None


def test_meetings_at_the_same_time_are_numbered_by_creation(alpha: Tenant, pair) -> None:
    at = timezone.now() + timedelta(days=3)
    with alpha.scope():
        a = MeetingFactory(pairing=pair, starts_at=at)
        b = MeetingFactory(pairing=pair, starts_at=at)
        assert [guides.meeting_number(meeting=m) for m in (a, b)] == [1, 2]


def test_without_a_plan_no_meeting_has_a_guide(alpha: Tenant, pair) -> None:
    first = meeting(alpha, pair, 2)
    with alpha.scope():
        pair.program.session_guides.all().delete()
        assert guides.guide_for_meeting(meeting=first) is None


# --- The page --------------------------------------------------------------------------------


def test_the_partners_see_the_guide_with_their_own_questions_first(
    alpha: Tenant, pair, client_for
) -> None:
    first = meeting(alpha, pair, 2)
    junior = text(client_for(junior_of(pair)).get(page_url(pair, first)))
    assert "Session 1 of the plan: Ground rules" in junior
    assert "Agree how you work together." in junior
    assert "<li>10 min: introductions</li>" in junior
    assert "Room 4" in junior
    assert junior.index("What makes candour easy") < junior.index("What would make you challenge")
    senior = text(client_for(senior_of(pair)).get(page_url(pair, first)))
    assert "Session 1 of the plan: Ground rules" in senior
    assert senior.index("What would make you challenge") < senior.index("What makes candour easy")
    second = meeting(alpha, pair, 9)
    assert "Session 2 of the plan: Objectives" in text(
        client_for(junior_of(pair)).get(page_url(pair, second))
    )


def test_the_time_is_shown_in_the_viewers_zone_and_the_partners(
    alpha: Tenant, pair, client_for
) -> None:
    # 14:00 UTC in July: 15:00 in London (the junior), 10:00 in New York (the senior).
    at = datetime(future_year(), 7, 6, 14, 0, tzinfo=UTC)
    with alpha.scope():
        m = MeetingFactory(pairing=pair, starts_at=at, duration_minutes=45)
    junior = text(client_for(junior_of(pair)).get(page_url(pair, m)))
    assert "your time, Europe/London" in junior
    assert "15:00</time>–15:45 BST" in junior
    assert "For Sam Senior (America/New_York)" in junior and "10:00</time>–10:45 EDT" in junior
    assert "45 minutes" in junior
    senior = text(client_for(senior_of(pair)).get(page_url(pair, m)))
    assert "your time, America/New_York" in senior
    assert senior.index("10:00</time>") < senior.index("15:00</time>")


def test_past_the_plan_the_page_says_so(alpha: Tenant, pair, client_for) -> None:
    meeting(alpha, pair, 2)
    meeting(alpha, pair, 4)
    third = meeting(alpha, pair, 6)
    body = text(client_for(junior_of(pair)).get(page_url(pair, third)))
    assert "meeting number 3" in body and "of the plan:" not in body


def test_a_cancelled_meeting_says_so_without_a_guide(alpha: Tenant, pair, client_for) -> None:
    m = meeting(alpha, pair, 2, cancelled_at=timezone.now())
    body = text(client_for(junior_of(pair)).get(page_url(pair, m)))
    assert "This meeting was cancelled" in body
    assert "of the plan" not in body and "/cancel/" not in body and "/edit/" not in body


def test_log_this_session_appears_once_the_meeting_started(alpha: Tenant, pair, client_for) -> None:
    client = client_for(junior_of(pair))
    upcoming = meeting(alpha, pair, 2)
    body = text(client.get(page_url(pair, upcoming)))
    assert "Log this session" not in body
    assert f"meetings/{upcoming.pk}/edit/" in body and f"meetings/{upcoming.pk}/cancel/" in body
    held = meeting(alpha, pair, -1)
    body = text(client.get(page_url(pair, held)))
    assert f"sessions/new/?meeting={held.pk}" in body and "Log this session" in body
    # A meeting that started can no longer move.
    assert f"meetings/{held.pk}/edit/" not in body


def test_hr_admins_see_when_but_not_what_nor_where(alpha: Tenant, pair, client_for) -> None:
    m = meeting(alpha, pair, 2)
    response = client_for(alpha.hr).get(page_url(pair, m))
    assert response.status_code == 200
    body = text(response)
    assert "Meeting of Jo Junior and Sam Senior" in body and "60 minutes" in body
    assert "Ground rules" not in body and "Room 4" not in body and "candour" not in body
    assert "/edit/" not in body and "Log this session" not in body


def test_outsiders_and_other_organisations_get_a_404(
    alpha: Tenant, beta: Tenant, pair, client_for
) -> None:
    m = meeting(alpha, pair, 2)
    with alpha.scope():
        # Another participant of the same program, not in this pair.
        user = UserFactory(email="other@alpha.test")
        membership = MembershipFactory(
            organization=alpha.organization, user=user, is_participant=True
        )
        ParticipantFactory(program=pair.program, membership=membership, email=user.email)
    assert client_for(user).get(page_url(pair, m)).status_code == 404
    assert client_for(alpha.sponsor).get(page_url(pair, m)).status_code == 404
    assert client_for(beta.hr).get(page_url(pair, m)).status_code == 404
    beta_view = f"/o/beta/pairs/{pair.pk}/meetings/{m.pk}/"
    assert client_for(beta.hr).get(beta_view).status_code == 404
    # Another pair's meeting id under this pair: missing.
    other_pair = make_pair(beta)
    with beta.scope():
        theirs = MeetingFactory(pairing=other_pair)
    path = f"/o/alpha/pairs/{pair.pk}/meetings/{theirs.pk}/"
    assert client_for(junior_of(pair)).get(path).status_code == 404


def test_links_lead_to_the_meeting_page(alpha: Tenant, pair, client_for) -> None:
    m = meeting(alpha, pair, 2)
    with alpha.scope():
        assert meeting_page_url(m) == page_url(pair, m)
    listing = client_for(junior_of(pair)).get(f"/o/alpha/pairs/{pair.pk}/meetings/")
    assert f'href="{page_url(pair, m)}"' in listing.content.decode()


# --- The invitation email --------------------------------------------------------------------


def test_the_invitation_email_carries_the_guide(
    alpha: Tenant, pair, client_for, django_capture_on_commit_callbacks
) -> None:
    day = date(future_year(), 6, 4)
    schedule(client_for(junior_of(pair)), pair, django_capture_on_commit_callbacks, day)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert "Session 1: Ground rules" in message.body
        assert "Agree how you work together." in message.body
        assert "Questions for the junior:\n- What makes candour easy for you?" in message.body
        assert "/meetings/" in message.body
    with alpha.scope():
        m = Meeting.objects.get()
    assert page_url(pair, m) in mail.outbox[0].body


def test_the_cancellation_email_has_no_guide(
    alpha: Tenant, pair, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(junior_of(pair))
    schedule(client, pair, django_capture_on_commit_callbacks, date(future_year(), 6, 4))
    with alpha.scope():
        m = Meeting.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/o/alpha/pairs/{pair.pk}/meetings/{m.pk}/cancel/")
    assert mail.outbox and all("Ground rules" not in msg.body for msg in mail.outbox)


# --- The session-log form and the meeting form -----------------------------------------------


def test_the_session_log_records_whether_the_guide_was_followed(
    alpha: Tenant, pair, client_for
) -> None:
    meeting(alpha, pair, -8)
    held = meeting(alpha, pair, -1)
    client = client_for(junior_of(pair))
    new = f"/o/alpha/pairs/{pair.pk}/sessions/new/?meeting={held.pk}"
    form = text(client.get(new))
    assert "Session 2 of the plan: Objectives" in form and "Pick two goals." in form
    assert "Did you follow the plan's “Session 2: Objectives”?" in form
    response = client.post(
        new,
        {
            "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "minutes": 60,
            "guide_followed": "partly",
        },
    )
    assert response.status_code == 302
    with alpha.scope():
        log = SessionLog.objects.get()
        assert (log.guide_position, log.guide_followed) == (2, "partly")


def test_the_guide_question_is_optional_and_checked(alpha: Tenant, pair, client_for) -> None:
    meeting(alpha, pair, -1)
    client = client_for(senior_of(pair))
    new = f"/o/alpha/pairs/{pair.pk}/sessions/new/"
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    bad = client.post(new, {"date": yesterday, "minutes": 60, "guide_followed": "maybe"})
    assert bad.status_code == 200 and "Select a valid choice" in text(bad)
    assert client.post(new, {"date": yesterday, "minutes": 60}).status_code == 302
    with alpha.scope():
        log = SessionLog.objects.get()
        # The just-held meeting was session 1; no answer given.
        assert (log.guide_position, log.guide_followed) == (1, "")


def test_without_a_meeting_the_form_does_not_ask(alpha: Tenant, pair, client_for) -> None:
    client = client_for(junior_of(pair))
    new = f"/o/alpha/pairs/{pair.pk}/sessions/new/"
    assert "Did you follow" not in text(client.get(new))
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    client.post(new, {"date": yesterday, "minutes": 60, "guide_followed": "yes"})
    with alpha.scope():
        log = SessionLog.objects.get()
        assert (log.guide_position, log.guide_followed) == (None, "")


def test_a_new_meeting_lasts_the_programs_meeting_length(alpha: Tenant, pair, client_for) -> None:
    with alpha.scope():
        Program.objects.filter(pk=pair.program_id).update(meeting_minutes=45)
    form = client_for(junior_of(pair)).get(f"/o/alpha/pairs/{pair.pk}/meetings/new/")
    assert 'name="duration_minutes" value="45"' in form.content.decode()
