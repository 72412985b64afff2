"""Who cancelled a meeting, as its page and the pair's meeting list say it: a partner by name,
"a former member" when the partner who cancelled has no account any more, and nobody when no
one cancelled by hand (the pair ended with its program)."""

from __future__ import annotations

import html

import pytest
from django.utils import timezone

from pairings.models import Meeting, Pairing
from tests.conftest import Tenant
from tests.pairings.test_meeting_page import meeting, page_url
from tests.pairings.test_meetings import junior_of, make_pair, senior_of


@pytest.fixture
def pair(alpha: Tenant) -> Pairing:
    return make_pair(alpha)


def pages(client, pair: Pairing, m: Meeting) -> tuple[str, str]:
    detail = client.get(page_url(pair, m))
    listing = client.get(f"/o/{pair.organization.slug}/pairs/{pair.pk}/meetings/")
    assert detail.status_code == listing.status_code == 200
    return html.unescape(detail.content.decode()), html.unescape(listing.content.decode())


def test_a_meeting_nobody_cancelled_by_hand_names_no_one(alpha: Tenant, pair, client_for) -> None:
    # What meetings_cancel_upcoming(actor=None) leaves when the program closes the pair.
    m = meeting(alpha, pair, 2, cancelled_at=timezone.now(), cancelled_by=None)
    detail, listing = pages(client_for(junior_of(pair)), pair, m)
    assert "This meeting was cancelled on" in detail
    assert "former member" not in detail and "former member" not in listing
    assert "Cancelled" in listing


def test_a_partner_who_cancelled_is_named(alpha: Tenant, pair, client_for) -> None:
    senior = senior_of(pair)
    m = meeting(
        alpha, pair, 2, cancelled_at=timezone.now(), cancelled_by=senior, cancelled_by_side="mentee"
    )
    detail, listing = pages(client_for(junior_of(pair)), pair, m)
    assert f"This meeting was cancelled by {senior.display_name} on" in detail
    assert f"by {senior.display_name}" in listing


def test_a_partner_whose_account_is_gone_is_a_former_member(
    alpha: Tenant, pair, client_for
) -> None:
    m = meeting(
        alpha, pair, 2, cancelled_at=timezone.now(), cancelled_by=None, cancelled_by_side="mentee"
    )
    detail, listing = pages(client_for(junior_of(pair)), pair, m)
    assert "This meeting was cancelled by a former member on" in detail
    assert "by a former member" in listing
