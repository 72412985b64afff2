"""Forms of Settings → API keys. They shape input; the services validate and write (their
errors name the field they belong to, so a view hands them back with ``add_error``)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentorship.api.models import OrganizationAPIKey

ACCESS_CHOICES = [
    ("read", _("Read: list and fetch the organisation's data")),
    ("read-write", _("Read-write: also add and change participants and send invitations")),
]


class APIKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"),
        max_length=OrganizationAPIKey._meta.get_field("name").max_length,
        help_text=_("The system that will use it, e.g. “HR data warehouse”."),
    )
    access = forms.ChoiceField(
        label=_("Access"), choices=ACCESS_CHOICES, initial="read", widget=forms.RadioSelect
    )
    expires_on = forms.DateField(
        label=_("Expires on (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "The key stops working at the end of this day (UTC). Leave empty for a key "
            "that works until it is revoked."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # The browser's date picker starts at today; the service refuses past dates anyway.
        self.fields["expires_on"].widget.attrs["min"] = timezone.now().date().isoformat()

    @property
    def can_write(self) -> bool:
        return self.cleaned_data["access"] == "read-write"
