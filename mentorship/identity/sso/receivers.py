"""What a completed sign-in does, from allauth's signals (logic in ``services``).

- Through an organisation's identity provider (allauth's ``user_logged_in`` with
  ``sociallogin``, sent once every step, the second factor included, is done): the person's
  directory attributes reach their membership, or a newcomer joins as a participant where the
  organisation says so. ``/accounts/`` is outside ``/o/<slug>/``, so the organisation's scope
  is entered here.
- With a password despite SSO-only (break-glass, ``forms.LoginForm`` marks the session): the
  organisation's audit log records it.
- An address the provider vouched for, in a claimed domain, on an existing account: allauth
  has just wiped any password set on it while unverified and linked the account
  (``social_account_added``); the address now counts as verified.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_logged_in
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.signals import social_account_added
from django.contrib import messages
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _

from mentorship.identity import selectors as identity_selectors
from mentorship.identity.models import SingleSignOn
from mentorship.identity.provisioning import DirectoryAttributes
from mentorship.identity.sso import selectors, services
from mentorship.identity.sso.adapter import mapped_attributes
from mentorship.models import User
from mentorship.tenancy import tenant_scope
from mentorship.web import client_ip


@receiver(pre_save, sender=SocialAccount, dispatch_uid="identity.sso.previous_issuer")
def _remember_previous_issuer(sender: Any, instance: SocialAccount, **kwargs: Any) -> None:
    """allauth saves the provider's new answer onto a linked account before our checks run
    (``SocialLogin.lookup``): the issuer it was linked through is kept on the instance, so the
    adapter can tell a link made through another provider (``sso.selectors.link_issuer``)."""
    if instance.pk is not None:
        instance._previous_issuer = selectors.stored_link_issuer(pk=instance.pk)  # type: ignore[attr-defined]


# Set by the sign-in form when an HR admin signs in with a password despite SSO-only:
# {"user": pk, "provider_id": ...}; read (and removed) when that sign-in completes.
BREAK_GLASS_SESSION_KEY = "sso_break_glass"


@receiver(user_logged_in, dispatch_uid="identity.sso.signed_in")
def _signed_in(
    sender: Any,
    request: HttpRequest,
    user: User,
    sociallogin: SocialLogin | None = None,
    **kwargs: Any,
) -> None:
    if sociallogin is None:
        _break_glass_audit(request, user)
        return
    sso = selectors.sso_for_provider_id(provider_id=sociallogin.account.provider)
    if sso is None:
        return
    with tenant_scope(sso.organization):
        mapped = mapped_attributes(sso, sociallogin)
        attributes = DirectoryAttributes(
            department=mapped["department"],
            title=mapped["title"],
            manager_email=mapped["manager_email"],
            level=mapped["level"],
        )
        membership = services.sign_in_complete(sso=sso, user=user, attributes=attributes)
    if membership is None:
        messages.info(
            request,
            (
                _(
                    "You are signed in, without access to %(organization)s yet: it gives access "
                    "by invitation. Ask your HR team for one."
                )
                if sso.new_people == SingleSignOn.NewPeople.INVITED_ONLY
                else _(
                    "You are signed in, but no longer have access to %(organization)s: ask your "
                    "HR team."
                )
            )
            % {"organization": sso.organization.name},
        )


def _break_glass_audit(request: HttpRequest, user: User) -> None:
    marker = request.session.pop(BREAK_GLASS_SESSION_KEY, None)
    if not isinstance(marker, dict) or marker.get("user") != user.pk:
        return
    sso = selectors.sso_for_provider_id(provider_id=str(marker.get("provider_id", "")))
    if sso is None:
        return
    with tenant_scope(sso.organization):
        services.break_glass_record(sso=sso, user=user, ip_address=client_ip(request))


@receiver(social_account_added, dispatch_uid="identity.sso.account_linked")
def _account_linked(
    sender: Any, request: HttpRequest, sociallogin: SocialLogin, **kwargs: Any
) -> None:
    email = getattr(sociallogin, "_did_authenticate_by_email", None)
    if not email:
        return
    sso = selectors.sso_for_provider_id(provider_id=sociallogin.account.provider)
    if sso is None:
        return
    with tenant_scope(sso.organization):
        if identity_selectors.is_claimed_by(organization=sso.organization, email=email):
            services.address_verify(user=sociallogin.user, email=email)
