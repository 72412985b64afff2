"""Settings → Webhooks: HR admins add endpoints (the secret shown once), change, rotate, turn
off and on, delete (each asked first where it cannot be taken back), send a test event and
redeliver from the log; everyone else gets 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from mentorship.events.models import EventType, WebhookDelivery, WebhookEndpoint
from mentorship.events.services import event_emit
from mentorship.identity.secrets import decrypt
from mentorship.models import AuditEvent, Role
from tests.conftest import Tenant
from tests.events.support import Receiver, deliveries
from tests.identity.settings_support import reauthenticated
from tests.queries import assert_queries_do_not_grow

LIST = "/o/alpha/settings/webhooks/"
PAGE_QUERIES = 11
pytestmark = pytest.mark.usefixtures("private_networks")


@pytest.fixture
def hr(alpha: Tenant, client_for) -> Client:
    return reauthenticated(client_for(alpha.hr))


def shown_secret(response) -> str:
    match = re.search(
        r'<code id="webhook-secret"[^>]*>(whsec_[^<]+)</code>', response.content.decode()
    )
    assert match, response.content.decode()
    return match.group(1)


def add(hr: Client, url: str, **fields) -> object:
    data = {"url": url, "description": "Warehouse", "format": "standard"}
    data |= fields
    data.setdefault("event_types", [EventType.PAIRING_ACTIVE, EventType.SURVEY_OPENED])
    return hr.post(LIST, data)


def endpoints(tenant: Tenant) -> list[WebhookEndpoint]:
    with tenant.scope():
        return list(WebhookEndpoint.objects.all())


def audits(tenant: Tenant, action: str) -> list[AuditEvent]:
    with tenant.scope():
        return list(AuditEvent.objects.filter(action=action))


def page_of(endpoint: WebhookEndpoint) -> str:
    return f"{LIST}{endpoint.pk}/"


def test_the_list_starts_empty_and_settings_link_to_it(hr: Client) -> None:
    body = hr.get(LIST).content.decode()
    assert "No endpoints yet." in body and 'name="event_types"' in body
    assert LIST in hr.get("/o/alpha/settings/").content.decode()


def test_hr_admin_adds_an_endpoint_and_sees_its_secret_once(
    alpha: Tenant, hr: Client, receiver: Receiver
) -> None:
    response = add(hr, receiver.url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret = shown_secret(response)
    assert "shown only this once" in response.content.decode()
    [endpoint] = endpoints(alpha)
    assert decrypt(endpoint.secret) == secret and secret not in endpoint.secret
    assert endpoint.event_types == [EventType.PAIRING_ACTIVE, EventType.SURVEY_OPENED]
    assert endpoint.created_by == alpha.hr and endpoint.enabled
    listing = hr.get(LIST).content.decode()
    assert "Warehouse" in listing and secret not in listing
    assert secret not in hr.get(page_of(endpoint)).content.decode()
    [audit] = audits(alpha, AuditEvent.Action.WEBHOOK_CREATED)
    assert secret not in audit.summary and "/hook" not in audit.summary  # the host only


@pytest.mark.parametrize("role", [Role.SPONSOR, Role.PARTICIPANT])
def test_other_roles_get_404(alpha: Tenant, client_for, hr: Client, receiver, role) -> None:
    add(hr, receiver.url)
    [endpoint] = endpoints(alpha)
    client = reauthenticated(client_for(alpha.user(role)))
    for url in (
        LIST,
        page_of(endpoint),
        page_of(endpoint) + "rotate/",
        page_of(endpoint) + "test/",
        page_of(endpoint) + "delete/",
    ):
        assert client.get(url).status_code in (404, 405)
        assert client.post(url).status_code == 404
    assert (
        client.post(LIST, {"url": receiver.url, "event_types": ["pairing.active"]}).status_code
        == 404
    )
    assert len(endpoints(alpha)) == 1


def test_adding_needs_a_recent_confirmation(alpha: Tenant, client_for, receiver) -> None:
    stale = reauthenticated(client_for(alpha.hr), seconds_ago=3600)
    response = add(stale, receiver.url)
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert endpoints(alpha) == []


def test_a_refused_url_is_explained_on_the_form(alpha: Tenant, hr: Client, settings) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    body = add(hr, "https://127.0.0.1/hook").content.decode()
    assert "not reachable from the internet" in body and "loopback" in body
    body = add(hr, "http://93.184.216.34/hook").content.decode()
    assert "must start with https://" in body
    assert endpoints(alpha) == []


def test_a_chat_format_offers_program_level_events_only(alpha: Tenant, hr: Client) -> None:
    body = hr.get(LIST).content.decode()

    def checkbox(value: str) -> str:
        match = re.search(rf'<input[^>]*value="{value}"[^>]*>', body)
        assert match, value
        return match.group(0)

    # The marks the page's script hides the others by; the service refuses them regardless.
    assert 'data-chat="true"' in checkbox(EventType.PAIRING_ACTIVE)
    assert 'data-chat="true"' not in checkbox(EventType.PARTICIPANT_CREATED)
    response = add(
        hr,
        "https://hooks.slack.com.invalid/services/T/B/x",
        format="slack",
        event_types=[EventType.PARTICIPANT_CREATED],
    )
    assert "program-level news only" in response.content.decode()
    assert endpoints(alpha) == []


def test_send_a_test_event(
    alpha: Tenant, hr: Client, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    add(hr, receiver.url)
    [endpoint] = endpoints(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(page_of(endpoint) + "test/")
    assert response["Location"] == page_of(endpoint)
    [request] = receiver.received
    assert b'"type":"webhook.test"' in request.body
    [test] = deliveries(alpha)
    assert test.status == "delivered" and test.event.event_type == "webhook.test"
    log = hr.get(page_of(endpoint)).content.decode()
    assert "webhook.test" in log and "Delivered" in log and test.event.message_id in log
    assert len(audits(alpha, AuditEvent.Action.WEBHOOK_CHANGED)) == 1


def test_redeliver_sends_the_same_webhook_id_again(
    alpha: Tenant, hr: Client, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    add(hr, receiver.url)
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        event_emit(organization=alpha.organization, event_type="pairing.active", data={"id": 1})
    [delivered] = deliveries(alpha)
    [endpoint] = endpoints(alpha)
    url = f"{page_of(endpoint)}deliveries/{delivered.pk}/redeliver/"
    assert url in hr.get(page_of(endpoint)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert hr.post(url)["Location"] == page_of(endpoint)
    first, again = receiver.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"] == delivered.event.message_id
    [redelivered] = deliveries(alpha)
    assert redelivered.status == WebhookDelivery.Status.DELIVERED and redelivered.attempts == 1
    assert "sent again" in audits(alpha, AuditEvent.Action.WEBHOOK_CHANGED)[0].summary


def test_rotating_asks_first_then_shows_the_new_secret_once(
    alpha: Tenant, hr: Client, receiver
) -> None:
    first = shown_secret(add(hr, receiver.url))
    [endpoint] = endpoints(alpha)
    rotate = page_of(endpoint) + "rotate/"
    assert "Rotate the signing secret of" in hr.get(rotate).content.decode()
    assert decrypt(endpoints(alpha)[0].secret) == first
    response = hr.post(rotate)
    second = shown_secret(response)
    assert second != first and "no-store" in response["Cache-Control"]
    [rotated] = endpoints(alpha)
    assert decrypt(rotated.secret) == second and decrypt(rotated.previous_secret) == first
    assert "Rotation under way" in hr.get(page_of(endpoint)).content.decode()
    assert len(audits(alpha, AuditEvent.Action.WEBHOOK_SECRET_ROTATED)) == 1


def test_turning_off_asks_first_and_turning_on_needs_no_question(
    alpha: Tenant, hr: Client, receiver
) -> None:
    add(hr, receiver.url)
    [endpoint] = endpoints(alpha)
    disable = page_of(endpoint) + "disable/"
    assert "Turn off" in hr.get(disable).content.decode() and endpoints(alpha)[0].enabled
    assert hr.post(disable)["Location"] == page_of(endpoint)
    off = endpoints(alpha)[0]
    assert not off.enabled and alpha.hr.email in off.disabled_reason
    assert "Turn on" in hr.get(page_of(endpoint)).content.decode()
    assert hr.post(page_of(endpoint) + "enable/")["Location"] == page_of(endpoint)
    assert endpoints(alpha)[0].enabled


def test_deleting_asks_first(alpha: Tenant, hr: Client, receiver) -> None:
    add(hr, receiver.url)
    [endpoint] = endpoints(alpha)
    delete = page_of(endpoint) + "delete/"
    assert "cannot be undone" in hr.get(delete).content.decode()
    assert len(endpoints(alpha)) == 1
    assert hr.post(delete)["Location"] == LIST
    assert endpoints(alpha) == []
    assert len(audits(alpha, AuditEvent.Action.WEBHOOK_DELETED)) == 1


def test_editing_saves_and_is_audited(alpha: Tenant, hr: Client, receiver) -> None:
    add(hr, receiver.url)
    [endpoint] = endpoints(alpha)
    response = hr.post(
        page_of(endpoint),
        {
            "url": receiver.url,
            "description": "Data lake",
            "format": "standard",
            "event_types": [EventType.MEETING_SCHEDULED],
        },
    )
    assert response["Location"] == page_of(endpoint)
    [changed] = endpoints(alpha)
    assert changed.description == "Data lake" and changed.event_types == ["meeting.scheduled"]
    [audit] = audits(alpha, AuditEvent.Action.WEBHOOK_CHANGED)
    assert "description, events" in audit.summary


def test_the_edit_form_shows_the_url_shortened_and_keeps_it_unless_replaced(
    alpha: Tenant, hr: Client, receiver: Receiver
) -> None:
    """A Slack or Teams URL is the secret that lets anyone post to the channel: the page shows
    scheme and host only, and saving the form as shown keeps the URL."""
    secret_url = f"{receiver.url}/T0001/B0002/Xs3cr3tT0k3n"
    add(hr, secret_url, description="Channel")
    [endpoint] = endpoints(alpha)
    page = hr.get(page_of(endpoint)).content.decode()
    masked = f"http://127.0.0.1:{receiver.port}/…"
    assert "Xs3cr3tT0k3n" not in page and f'value="{masked}"' in page
    fields = {"format": "standard", "event_types": [EventType.PAIRING_ACTIVE]}
    for shown, description in ((masked, "As shown"), ("", "Emptied")):
        response = hr.post(page_of(endpoint), {"url": shown, "description": description, **fields})
        assert response.status_code == 302
        [kept] = endpoints(alpha)
        assert kept.url == secret_url and kept.description == description
    changes = [a.summary for a in audits(alpha, AuditEvent.Action.WEBHOOK_CHANGED)]
    assert len(changes) == 2 and all("URL" not in summary for summary in changes)
    hr.post(page_of(endpoint), {"url": receiver.url + "/new", "description": "New", **fields})
    assert endpoints(alpha)[0].url == receiver.url + "/new"


def _log_rows(tenant: Tenant, endpoint_id: int, count: int) -> None:
    with tenant.scope():
        for _ in range(count):
            event_emit(
                organization=tenant.organization, event_type="pairing.active", data={"id": 1}
            )
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id).update(
            status="failed",
            attempts=7,
            last_status_code=500,
            next_attempt_at=None,
            response_excerpt="boom",
            last_duration_ms=12,
        )


def test_the_delivery_log_is_paginated_and_htmx_gets_only_the_log(
    alpha: Tenant, hr: Client, receiver
) -> None:
    add(hr, receiver.url)
    [endpoint] = endpoints(alpha)
    assert "Nothing sent yet." in hr.get(page_of(endpoint)).content.decode()
    _log_rows(alpha, endpoint.pk, 30)
    first = hr.get(page_of(endpoint)).content.decode()
    assert "Page 1 of 2" in first and first.count("Redeliver<span") == 25
    partial = hr.get(page_of(endpoint) + "?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Page 2 of 2" in partial
    assert partial.count("Redeliver<span") == 5 and "12 ms" in partial and "boom" in partial


def test_the_pages_queries_do_not_grow_with_endpoints_and_deliveries(
    alpha: Tenant, hr: Client, receiver
) -> None:
    add(hr, receiver.url)
    [endpoint] = endpoints(alpha)
    _log_rows(alpha, endpoint.pk, 2)
    # Session, user and membership (the middleware); the endpoint; three kinds of second
    # factor (the re-authentication note); the log's count; the membership and the unread
    # count again (the base layout); the log's page, events joined. The list: the same, with
    # its endpoints instead of the endpoint and no log.
    assert_queries_do_not_grow(
        lambda: hr.get(page_of(endpoint)),
        grow=lambda: _log_rows(alpha, endpoint.pk, 30),
        pinned=PAGE_QUERIES,
    )

    def more_endpoints() -> None:
        for n in range(5):
            add(hr, f"{receiver.url}/{n}")

    assert_queries_do_not_grow(lambda: hr.get(LIST), grow=more_endpoints, pinned=PAGE_QUERIES - 2)


def test_a_delivery_is_found_only_under_its_own_endpoint(
    alpha: Tenant, hr: Client, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    add(hr, receiver.url)
    add(hr, receiver.url + "/b", event_types=[EventType.SURVEY_OPENED])
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        event_emit(organization=alpha.organization, event_type="pairing.active", data={"id": 1})
    [delivery] = deliveries(alpha)
    other = next(e for e in endpoints(alpha) if e.pk != delivery.endpoint_id)
    assert hr.post(f"{page_of(other)}deliveries/{delivery.pk}/redeliver/").status_code == 404
    assert len(receiver.received) == 1
