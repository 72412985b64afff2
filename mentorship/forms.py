"""Forms of the kernel's pages. They validate input; services do the writing."""

from __future__ import annotations

from django import forms

from mentorship.models import AuditEvent, Role


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.PARTICIPANT)


class MemberRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label="Roles",
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one role. To take all access away, remove the member."
        },
    )


class MemberFilterForm(forms.Form):
    q = forms.CharField(label="Search by name or email", required=False, max_length=100)
    role = forms.ChoiceField(
        label="Role", required=False, choices=[("", "All roles"), *Role.choices]
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "All actions"), *AuditEvent.Action.choices]
    )


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    anonymity_threshold = forms.IntegerField(
        label="Anonymity threshold (k)",
        min_value=3,
        max_value=50,
        help_text="Survey figures from fewer people than this are withheld, for everyone. "
        "Never below 3.",
    )
    mfa_required = forms.BooleanField(
        label="HR admins and sponsors must use two-factor authentication", required=False
    )
