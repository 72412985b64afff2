"""Every notification goes to the in-app inbox and to email, each exactly once."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.core import mail
from django.utils import timezone

from mentorship import delivery, services
from mentorship.models import Notification
from mentorship.tasks import deliver_notification_email, dispatch_notification_emails
from tests.conftest import Tenant


def send(tenant: Tenant, capture, subject: str = "Your pairing is ready") -> Notification:
    with tenant.scope(), capture(execute=True):
        return services.notification_send(
            organization=tenant.organization,
            recipient=tenant.participant,
            subject=subject,
            body="Meet your partner.",
            url=f"/o/{tenant.organization.slug}/",
        )


def test_a_notification_reaches_inbox_and_email(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    send(alpha, django_capture_on_commit_callbacks)
    assert [m.subject for m in mail.outbox] == ["Your pairing is ready"]
    assert "http://testserver/o/alpha/" in mail.outbox[0].body
    client = client_for(alpha.participant)
    page = client.get(f"/o/{alpha.organization.slug}/notifications/").content.decode()
    assert "Your pairing is ready" in page
    assert '1<span class="visually-hidden"> unread' in page


def test_opening_marks_read_and_follows_the_link(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    n = send(alpha, django_capture_on_commit_callbacks)
    client = client_for(alpha.participant)
    response = client.post(f"/o/{alpha.organization.slug}/notifications/{n.pk}/open/")
    assert response["Location"] == f"/o/{alpha.organization.slug}/"
    page = client.get(f"/o/{alpha.organization.slug}/notifications/").content.decode()
    assert " unread" not in page


def test_mark_all_read(alpha: Tenant, client_for, django_capture_on_commit_callbacks) -> None:
    send(alpha, django_capture_on_commit_callbacks, "one")
    send(alpha, django_capture_on_commit_callbacks, "two")
    client = client_for(alpha.participant)
    client.post(f"/o/{alpha.organization.slug}/notifications/read-all/")
    with alpha.scope():
        assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_nobody_else_can_open_my_notification(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    n = send(alpha, django_capture_on_commit_callbacks)
    response = client_for(alpha.sponsor).post(
        f"/o/{alpha.organization.slug}/notifications/{n.pk}/open/"
    )
    assert response.status_code == 404


def test_empty_inbox_explains_itself(alpha: Tenant, client_for) -> None:
    page = (
        client_for(alpha.sponsor)
        .get(f"/o/{alpha.organization.slug}/notifications/")
        .content.decode()
    )
    assert "No notifications yet" in page


def test_delivery_is_idempotent(alpha: Tenant, django_capture_on_commit_callbacks) -> None:
    n = send(alpha, django_capture_on_commit_callbacks)
    with alpha.scope():
        assert delivery.notification_email_deliver(notification_id=n.pk) is False
    assert len(mail.outbox) == 1


def test_the_dispatcher_catches_up_lost_wake_ups_once(alpha: Tenant, beta: Tenant) -> None:
    # Rows created without their on-commit wake-up, as when the broker was down.
    for tenant in (alpha, beta):
        with tenant.scope():
            Notification.objects.create(
                organization=tenant.organization,
                recipient=tenant.hr,
                subject="Lost",
                created_at=timezone.now() - timedelta(minutes=2),
            )
    assert dispatch_notification_emails() == 2
    assert dispatch_notification_emails() == 0
    assert sorted(m.to[0] for m in mail.outbox) == [alpha.hr.email, beta.hr.email]


def test_a_failed_send_releases_the_claim_for_a_retry(alpha: Tenant, monkeypatch) -> None:
    with alpha.scope():
        n = Notification.objects.create(
            organization=alpha.organization, recipient=alpha.hr, subject="Retry me"
        )

    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("SMTP down")

    monkeypatch.setattr(delivery, "send_mail", broken)
    with alpha.scope():
        with pytest.raises(ConnectionError):
            delivery.notification_email_deliver(notification_id=n.pk)
        n.refresh_from_db()
        assert n.emailed_at is None
    monkeypatch.undo()
    with alpha.scope():
        assert delivery.notification_email_deliver(notification_id=n.pk) is True
    assert len(mail.outbox) == 1


def test_a_fresh_notification_is_left_to_its_own_wake_up(alpha: Tenant) -> None:
    with alpha.scope():
        Notification.objects.create(
            organization=alpha.organization, recipient=alpha.hr, subject="New"
        )
    assert dispatch_notification_emails() == 0


def test_the_task_retries_a_transient_mail_failure_and_sends_once(
    alpha: Tenant, monkeypatch
) -> None:
    with alpha.scope():
        n = Notification.objects.create(
            organization=alpha.organization, recipient=alpha.hr, subject="Flaky"
        )
    real_send = delivery.send_mail
    calls = []

    def flaky(*args: object, **kwargs: object) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise SMTPException("421 try again later")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(delivery, "send_mail", flaky)
    # Through the task itself: Celery rebuilds the retry from the arguments it recorded.
    deliver_notification_email.apply(
        kwargs={"organization_id": alpha.organization.pk, "notification_id": n.pk}, throw=False
    )
    assert len(calls) == 2
    assert [m.subject for m in mail.outbox] == ["Flaky"]


def test_a_message_that_keeps_failing_stops_blocking_the_queue(alpha: Tenant, monkeypatch) -> None:
    old = timezone.now() - timedelta(minutes=5)
    with alpha.scope():
        bad = Notification.objects.create(
            organization=alpha.organization, recipient=alpha.hr, subject="Bad", created_at=old
        )

    def refuse(*args: object, **kwargs: object) -> int:
        raise SMTPException("550 mailbox unavailable")

    monkeypatch.setattr(delivery, "send_mail", refuse)
    for _ in range(delivery.MAX_EMAIL_ATTEMPTS):
        with alpha.scope(), pytest.raises(SMTPException):
            delivery.notification_email_deliver(notification_id=bad.pk)
    monkeypatch.undo()
    with alpha.scope():
        good = Notification.objects.create(
            organization=alpha.organization, recipient=alpha.hr, subject="Good", created_at=old
        )
        assert delivery.notification_email_deliver(notification_id=bad.pk) is False
    assert dispatch_notification_emails() == 1
    assert [m.subject for m in mail.outbox] == ["Good"]
    with alpha.scope():
        bad.refresh_from_db()
        good.refresh_from_db()
    assert bad.email_attempts == delivery.MAX_EMAIL_ATTEMPTS and good.emailed_at is not None
