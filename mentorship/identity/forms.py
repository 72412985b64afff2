"""Forms of the identity settings pages. They shape input; the services validate and write
(their errors name the field they belong to, so a view hands them back with ``add_error``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from mentorship.identity.mapping import PROFILE_FIELDS
from mentorship.identity.models import SingleSignOn
from mentorship.models import Role

MAPPED_FIELD_LABELS = {
    "email": _("Email address"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "department": _("Department"),
    "title": _("Job title"),
    "manager_email": _("Manager's email address"),
    "level": _("Level (a number)"),
}


class SamlForm(forms.Form):
    """The IdP's metadata XML, or its three values typed in."""

    metadata = forms.CharField(
        label=_("IdP metadata XML"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("Paste the federation metadata document. It replaces the fields below."),
    )
    entity_id = forms.CharField(label=_("IdP entity ID"), max_length=500, required=False)
    sso_url = forms.CharField(
        label=_("IdP single sign-on URL"),
        max_length=500,
        required=False,
        widget=forms.URLInput(),
        help_text=_("The HTTP-Redirect binding's URL."),
    )
    certificate = forms.CharField(
        label=_("IdP signing certificate"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("PEM, or the base64 text of the .cer file."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("metadata", "").strip() and not any(
            data.get(k, "").strip() for k in ("entity_id", "sso_url", "certificate")
        ):
            raise forms.ValidationError(
                _("Paste the metadata XML, or fill in the entity ID, URL and certificate.")
            )
        return data


class OidcForm(forms.Form):
    issuer = forms.CharField(
        label=_("Issuer URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://login.example.com"}),
        help_text=_(
            "Its discovery document (/.well-known/openid-configuration) is checked on save."
        ),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, secret_saved: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Never shown again: the field only says whether one is saved.
        self.fields["client_secret"].help_text = (
            _("Saved — leave empty to keep it.")
            if secret_saved
            else _("Shown once by your provider.")
        )


class PoliciesForm(forms.Form):
    sso_only = forms.BooleanField(
        label=capfirst(SingleSignOn._meta.get_field("sso_only").verbose_name),
        help_text=_(
            "People with an address in a claimed domain cannot sign in or reset a "
            "password here: they use single sign-on. Applies while single sign-on is live."
        ),
        required=False,
    )
    break_glass = forms.BooleanField(
        # Translators: the label of the break-glass policy: HR admins may still sign in with a
        # password. ("hr" is in lower case in the English source only by accident.)
        label=_("Break-glass sign-in for hr admins"),
        help_text=_(
            "HR admins may still sign in with password and second factor, so a broken "
            "identity provider does not lock the organisation out. Each use is audited."
        ),
        required=False,
    )
    new_people = forms.ChoiceField(
        label=_("People signing in for the first time"),
        choices=SingleSignOn.NewPeople.choices,
        widget=forms.RadioSelect,
    )
    accept_idp_mfa = forms.BooleanField(
        label=capfirst(SingleSignOn._meta.get_field("accept_idp_mfa").verbose_name),
        help_text=SingleSignOn._meta.get_field("accept_idp_mfa").help_text,
        required=False,
    )


class MappingForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Preset"),
        choices=SingleSignOn.MappingPreset.choices,
        help_text=_("“Apply the preset” fills the fields below with its attribute names."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in PROFILE_FIELDS:
            self.fields[name] = forms.CharField(
                label=MAPPED_FIELD_LABELS[name], max_length=255, required=False
            )

    def mapping(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in PROFILE_FIELDS}


class DomainClaimForm(forms.Form):
    domain = forms.CharField(
        label=_("Domain"),
        max_length=253,
        widget=forms.TextInput(attrs={"placeholder": "example.com", "autocomplete": "off"}),
    )


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("Where it is used, e.g. “Okta provisioning”."),
    )


GROUP_ROLE_CHOICES = [("", _("No role")), *Role.choices]


class GroupRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=GROUP_ROLE_CHOICES, required=False)
