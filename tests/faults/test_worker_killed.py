"""A worker dies in the middle of its work (SIGKILL, out of memory): after the restart, every
due reminder is sent exactly once, and the claims agree with the emails that went out.

The restart is what production does: the killed task's message is redelivered (``acks_late``
with ``reject_on_worker_lost``) and beat keeps ticking the dispatchers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.mail.backends.locmem import EmailBackend

from mentorship import services as kernel
from mentorship.models import Notification
from mentorship.tasks import deliver_notification_email, dispatch_notification_emails
from pairings.models import ReminderDelivery
from pairings.tasks import dispatch_reminders
from tests.conftest import Tenant, make_tenant
from tests.faults.conftest import (
    WorkerKilled,
    a_minute_later,
    pairs_meeting_soon,
    people_of,
    reminder_emails,
)

pytestmark = pytest.mark.django_db(transaction=True)


def dies_on_call(number: int, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, except that the process dies on its ``number``-th call."""
    calls = 0

    def dying(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == number:
            raise WorkerKilled
        return function(*args, **kwargs)

    return dying


def restart(tenant: Tenant) -> None:
    """The worker is back: the killed email task is redelivered and beat ticks again."""
    with tenant.scope():
        notifications = list(Notification.objects.values_list("pk", flat=True))
    for notification_id in notifications:
        deliver_notification_email.apply(
            kwargs={"organization_id": tenant.organization.pk, "notification_id": notification_id}
        )
    dispatch_reminders.apply()
    a_minute_later()
    dispatch_notification_emails.apply()


def assert_claims_match_emails(tenant: Tenant) -> None:
    with tenant.scope():
        claims = ReminderDelivery.objects.all()
        assert not claims.filter(sent_at__isnull=True).exists()
        assert sorted(c.recipient.email for c in claims) == sorted(reminder_emails().elements())
        assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_killed_after_claiming_half_of_the_reminders(monkeypatch) -> None:
    alpha = make_tenant("alpha")
    pairings = pairs_meeting_soon(alpha, 3)  # six reminders due
    monkeypatch.setattr(kernel, "notification_send", dies_on_call(4, kernel.notification_send))
    with pytest.raises(WorkerKilled):
        dispatch_reminders.apply()
    # Three claimed, each with its notification in the inbox; the fourth claim died with its
    # transaction. A pass emails its notifications together when it ends, and this one died
    # first: no email yet (the notification dispatcher sends them once the worker is back).
    with alpha.scope():
        assert ReminderDelivery.objects.filter(sent_at__isnull=False).count() == 3
        assert Notification.objects.filter(emailed_at__isnull=True).count() == 3
    assert sum(reminder_emails().values()) == 0

    monkeypatch.undo()
    restart(alpha)
    assert reminder_emails() == dict.fromkeys(people_of(pairings), 1)
    assert_claims_match_emails(alpha)


def test_killed_while_an_email_was_being_sent(monkeypatch) -> None:
    alpha = make_tenant("alpha")
    pairings = pairs_meeting_soon(alpha, 3)
    # The third email's send dies before the mail server has it.
    monkeypatch.setattr(EmailBackend, "send_messages", dies_on_call(3, EmailBackend.send_messages))
    with pytest.raises(WorkerKilled):
        dispatch_reminders.apply()
    assert sum(reminder_emails().values()) == 2

    monkeypatch.undo()
    restart(alpha)
    assert reminder_emails() == dict.fromkeys(people_of(pairings), 1)
    assert_claims_match_emails(alpha)
