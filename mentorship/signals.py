"""Translate Django's authentication signals into audit records (the logic is in services)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import Signal, receiver
from django.http import HttpRequest

# Sent (inside the transaction) when someone joins an organisation through an invitation, with
# ``membership``. Apps above the kernel listen; the kernel never imports them.
member_joined = Signal()
# Sent (inside the transaction) when a member is removed from an organisation, with
# ``membership``. Apps drop what must not outlive the membership, such as a calendar feed's secret:
# the row stays for history and is reused if the person comes back, so nothing tied to it may
# come back with them.
member_removed = Signal()


def _client_ip(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: a forwarded header is trivially forged unless a trusted proxy sets it.
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def _audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    from mentorship import services

    services.audit_sign_in(
        user=user, email=user.email, succeeded=True, ip_address=_client_ip(request)
    )


@receiver(user_login_failed)
def _audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    if not email:
        return
    user = get_user_model().objects.filter(email__iexact=email).first()
    from mentorship import services

    services.audit_sign_in(user=user, email=email, succeeded=False, ip_address=_client_ip(request))
