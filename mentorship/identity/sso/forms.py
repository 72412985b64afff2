"""Forms of single sign-on: allauth's sign-in, sign-up and password-reset forms with the
SSO-only policy (``ACCOUNT_FORMS``), and home-realm discovery's one field."""

from __future__ import annotations

from typing import Any

from allauth.account import forms as account_forms
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mentorship.identity.models import SingleSignOn
from mentorship.identity.sso import selectors
from mentorship.identity.sso.receivers import BREAK_GLASS_SESSION_KEY


def sso_only_message(sso: SingleSignOn) -> SafeString:
    """Names the way in, with the link that starts it."""
    return format_html(
        _(
            '{organization} signs in through single sign-on: use <a href="{url}">Sign in with '
            "single sign-on</a>."
        ),
        organization=sso.organization.name,
        url=reverse("sso_start", kwargs={"slug": sso.organization.slug}),
    )


class LoginForm(account_forms.LoginForm):
    """allauth's sign-in, refusing a password for an account any of whose addresses is in a
    domain whose organisation signs in through single sign-on only, except break-glass (an HR
    admin of that organisation whose account has a second factor, which allauth asks for next;
    audited in ``receivers``).

    The refusal names the way in whatever the password was, and a wrong password of an HR
    admin gets the same answer: it tells nobody which addresses exist or may break glass.
    The password is still checked first, so failed attempts are counted and rate-limited as
    before."""

    break_glass_sso: SingleSignOn | None = None

    def clean(self) -> dict[str, Any]:
        login = (self.cleaned_data.get("login") or "").strip()
        sso = selectors.sso_only_for_email(email=login) if "@" in login else None
        try:
            cleaned = super().clean()
        except ValidationError:
            if sso is None:
                raise
            cleaned = None
        user = getattr(self, "user", None)
        if sso is None and user is not None and not self._errors:
            # The typed address is free, but the policy binds the account: another of its
            # addresses may be in an SSO-only domain. Known only once the password matched,
            # so a wrong password tells nobody which accounts are bound.
            sso = selectors.sso_only_for_account(user=user)
        if sso is None:
            return cleaned  # type: ignore[return-value]
        if (
            cleaned is not None
            and not self._errors
            and selectors.break_glass_allowed(sso=sso, user=user)
        ):
            self.break_glass_sso = sso
            return cleaned
        self.user = None
        raise ValidationError(sso_only_message(sso), code="sso_only")

    def login(self, request: HttpRequest, redirect_url: str | None = None) -> HttpResponse:
        if self.break_glass_sso is not None and self.user is not None:
            request.session[BREAK_GLASS_SESSION_KEY] = {
                "user": self.user.pk,
                "provider_id": self.break_glass_sso.provider_id,
            }
        return super().login(request, redirect_url=redirect_url)


class ResetPasswordForm(account_forms.ResetPasswordForm):
    """allauth's password reset, refused (with the way in) for an address its organisation
    signs in through single sign-on only, and for an account another of whose addresses is,
    except for break-glass HR admins."""

    def clean_email(self) -> str:
        email = super().clean_email()
        typed = selectors.sso_only_for_email(email=email)
        for user in self.users:
            # The account's other addresses count too (see LoginForm).
            sso = typed or selectors.sso_only_for_account(user=user)
            if sso is not None and not selectors.break_glass_allowed(sso=sso, user=user):
                raise ValidationError(sso_only_message(sso), code="sso_only")
        if typed is not None and not self.users:
            raise ValidationError(sso_only_message(typed), code="sso_only")
        return email


class SignupForm(account_forms.SignupForm):
    """allauth's sign-up, refused (with the way in) for an address its organisation signs in
    through single sign-on only: else confirming the address would sign in an account made
    with a password, around the policy. The first single sign-on makes the account instead."""

    def clean_email(self) -> str:
        email = super().clean_email()
        sso = selectors.sso_only_for_email(email=email)
        if sso is not None:
            raise ValidationError(sso_only_message(sso), code="sso_only")
        return email


class DiscoveryForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Work email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
