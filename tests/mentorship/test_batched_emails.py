"""The emails of a burst go out from one task per share: each is still claimed on its own, and
one that fails is left to the dispatcher without holding up the others."""

from __future__ import annotations

from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail

from mentorship import delivery
from mentorship.models import Notification
from mentorship.services import notification_send
from mentorship.tasks import deliver_notification_emails
from tests.conftest import Tenant


def test_one_failing_email_leaves_the_others_to_go_and_itself_to_the_dispatcher(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [alpha.hr, alpha.sponsor, alpha.participant]
    with alpha.scope():
        ids = [
            notification_send(
                organization=alpha.organization, recipient=user, subject="Hello", email_now=False
            ).pk
            for user in people
        ]
    assert not mail.outbox  # nothing sent before the batch runs
    real = delivery.send_mail

    def refuse_the_sponsor(**kwargs):  # type: ignore[no-untyped-def]
        if kwargs["recipient_list"] == [alpha.sponsor.email]:
            raise SMTPRecipientsRefused({alpha.sponsor.email: (550, b"no such user")})
        return real(**kwargs)

    monkeypatch.setattr(delivery, "send_mail", refuse_the_sponsor)
    sent = deliver_notification_emails.apply(
        kwargs={"organization_id": alpha.organization.pk, "notification_ids": ids}
    ).get()
    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alpha.hr.email, alpha.participant.email])
    with alpha.scope():
        failed = Notification.objects.get(recipient=alpha.sponsor)
    assert failed.emailed_at is None and failed.email_attempts == 1
    # Run again (a redelivered batch): the two sent are not sent twice.
    monkeypatch.setattr(delivery, "send_mail", real)
    assert (
        deliver_notification_emails.apply(
            kwargs={"organization_id": alpha.organization.pk, "notification_ids": ids}
        ).get()
        == 1
    )
    assert len(mail.outbox) == 3
