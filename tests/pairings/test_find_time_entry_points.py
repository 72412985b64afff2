"""Issue: "The inactivity nudge and the 'Log your session' prompt link straight to 'Find a
time'"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mentorship.models import Notification
from pairings.models import Pairing, PairingEvent
from tests.conftest import Tenant
from tests.pairings.conftest import active_pair
from tests.pairings.test_reminders import meeting, send


@pytest.fixture
def pair(alpha: Tenant, matching_program) -> Pairing:
    pairing = active_pair(alpha, matching_program)
    with alpha.scope():
        PairingEvent.objects.create(
            organization=alpha.organization, pairing=pairing, status="active"
        )
    return pairing


def test_the_inactivity_nudge_links_to_find_a_time(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks, settings
) -> None:
    settings.PAIR_INACTIVITY_DAYS = 21
    with alpha.scope():
        Pairing.objects.filter(pk=pair.pk).update(last_met_at=timezone.now() - timedelta(days=22))
        PairingEvent.objects.update(created_at=timezone.now() - timedelta(days=60))
    send(alpha, django_capture_on_commit_callbacks)
    with alpha.scope():
        nudges = list(Notification.objects.filter(subject__startswith="Time to meet"))
    assert len(nudges) == 2
    assert all(n.url.endswith(f"/pairs/{pair.pk}/find-a-time/") for n in nudges), [
        n.url for n in nudges
    ]


def test_the_log_your_session_prompt_links_to_find_a_time(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    meeting(alpha, pair, -timedelta(hours=2), minutes=60)
    send(alpha, django_capture_on_commit_callbacks)
    with alpha.scope():
        prompts = list(Notification.objects.filter(subject__startswith="Log your session"))
    assert prompts
    find = f"/pairs/{pair.pk}/find-a-time/"
    assert all(find in n.url or find in n.body for n in prompts), [(n.url, n.body) for n in prompts]
