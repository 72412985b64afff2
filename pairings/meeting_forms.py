"""The meeting form: a wall-clock date and time in the viewer's timezone, turned into UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError

from pairings import meetings
from pairings.models import Meeting
from programs.forms import DateInput


class TimeInput(forms.TimeInput):
    """A native time picker (24-hour ``HH:MM`` on the wire, whatever the browser shows)."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": 300, **(attrs or {})}, format="%H:%M")


class MeetingForm(forms.Form):
    date = forms.DateField(widget=DateInput)
    time = forms.TimeField(widget=TimeInput)
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=meetings.MIN_DURATION_MINUTES,
        max_value=meetings.MAX_DURATION_MINUTES,
        initial=60,
        widget=forms.NumberInput(attrs={"step": 5}),
    )
    location = forms.CharField(
        max_length=Meeting._meta.get_field("location").max_length,
        required=False,
        help_text="A room, an address or a video link.",
    )

    def __init__(
        self, *args: Any, tz: ZoneInfo, meeting: Meeting | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        zone = tz.key.replace("_", " ")
        self.fields["time"].label = f"Time ({zone})"
        self.fields[
            "time"
        ].help_text = f"In your timezone, {zone}. Your partner sees the meeting in theirs."
        if meeting is not None and not self.is_bound:
            local = meeting.starts_at.astimezone(tz)
            self.initial.update(
                date=local.date(),
                time=local.time().replace(second=0, microsecond=0),
                duration_minutes=meeting.duration_minutes,
                location=meeting.location,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        day, at = data.get("date"), data.get("time")
        if day is not None and at is not None:
            try:
                data["starts_at"] = meetings.local_to_utc(
                    local=datetime.combine(day, at.replace(tzinfo=None)), tz=self.tz
                )
            except ValidationError as exc:
                self.add_error("time", exc)
        return data

    def slot(self) -> dict[str, Any]:
        """The service's arguments: ``starts_at`` (UTC), ``duration_minutes``, ``location``."""
        return {
            "starts_at": self.cleaned_data["starts_at"],
            "duration_minutes": self.cleaned_data["duration_minutes"],
            "location": self.cleaned_data["location"],
        }
