"""The dashboard filter: a date range and one department."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from mentorship.frame.dashboards import Filters

MAX_SPAN = timedelta(days=2 * 366)


class DashboardFilterForm(forms.Form):
    start = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)

    def __init__(self, *args: object, departments: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("All departments"))] + [
            (d, d) for d in departments
        ]

    def clean(self) -> dict:
        data = super().clean()
        default = Filters.default()
        start = data.get("start") or default.start
        end = data.get("end") or default.end
        if start > end:
            raise forms.ValidationError(_("The start date must be on or before the end date."))
        if end - start > MAX_SPAN:
            raise forms.ValidationError(_("Choose a range of at most two years."))
        if end > timezone.localdate() + timedelta(days=366):
            raise forms.ValidationError(_("Choose an end date within the next year."))
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> Filters:
        """The valid filters, or the defaults (the form then shows what was wrong)."""
        if self.is_valid():
            data = self.cleaned_data
            return Filters(start=data["start"], end=data["end"], department=data["department"])
        return Filters.default()


class DigestSettingsForm(forms.Form):
    sponsor_digest = forms.BooleanField(
        label=gettext_lazy("Email me the weekly digest of the programs I sponsor"),
        required=False,  # unticked is the opt-out, a valid answer
        help_text=gettext_lazy(
            "Sent on Monday mornings (from 07:00 UTC), also to your notifications here."
        ),
    )
