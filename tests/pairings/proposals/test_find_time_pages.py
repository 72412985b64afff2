"""The pages: Find a time (suggestions in both zones, empty states, proposing), a proposal's
page (accept, decline, withdraw), the pair page's button; other people's 404s; query counts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from mentorship.models import Notification
from pairings.models import BusyCalendar, Meeting, MeetingProposal, Pairing
from pairings.timezones import DST_GAP_MESSAGE
from tests.conftest import Tenant
from tests.factories import MeetingFactory
from tests.pairings.proposals.support import days_ahead, junior_of, propose, senior_of
from tests.pairings.test_meetings import LONDON, NEW_YORK
from tests.queries import assert_queries_do_not_grow

Status = MeetingProposal.Status


def find_url(pair: Pairing) -> str:
    return f"/o/{pair.organization.slug}/pairs/{pair.pk}/find-a-time/"


def new_url(pair: Pairing) -> str:
    return f"/o/{pair.organization.slug}/pairs/{pair.pk}/proposals/new/"


def detail_url(pair: Pairing, proposal: MeetingProposal) -> str:
    return f"/o/{pair.organization.slug}/pairs/{pair.pk}/proposals/{proposal.pk}/"


def suggestions_of(html: str) -> list[str]:
    return re.findall(r'name="suggested" value="([^"]+)"', html)


def test_find_a_time_suggests_up_to_ten_times_in_both_zones(pair: Pairing, client_for) -> None:
    page = client_for(junior_of(pair)).get(find_url(pair))
    html = page.content.decode()
    assert page.status_code == 200
    values = suggestions_of(html)
    assert len(values) == 10
    starts = [datetime.fromisoformat(v) for v in values]
    assert starts[0] >= timezone.now() + timedelta(hours=2)
    # London 13:00-18:00 and New York 08:00-13:00 overlap; each start fits both, on the grid.
    for at in starts:
        london, new_york = at.astimezone(ZoneInfo(LONDON)), at.astimezone(ZoneInfo(NEW_YORK))
        assert 13 <= london.hour <= 16 and london.minute in (0, 30), london
        assert 8 <= new_york.hour <= 11, new_york
    assert len({at.astimezone(ZoneInfo(LONDON)).date() for at in starts}) == 10
    assert "(Sam: " in html
    assert "GMT" in html or "BST" in html
    assert "EST" in html or "EDT" in html
    assert "Propose these times" in html


def test_busy_times_are_not_suggested(alpha: Tenant, pair: Pairing, client_for) -> None:
    before = suggestions_of(client_for(junior_of(pair)).get(find_url(pair)).content.decode())
    taken = datetime.fromisoformat(before[0])
    with alpha.scope():
        MeetingFactory(pairing=pair, starts_at=taken, duration_minutes=60)
    after = suggestions_of(client_for(junior_of(pair)).get(find_url(pair)).content.decode())
    assert before[0] not in after
    assert all(not (taken <= datetime.fromisoformat(v) < taken + timedelta(hours=1)) for v in after)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("mine", "you have not set your weekly availability"),
        ("partner", "Sam Senior has not set their weekly availability"),
        ("calendar", "Senior\u2019s calendar cannot be read right now"),
        ("nothing", "Nothing fits both your weekly hours"),
    ],
)
def test_no_suggestion_says_why(
    alpha: Tenant, pair: Pairing, client_for, change: str, says: str
) -> None:
    with alpha.scope():
        if change == "mine":
            pair.mentor.weekly_availability = []
            pair.mentor.save(update_fields=["weekly_availability"])
        elif change == "partner":
            pair.mentee.weekly_availability = []
            pair.mentee.save(update_fields=["weekly_availability"])
        elif change == "calendar":
            BusyCalendar.objects.create(
                organization=alpha.organization,
                membership=pair.mentee.membership,
                url_encrypted="x",
                url_hint="https://…",
                state=BusyCalendar.State.FAILING,
            )
        else:  # London evenings against New York mornings never meet
            pair.mentor.weekly_availability = [[d, "20:00", "23:00"] for d in range(7)]
            pair.mentor.save(update_fields=["weekly_availability"])
    html = client_for(junior_of(pair)).get(find_url(pair)).content.decode()
    assert says in html
    assert suggestions_of(html) == []
    assert f"/pairs/{pair.pk}/meetings/new/" in html  # the ordinary meeting form
    if change == "mine":
        assert f"/programs/{pair.program.slug}/me/availability/" in html


def test_proposing_ticked_and_typed_times(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(junior_of(pair))
    values = suggestions_of(client.get(find_url(pair)).content.decode())
    typed = (timezone.now() + timedelta(days=9)).date()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            new_url(pair),
            {
                "suggested": values[:2],
                "date_1": typed.isoformat(),
                "time_1": "16:30",
                "location": "Room 4",
                "message": "Looking forward",
            },
        )
    with alpha.scope():
        proposal = MeetingProposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(pair, proposal)
    assert proposal.slots[:2] == values[:2]
    assert len(proposal.slots) == 3
    assert proposal.duration_minutes == pair.program.meeting_minutes
    with alpha.scope():
        assert Notification.objects.filter(recipient=senior_of(pair)).count() == 1


def test_bad_picks_re_render_with_messages_and_keep_what_was_typed(
    pair: Pairing, client_for
) -> None:
    client = client_for(junior_of(pair))
    values = suggestions_of(client.get(find_url(pair)).content.decode())
    too_many = client.post(new_url(pair), {"suggested": values[:4], "location": "Kept room"})
    html = too_many.content.decode()
    assert too_many.status_code == 200
    assert "Pick at most 3 times; you picked 4." in html
    assert 'value="Kept room"' in html
    assert html.count(" checked") == 4
    nothing = client.post(new_url(pair), {"location": "x"})
    assert "Tick a suggested time or type one" in nothing.content.decode()
    half = client.post(new_url(pair), {"date_1": "2031-01-01"})
    assert "Give both a date and a time" in half.content.decode()


def test_a_typed_time_the_clocks_skip_is_refused(pair: Pairing, client_for) -> None:
    year = timezone.now().year + 1
    march_end = datetime(year, 3, 31)
    last_sunday = march_end - timedelta(days=(march_end.weekday() + 1) % 7)
    response = client_for(junior_of(pair)).post(
        new_url(pair), {"date_1": last_sunday.date().isoformat(), "time_1": "01:30"}
    )
    assert DST_GAP_MESSAGE in response.content.decode()


def test_answering_on_the_proposal_page(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    proposal = propose(alpha, pair)
    senior = client_for(senior_of(pair))
    html = senior.get(detail_url(pair, proposal)).content.decode()
    assert html.count(">Accept <") == 3
    assert "Decline these times" in html
    # The proposer sees their times with no Accept button, and may withdraw them.
    mine = client_for(junior_of(pair)).get(detail_url(pair, proposal)).content.decode()
    assert ">Accept <" not in mine and "Withdraw these times" in mine
    with django_capture_on_commit_callbacks(execute=True):
        response = senior.post(detail_url(pair, proposal), {"action": "accept", "slot": "2"})
    with alpha.scope():
        meeting = Meeting.objects.get()
    assert meeting.starts_at == days_ahead(5)
    assert response["Location"].endswith(f"/meetings/{meeting.pk}/")
    again = senior.post(detail_url(pair, proposal), {"action": "accept", "slot": "0"}, follow=True)
    assert "already answered" in again.content.decode()


def test_declining_on_the_page_offers_other_times(alpha: Tenant, pair: Pairing, client_for) -> None:
    proposal = propose(alpha, pair)
    response = client_for(senior_of(pair)).post(
        detail_url(pair, proposal), {"action": "decline", "note": "Busy month"}, follow=True
    )
    assert response.redirect_chain[-1][0] == find_url(pair)
    assert "You declined these times" in response.content.decode()
    with alpha.scope():
        proposal.refresh_from_db()
        assert proposal.status == Status.DECLINED
        assert Notification.objects.filter(
            recipient=junior_of(pair), body__contains="Busy month"
        ).exists()


def test_the_pair_page_offers_find_a_time_and_the_times_to_answer(
    alpha: Tenant, pair: Pairing, client_for
) -> None:
    pair_url = f"/o/{pair.organization.slug}/pairs/{pair.pk}/"
    assert find_url(pair) in client_for(junior_of(pair)).get(pair_url).content.decode()
    proposal = propose(alpha, pair)
    senior_page = client_for(senior_of(pair)).get(pair_url).content.decode()
    assert "Times proposed to you" in senior_page
    assert detail_url(pair, proposal) in senior_page
    junior_page = client_for(junior_of(pair)).get(pair_url).content.decode()
    assert "Times proposed to you" not in junior_page
    with alpha.scope():
        Pairing.objects.filter(pk=pair.pk).update(status=Pairing.Status.PROPOSED)
    assert find_url(pair) not in client_for(junior_of(pair)).get(pair_url).content.decode()


def test_hr_admins_and_other_organisations_get_404(
    alpha: Tenant, beta: Tenant, pair: Pairing, client_for
) -> None:
    proposal = propose(alpha, pair)
    for user in (alpha.hr, beta.hr, beta.participant):
        client = client_for(user)
        assert client.get(find_url(pair)).status_code == 404
        assert client.get(detail_url(pair, proposal)).status_code == 404
        assert client.post(new_url(pair), {"date_1": "2031-01-01"}).status_code == 404
    # Beta's own slug with alpha's ids.
    beta_url = f"/o/{beta.organization.slug}/pairs/{pair.pk}/proposals/{proposal.pk}/"
    assert client_for(beta.participant).get(beta_url).status_code == 404


def test_find_a_time_costs_the_same_queries_with_a_little_or_much_busy_time(
    alpha: Tenant, pair: Pairing, client_for
) -> None:
    client = client_for(junior_of(pair))
    start = timezone.now() + timedelta(days=1)
    with alpha.scope():
        calendar = BusyCalendar.objects.create(
            organization=alpha.organization,
            membership=pair.mentee.membership,
            url_encrypted="x",
            url_hint="https://…",
            state=BusyCalendar.State.OK,
            fetched_at=timezone.now(),
            busy=[[int(start.timestamp()), int(start.timestamp()) + 900]],
        )
        MeetingFactory(pairing=pair, starts_at=start, duration_minutes=30)

    def grow() -> None:
        base = int(start.timestamp())
        with alpha.scope():
            calendar.busy = [[base + i * 7200, base + i * 7200 + 1800] for i in range(2000)]
            calendar.save(update_fields=["busy"])
            for i in range(30):
                MeetingFactory(
                    pairing=pair, starts_at=start + timedelta(days=i, hours=3), duration_minutes=30
                )

    # Session, user, membership, the pair with both partners; the two calendars and every
    # meeting of either partner (busy_for); the viewer's own open proposal and those to answer;
    # the page's organisation menu and unread count.
    small, large = assert_queries_do_not_grow(
        lambda: client.get(find_url(pair)), grow=grow, pinned=10
    )
    assert small.result.status_code == large.result.status_code == 200
    assert len(suggestions_of(large.result.content.decode())) >= 5
