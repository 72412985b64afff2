"""Redis goes away (cache and broker): pages still serve, /healthz says the broker is down, and
the reminders due meanwhile go out once it is back, none lost and none twice."""

from __future__ import annotations

import pytest
from django.core import mail
from kombu.exceptions import OperationalError as BrokerUnavailable

from mentorship.models import Notification
from mentorship.tasks import dispatch_notification_emails
from pairings.models import ReminderDelivery
from pairings.tasks import dispatch_reminders, send_due_reminders
from tests.conftest import PASSWORD, Tenant, make_tenant
from tests.faults.conftest import (
    RedisSwitch,
    a_minute_later,
    pairs_meeting_soon,
    people_of,
    reminder_emails,
)


def test_pages_serve_while_redis_is_down(alpha: Tenant, client, client_for, redis) -> None:
    redis.stop()
    assert client.get("/accounts/login/").status_code == 200
    hr = client_for(alpha.hr)
    for path in ("/o/alpha/", "/o/alpha/members/", "/o/alpha/programs/", "/o/alpha/audit/"):
        assert hr.get(path).status_code == 200, path
    participant = client_for(alpha.participant)
    for path in ("/o/alpha/", "/o/alpha/pairs/", "/o/alpha/notifications/"):
        assert participant.get(path).status_code == 200, path


def test_healthz_stays_200_and_reports_the_broker_down_until_it_is_back(client, db, redis) -> None:
    """The web tier still serves without Redis, so a load balancer must keep it: the status
    is 200 and monitoring reads the broker's state from the JSON."""
    redis.stop()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] == "down"
    redis.start()
    assert client.get("/healthz").json()["broker"] == "ok"


def test_signing_in_works_while_redis_is_down(alpha: Tenant, client, redis) -> None:
    redis.stop()
    response = client.post("/accounts/login/", {"login": alpha.hr.email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_dispatch_while_redis_is_down_claims_nothing_and_the_next_tick_sends_once(
    redis: RedisSwitch,
) -> None:
    alpha = make_tenant("alpha")
    pairings = pairs_meeting_soon(alpha, 3)
    redis.stop()
    # A beat tick reached the worker just before Redis went: its fan-out cannot be published.
    result = dispatch_reminders.apply()
    assert result.failed() and isinstance(result.result, BrokerUnavailable)
    with alpha.scope():
        assert not ReminderDelivery.objects.exists()  # nothing claimed, so nothing is lost
    assert not mail.outbox

    redis.start()
    # The first tick with Redis back: one pass for the organisation (not one per pair).
    assert dispatch_reminders.apply().result == 1
    dispatch_reminders.apply()  # and the next one: nothing twice
    a_minute_later()
    dispatch_notification_emails.apply()
    assert reminder_emails() == dict.fromkeys(people_of(pairings), 1)


@pytest.mark.django_db(transaction=True)
def test_reminders_claimed_while_redis_is_down_are_emailed_at_once_and_never_again(
    redis: RedisSwitch,
) -> None:
    alpha = make_tenant("alpha")
    pairings = pairs_meeting_soon(alpha, 3)
    redis.stop()
    # The pass of one organisation runs while Redis is down (it had started before): each
    # email's wake-up cannot be published, so it is sent in-process after commit.
    send_due_reminders.apply(kwargs={"organization_id": alpha.organization.pk})
    assert reminder_emails() == dict.fromkeys(people_of(pairings), 1)

    redis.start()
    dispatch_reminders.apply()
    a_minute_later()
    dispatch_notification_emails.apply()
    assert reminder_emails() == dict.fromkeys(people_of(pairings), 1)
    with alpha.scope():
        assert ReminderDelivery.objects.filter(sent_at__isnull=False).count() == 6
        assert not Notification.objects.filter(emailed_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_reminders_whose_email_failed_while_redis_was_down_go_out_once_it_is_back(
    redis: RedisSwitch, settings
) -> None:
    """Redis and the mail server down together: the in-process fallback gets one attempt,
    not all of them at once, so the email dispatcher still owes the email when both are back."""
    alpha = make_tenant("alpha")
    pairings = pairs_meeting_soon(alpha, 2)
    redis.stop()
    settings.EMAIL_BACKEND = "tests.faults.conftest.MailServerDown"
    send_due_reminders.apply(kwargs={"organization_id": alpha.organization.pk})
    assert not mail.outbox
    with alpha.scope():
        assert Notification.objects.filter(emailed_at__isnull=True).count() == 4

    redis.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dispatch_reminders.apply()
    a_minute_later()
    dispatch_notification_emails.apply()
    dispatch_notification_emails.apply()
    assert reminder_emails() == dict.fromkeys(people_of(pairings), 1)
