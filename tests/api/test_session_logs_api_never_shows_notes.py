"""The session logs API shows a log's date, minutes and topics and nothing anyone wrote: neither
notes (shared or private) nor what each side taught or learned, in no list, detail or webhook
payload; another organisation's logs answer 404; ``updated_since`` finds new logs; the list
costs the same at any size."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mentorship.events.models import EventType, WebhookEvent
from pairings.models import Pairing, SessionLog
from pairings.services import session_logs as log_services
from tests.api.support import api_client, results
from tests.api.test_pairing_webhook_events import listen
from tests.api.test_pairs_api_shows_status_history import go_live, proposed_pair
from tests.conftest import Tenant
from tests.factories import TopicFactory
from tests.queries import assert_queries_do_not_grow

URL = "/api/v1/session-logs/"
MARKERS = {
    "taught": "taught-marker-0a41",
    "learned": "learned-marker-77c2",
    "shared_notes": "shared-marker-e3b9",
    "private_notes": "private-marker-51d6",
}


def log(tenant: Tenant, pairing: Pairing, *, days_ago: int = 1, topics: list = ()) -> SessionLog:
    with tenant.scope():
        return log_services.session_log_create(
            pairing=pairing,
            author=pairing.mentor,
            date=timezone.localdate() - timedelta(days=days_ago),
            minutes=50,
            topics=topics,
            confirm_duplicate=True,
            **MARKERS,
        )


def test_a_log_shows_date_minutes_and_topics_only(alpha: Tenant) -> None:
    listen(alpha, EventType.SESSION_LOGGED)
    pairing = go_live(alpha, proposed_pair(alpha))
    topics = [
        TopicFactory(organization=alpha.organization),
        TopicFactory(organization=alpha.organization),
    ]
    written = log(alpha, pairing, topics=topics)
    client = api_client(alpha.organization)
    detail = client.get(f"{URL}{written.pk}/")
    assert detail.status_code == 200
    assert detail.json() == {
        "id": written.pk,
        "pair": pairing.pk,
        "author": pairing.mentor_id,
        "meeting": None,
        "date": written.date.isoformat(),
        "minutes": 50,
        "topics": sorted(t.pk for t in topics),
    }
    with alpha.scope():
        payloads = [e.payload for e in WebhookEvent.objects.filter(event_type="session.logged")]
    assert [p["data"] for p in payloads] == [detail.json()]
    bodies = [detail.content.decode(), client.get(URL).content.decode(), str(payloads)]
    for body in bodies:
        assert not any(marker in body for marker in MARKERS.values())


def test_another_organisations_logs_are_missing(alpha: Tenant, beta: Tenant) -> None:
    mine = log(alpha, go_live(alpha, proposed_pair(alpha)))
    theirs = log(beta, go_live(beta, proposed_pair(beta)))
    client = api_client(alpha.organization)
    assert [row["id"] for row in results(client.get(URL))] == [mine.pk]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert results(client.get(URL, {"pair": theirs.pairing_id})) == []


def test_updated_since_finds_new_logs(alpha: Tenant) -> None:
    pairing = go_live(alpha, proposed_pair(alpha))
    old = log(alpha, pairing, days_ago=3)
    with alpha.scope():
        SessionLog.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    new = log(alpha, pairing)
    client = api_client(alpha.organization)
    assert [row["id"] for row in results(client.get(URL, {"updated_since": since}))] == [new.pk]
    assert [row["id"] for row in results(client.get(URL, {"pair": pairing.pk}))] == [
        old.pk,
        new.pk,
    ]


def test_the_session_logs_list_costs_the_same_at_any_size(alpha: Tenant) -> None:
    pairing = go_live(alpha, proposed_pair(alpha))
    topic = TopicFactory(organization=alpha.organization)
    log(alpha, pairing, topics=[topic])
    client = api_client(alpha.organization)
    client.get(URL)  # the key's first use is recorded once a minute: not part of the pin

    def grow() -> None:
        for days_ago in range(2, 8):
            log(alpha, pairing, days_ago=days_ago, topics=[topic])

    _small, large = assert_queries_do_not_grow(
        # The key, the page of logs, their topics.
        lambda: client.get(URL),
        grow=grow,
        pinned=3,
    )
    assert len(large.result.json()["results"]) == 7
