"""The kernel's reactions to Django's authentication signals: sign-ins into their records (the
logic is in services). Connected when the app is ready (``MentorshipConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from mentorship import services
from mentorship.authentication import sign_in_method
from mentorship.i18n import browser_language
from mentorship.middleware import ORGANIZATIONS_ENTERED_SESSION_KEY
from mentorship.models import SignIn
from mentorship.web import client_ip


@receiver(user_logged_in)
def _record_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    services.sign_in_record(
        user=user,
        succeeded=True,
        method=sign_in_method(request, user),
        ip_address=client_ip(request),
    )
    if request is not None:
        # Workers write to people in this language when they chose none (mentorship.i18n).
        services.user_browser_language_record(user=user, language=browser_language(request))
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
    services.sign_in_record(
        user=user, succeeded=False, method=SignIn.Method.PASSWORD, ip_address=client_ip(request)
    )
