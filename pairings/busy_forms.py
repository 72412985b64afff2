"""The form of a member's own calendar connection (free/busy)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pairings.busy_fetch import URL_MAX_LENGTH


class BusyCalendarForm(forms.Form):
    # Checked by the service (``busy_calendar_set``), which knows what may be read.
    url = forms.CharField(
        label=_("Private address of your calendar in iCal format"),
        max_length=URL_MAX_LENGTH,
        help_text=_("It starts with https:// or webcal:// and often ends in .ics."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "inputmode": "url",
                "placeholder": "https://calendar.google.com/calendar/ical/…/basic.ics",
            }
        ),
    )
