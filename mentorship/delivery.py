"""Email delivery of the kernel's messages: invitations and notifications, each sent at most
once per claim. Tasks call it (``mentorship.tasks``); services only enqueue those tasks, so the
chain runs one way: services → tasks → delivery."""

from __future__ import annotations

import secrets

from django.core.mail import send_mail
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mentorship import selectors
from mentorship.i18n import recipient_language
from mentorship.models import Invitation, Notification, User, hash_token
from mentorship.web import absolute_url

MAX_EMAIL_ATTEMPTS = 5


def invitation_email_send(*, invitation_id: int) -> bool:
    """Email the invitation at most once. Returns whether this call sent it.

    The claim mints the link's secret and stores only its hash, so the secret exists in the
    email alone. If sending fails the claim is released and a retry mints a new one.
    """
    token = secrets.token_urlsafe(32)
    claimed = (
        selectors.invitations_pending()
        .filter(pk=invitation_id, emailed_at__isnull=True)
        .update(emailed_at=timezone.now(), token_hash=hash_token(token))
    )
    if claimed != 1:
        return False
    invitation = Invitation.objects.select_related("organization", "invited_by").get(
        pk=invitation_id
    )
    organization = invitation.organization
    # Someone with an account (a member elsewhere) reads their own language; otherwise the
    # organisation's default. Only the person's own setting is used: nothing of the other
    # organisation shows.
    invitee = User.objects.filter(email__iexact=invitation.email, is_active=True).first()
    with recipient_language(invitee, organization):
        inviter = invitation.invited_by.display_name if invitation.invited_by else _("An HR admin")
        values = {
            "inviter": inviter,
            "organization": organization.name,
            "role": invitation.get_role_display(),
            "link": invitation_link(token),
            "date": formats.date_format(timezone.localtime(invitation.expires_at), "DATE_FORMAT"),
        }
        subject = _("Invitation to %(organization)s") % values
        message = "\n\n".join(
            [
                _(
                    "%(inviter)s invited you to join %(organization)s as %(role)s on the "
                    "reverse-mentoring platform."
                )
                % values,
                _("Accept the invitation: %(link)s") % values,
                _("The link works once and expires on %(date)s.") % values,
            ]
        )
    try:
        send_mail(
            subject=subject,
            message=message,
            from_email=None,
            recipient_list=[invitation.email],
        )
    except Exception:
        Invitation.objects.filter(pk=invitation_id).update(emailed_at=None, token_hash=None)
        raise
    return True


def invitation_link(token: str) -> str:
    return absolute_url(reverse("invitation_accept", kwargs={"token": token}))


def notification_email_deliver(*, notification_id: int) -> bool:
    """Email one notification at most once. Returns whether this call sent it.

    The compare-and-set on ``emailed_at`` is the claim: a retry or a duplicate wake-up finds it
    taken and stops. If sending fails, the claim is released and the attempt counted; after
    ``MAX_EMAIL_ATTEMPTS`` the message stays in the inbox only, so a bad address cannot hold
    up everyone else's mail.
    """
    claimed = Notification.objects.filter(
        pk=notification_id, emailed_at__isnull=True, email_attempts__lt=MAX_EMAIL_ATTEMPTS
    ).update(emailed_at=timezone.now())
    if claimed != 1:
        return False
    notification = Notification.objects.select_related("recipient", "organization").get(
        pk=notification_id
    )
    # The subject and body were written in the recipient's language when the notification was
    # made (services.notification_send); anything composed here follows it too.
    with recipient_language(notification.recipient, notification.organization):
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{absolute_url(notification.url)}".strip()
    try:
        send_mail(
            subject=notification.subject,
            message=body,
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
    except Exception:
        Notification.objects.filter(pk=notification_id).update(
            emailed_at=None, email_attempts=F("email_attempts") + 1
        )
        raise
    return True
