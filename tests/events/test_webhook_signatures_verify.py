"""Signed JSON, verified by the ``standardwebhooks`` library on a real receiver: the headers,
the secret stored encrypted, and a rotation during which both secrets verify for 24 hours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from mentorship.events import services
from mentorship.events.models import EventType, WebhookDelivery, WebhookEndpoint
from mentorship.events.services import event_emit
from mentorship.identity.secrets import decrypt
from tests.conftest import Tenant
from tests.events.support import Receiver, deliveries, make_endpoint

pytestmark = pytest.mark.usefixtures("private_networks")


def emit(tenant: Tenant, capture, data: dict | None = None):
    with tenant.scope(), capture(execute=True):
        return event_emit(
            organization=tenant.organization,
            event_type=EventType.PAIRING_ACTIVE,
            data=data or {"id": 7, "status": "active"},
        )


def test_a_delivered_event_verifies_with_the_standard_webhooks_library(
    alpha: Tenant, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    _, secret = make_endpoint(alpha, receiver.url)
    event = emit(alpha, django_capture_on_commit_callbacks)
    [request] = receiver.received
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "pairing.active"
    assert payload["data"] == {"id": 7, "status": "active"}
    assert request.headers["webhook-id"] == event.message_id
    assert request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert request.headers["webhook-signature"].startswith("v1,")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body + b" ", request.headers)
    [delivery] = deliveries(alpha)
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.last_duration_ms is not None and delivery.response_excerpt == "ok"


def test_the_secret_is_whsec_base64_and_stored_encrypted(alpha: Tenant, receiver) -> None:
    endpoint, secret = make_endpoint(alpha, receiver.url)
    assert secret.startswith("whsec_") and len(Webhook(secret)._whsecret) == 32
    assert secret not in endpoint.secret and decrypt(endpoint.secret) == secret


def test_another_secret_does_not_verify(
    alpha: Tenant, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_endpoint(alpha, receiver.url)
    _, other = make_endpoint(alpha, receiver.url + "/other", events=[EventType.SURVEY_OPENED])
    emit(alpha, django_capture_on_commit_callbacks)
    [request] = receiver.received
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(request.body, request.headers)


def test_after_a_rotation_both_secrets_verify_for_24_hours_then_only_the_new(
    alpha: Tenant, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    endpoint, old = make_endpoint(alpha, receiver.url)
    with alpha.scope():
        new = services.endpoint_secret_rotate(endpoint=endpoint, actor=alpha.hr)
        endpoint.refresh_from_db()
    assert new != old and new.startswith("whsec_")
    assert endpoint.rotation_ends_at is not None
    assert abs(endpoint.rotation_ends_at - (timezone.now() + timedelta(hours=24))) < timedelta(
        seconds=30
    )

    emit(alpha, django_capture_on_commit_callbacks)
    during = receiver.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)

    # 24 hours later (the webhook timestamp must stay current for the library to verify it,
    # so the end of the overlap is brought to now rather than the clock moved past it).
    with alpha.scope():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
        )
    emit(alpha, django_capture_on_commit_callbacks, data={"id": 8})
    after = receiver.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


def test_a_second_rotation_retires_the_first_secret_at_once(
    alpha: Tenant, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    endpoint, first = make_endpoint(alpha, receiver.url)
    with alpha.scope():
        second = services.endpoint_secret_rotate(endpoint=endpoint, actor=alpha.hr)
        third = services.endpoint_secret_rotate(endpoint=endpoint, actor=alpha.hr)
    emit(alpha, django_capture_on_commit_callbacks)
    [request] = receiver.received
    Webhook(second).verify(request.body, request.headers)
    Webhook(third).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(first).verify(request.body, request.headers)
