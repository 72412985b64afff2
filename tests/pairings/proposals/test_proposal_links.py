"""The signed link of each proposed time: it shows the time (GET never accepts), accepts with
one button without signing in, works once, until the time starts, and only for its recipient."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from pairings.models import Meeting, MeetingProposal, Pairing
from pairings.proposal_selectors import link_token
from tests.conftest import Tenant
from tests.pairings.proposals.support import days_ahead, junior_of, propose, senior_of


def links_of(pair: Pairing) -> list[str]:
    """The accept links of the email the senior received, in order."""
    (email,) = [m for m in mail.outbox if senior_of(pair).email in m.to]
    return re.findall(r"http://testserver(/proposals/[^/\s]+/)", email.body)


@pytest.fixture
def links(alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks) -> list[str]:
    with django_capture_on_commit_callbacks(execute=True):
        propose(alpha, pair)
    return links_of(pair)


def meetings_of(alpha: Tenant, pair: Pairing) -> list[Meeting]:
    with alpha.scope():
        return list(Meeting.objects.filter(pairing=pair))


def test_opening_a_link_shows_the_time_and_accepts_nothing(
    alpha: Tenant, pair: Pairing, links: list[str]
) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(links[1])
    assert page.status_code == 200
    text = page.content.decode()
    assert "Accept this time" in text and "Jo Junior" in text
    assert 'name="csrfmiddlewaretoken"' in text
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert page["Referrer-Policy"] == "same-origin"
    assert meetings_of(alpha, pair) == []


def test_one_click_accepts_without_signing_in(
    alpha: Tenant, pair: Pairing, links: list[str], django_capture_on_commit_callbacks
) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(links[1])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(links[1], {"csrfmiddlewaretoken": token})
    assert done.status_code == 200
    assert "Meeting scheduled" in done.content.decode()
    (meeting,) = meetings_of(alpha, pair)
    assert meeting.starts_at == days_ahead(4)
    assert meeting.created_by == senior_of(pair)
    assert {m.to[0] for m in mail.outbox if m.subject.startswith("Invitation")} == {
        junior_of(pair).email,
        senior_of(pair).email,
    }


def test_a_post_without_the_csrf_token_is_refused(pair: Pairing, links: list[str]) -> None:
    assert Client(enforce_csrf_checks=True).post(links[0]).status_code == 403


def test_a_link_works_once(alpha: Tenant, pair: Pairing, links: list[str]) -> None:
    client = Client()
    assert client.post(links[0]).status_code == 200
    again = client.post(links[2])
    assert "already answered: one of them was accepted" in again.content.decode()
    assert "Accept this time" not in again.content.decode()
    assert len(meetings_of(alpha, pair)) == 1


def test_the_recipient_signed_in_goes_to_the_meeting_page(
    alpha: Tenant, pair: Pairing, links: list[str], client_for
) -> None:
    response = client_for(senior_of(pair)).post(links[0])
    (meeting,) = meetings_of(alpha, pair)
    assert response.status_code == 302
    assert response["Location"] == (
        f"/o/{alpha.organization.slug}/pairs/{pair.pk}/meetings/{meeting.pk}/"
    )


def test_a_tampered_link_gives_a_clear_page(pair: Pairing, links: list[str]) -> None:
    client = Client()
    for bad in (links[0][:-5] + "AAAA/", "/proposals/nonsense/", links[0].replace(":", "x", 1)):
        page = client.get(bad)
        assert page.status_code == 404
        assert "This link is not valid" in page.content.decode()
        assert client.post(bad).status_code == 404


def test_someone_else_signed_in_is_refused(
    alpha: Tenant, beta: Tenant, pair: Pairing, links: list[str], client_for
) -> None:
    for user in (junior_of(pair), alpha.hr, beta.participant):
        page = client_for(user).get(links[0])
        assert page.status_code == 403
        assert "This link is for someone else" in page.content.decode()
        assert "Jo Junior" not in page.content.decode()
        assert client_for(user).post(links[0]).status_code == 403
    assert meetings_of(alpha, pair) == []


def test_a_link_for_a_passed_time_has_expired(
    alpha: Tenant, pair: Pairing, links: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    later = days_ahead(3) + timedelta(minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    page = Client().post(links[0])
    assert "This time has already passed" in page.content.decode()
    assert meetings_of(alpha, pair) == []
    # The later times' links still work.
    assert "Meeting scheduled" in Client().post(links[1]).content.decode()


def test_a_link_signed_for_another_recipient_or_organisation_does_not_work(
    alpha: Tenant, beta: Tenant, pair: Pairing
) -> None:
    proposal = propose(alpha, pair)
    with alpha.scope():
        forged = [
            link_token(proposal=proposal, slot_index=0, user_id=junior_of(pair).pk),
            link_token(proposal=proposal, slot_index=7, user_id=senior_of(pair).pk),
        ]
    elsewhere = MeetingProposal(pk=proposal.pk, organization_id=beta.organization.pk, slots=[])
    forged.append(link_token(proposal=elsewhere, slot_index=0, user_id=senior_of(pair).pk))
    for token in forged:
        page = Client().post(f"/proposals/{token}/")
        assert page.status_code == 404, token
    assert meetings_of(alpha, pair) == []


def test_a_member_who_left_cannot_use_the_link(alpha: Tenant, pair: Pairing, links) -> None:
    with alpha.scope():
        pair.mentee.membership.removed_at = timezone.now()
        pair.mentee.membership.save(update_fields=["removed_at"])
    assert Client().post(links[0]).status_code == 404
    assert meetings_of(alpha, pair) == []


def test_a_link_of_a_pair_that_ended_says_so(alpha: Tenant, pair: Pairing, links) -> None:
    with alpha.scope():
        Pairing.objects.filter(pk=pair.pk).update(status=Pairing.Status.DISSOLVED)
    page = Client().get(links[0]).content.decode()
    assert "Meetings can be scheduled only once the pairing is confirmed or active" in page
    assert "Accept this time" not in page
    Client().post(links[0])
    assert meetings_of(alpha, pair) == []
