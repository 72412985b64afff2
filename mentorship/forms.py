"""Forms of the kernel's pages. They validate input; services do the writing."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mentorship.models import AuditEvent, Role


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.PARTICIPANT)


class MemberRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one role. To take all access away, remove the member.")
        },
    )


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Search by name or email"), required=False, max_length=100)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *AuditEvent.Action.choices],
    )


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    anonymity_threshold = forms.IntegerField(
        label=_("Anonymity threshold (k)"),
        min_value=3,
        max_value=50,
        help_text=_(
            "Survey figures from fewer people than this are withheld, for everyone. Never below 3."
        ),
    )
    mfa_required = forms.BooleanField(
        label=_("HR admins and sponsors must use two-factor authentication"), required=False
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=settings.LANGUAGES,
        required=False,
        help_text=_(
            "For people who have not chosen a language and whose browser asks for none that "
            "the product speaks; also the language of invitations. Everyone can choose their "
            "own in the account menu."
        ),
    )


class LanguageForm(forms.Form):
    """The account menu's language switch ("" = automatic)."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Automatic (browser)")), *settings.LANGUAGES],
        required=False,
    )
    next = forms.CharField(required=False)
