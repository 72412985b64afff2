"""What a session's sign-in proved, and what a change of second factor does to the sessions.

allauth keeps, in each session, a record of the authentication steps taken in it: ``password``,
``mfa`` (an authenticator-app code, a recovery code or a security key, including a passkey
sign-in), with their time. The MFA gates (an organisation's policy in ``mentorship.tenancy``,
the operator admin in ``mentorship.security``) read that record: an account with an
authenticator is not enough, for a session signed in with the password before the account
enrolled one has never shown it.

When an authenticator is added, removed or its recovery codes renewed, the account's other
sessions end (like a password change), and the session that made the change goes on: an
authenticator it has just added was proved with a code there, which counts as its second factor.
"""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from mentorship.identity.sso import selectors as sso_selectors
from mentorship.models import Organization, SignIn, User

# allauth records the second-factor step of a session under this method (see module docstring).
SECOND_FACTOR = "mfa"
# ... and a sign-in through an identity provider under this one, with the app's provider id.
SSO_METHOD = "socialaccount"


def session_passed_second_factor(request: HttpRequest) -> bool:
    """Whether this session, not merely its account, passed a second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == SECOND_FACTOR for record in records)


def idp_second_factor_accepted(request: HttpRequest, organization: Organization) -> bool:
    """Whether this session signed in through ``organization``'s own identity provider, and the
    organisation accepts that provider's second factor instead of ours. Another organisation's
    provider counts for nothing here. No query unless the session signed in through one."""
    records = get_authentication_records(request, request.user)
    providers = [str(r.get("provider", "")) for r in records if r.get("method") == SSO_METHOD]
    if not providers:
        return False
    return sso_selectors.idp_second_factor_accepted(
        organization=organization, provider_ids=providers
    )


def second_factor_redirect(
    request: HttpRequest, *, why: str, enrol: str = "", next_url: str = ""
) -> HttpResponse | None:
    """None when this session passed a second factor; otherwise the page that puts it right.

    An account without one is sent to enrol (*Two-factor authentication*, which no gate
    covers: no loop). An account with one, in a session that signed in without it, confirms it
    with allauth's re-authentication, which records the step and returns to ``next_url`` (by
    default the page asked for). ``why`` opens the message; ``enrol`` is the sentence that
    follows it for an account to enrol ("Set it up here, then continue." by default): whole
    sentences, each translated on its own.
    """
    user = request.user
    if not is_mfa_enabled(user):
        enrol = enrol or _("Set it up here, then continue.")
        messages.warning(request, f"{why} {enrol}")
        return redirect("mfa_index")
    if session_passed_second_factor(request):
        return None
    confirm_text = _(
        "This session signed in without it: confirm with your second factor to continue."
    )
    messages.warning(request, f"{why} {confirm_text}")
    codes = is_mfa_enabled(user, [Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES])
    confirm = reverse("mfa_reauthenticate" if codes else "mfa_reauthenticate_webauthn")
    return redirect(f"{confirm}?{urlencode({'next': next_url or request.get_full_path()})}")


def sign_in_method(request: HttpRequest | None, user: User) -> SignIn.Method:
    """How the sign-in that is completing proved who it is, from the session's records."""
    if request is None:
        return SignIn.Method.OTHER
    records = get_authentication_records(request, user)
    methods = {record.get("method") for record in records}
    if any(r.get("method") == SECOND_FACTOR and r.get("passwordless") for r in records):
        return SignIn.Method.PASSKEY
    if {"password", SECOND_FACTOR} <= methods:
        return SignIn.Method.PASSWORD_AND_SECOND_FACTOR
    if "password" in methods:
        return SignIn.Method.PASSWORD
    # Nothing recorded: allauth signs in on email confirmation without a record (as after a
    # password reset or a code, which record their own method).
    if methods <= {"password_reset", "code"}:
        return SignIn.Method.EMAIL_LINK
    return SignIn.Method.OTHER


def sessions_end_others(*, request: HttpRequest, user: User) -> int:
    """End every session of ``user`` but this request's (allauth's session list knows them all:
    sign-ins record theirs, ``UserSessionActivityMiddleware`` any other). Returns how many."""
    current = request.session.session_key
    others = [s for s in UserSession.objects.filter(user=user) if s.session_key != current]
    get_usersessions_adapter().end_sessions(others)
    return len(others)


@receiver(authenticator_added)
def _second_factor_added(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any
) -> None:
    proved_here = authenticator.type in (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
    if proved_here and request.user.pk == user.pk:
        # Adding it took a code from it (or the key itself) in this session.
        record_authentication(
            request, user, SECOND_FACTOR, id=authenticator.pk, type=authenticator.type
        )
    sessions_end_others(request=request, user=user)


@receiver(authenticator_removed)
@receiver(authenticator_reset)
def _second_factor_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    sessions_end_others(request=request, user=user)
