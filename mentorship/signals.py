"""Translate Django's authentication signals into sign-in records (the logic is in services)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import Signal, receiver
from django.http import HttpRequest

from mentorship.web import client_ip

# Sent (inside the transaction) when someone joins an organisation through an invitation, with
# ``membership``. Apps above the kernel listen; the kernel never imports them.
member_joined = Signal()
# Sent (inside the transaction) when a member is removed from an organisation, with
# ``membership``. Apps drop what must not outlive the membership, such as a calendar feed's secret:
# the row stays for history and is reused if the person comes back, so nothing tied to it may
# come back with them.
member_removed = Signal()
# Sent (inside the transaction) when an organisation's anonymity threshold changes, with
# ``organization`` and ``k``: feedback narrows its surveys' release plans there and then, so no
# page has to rebuild them on reading.
anonymity_threshold_changed = Signal()


@receiver(user_logged_in)
def _record_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    from mentorship import services
    from mentorship.authentication import sign_in_method
    from mentorship.tenancy import ORGANIZATIONS_ENTERED_SESSION_KEY

    services.sign_in_record(
        user=user,
        succeeded=True,
        method=sign_in_method(request, user),
        ip_address=client_ip(request),
    )
    if request is not None:
        # A new sign-in in the same browser keeps the session's data: each organisation records
        # this sign-in's entry afresh.
        request.session.pop(ORGANIZATIONS_ENTERED_SESSION_KEY, None)


@receiver(user_login_failed)
def _record_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    if not email:
        return
    user = get_user_model().objects.filter(email__iexact=email).first()
    if user is None:  # no account, no one to tell (allauth's rate limits still count it)
        return
    from mentorship import services
    from mentorship.models import SignIn

    services.sign_in_record(
        user=user, succeeded=False, method=SignIn.Method.PASSWORD, ip_address=client_ip(request)
    )
