"""Forms of the pairings app: the matching page, pair life, session logs and meetings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from pairings.matching import CRITERIA, CRITERIA_LABELS, DEFAULT_WEIGHTS, MAX_WEIGHT
from pairings.models import Meeting, SessionLog
from pairings.services.meetings import (
    MAX_DAYS_AHEAD,
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    PASSED_MESSAGE,
    TOO_FAR_AHEAD_MESSAGE,
)
from pairings.timezones import local_to_utc
from programs.forms import DateInput, TopicsField
from programs.models import SessionGuide, Topic


class WeightsForm(forms.Form):
    """What-if: one number per criterion, from 0 (ignored) to 20."""

    def __init__(
        self, *args: Any, initial_weights: dict[str, float] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        weights = {**DEFAULT_WEIGHTS, **(initial_weights or {})}
        for name in CRITERIA:
            self.fields[name] = forms.FloatField(
                label=gettext(CRITERIA_LABELS[name]),
                min_value=0,
                max_value=MAX_WEIGHT,
                initial=weights[name],
                widget=forms.NumberInput(attrs={"step": "0.5"}),
            )


class PairChoiceForm(forms.Form):
    """A pair chosen by ids: the values are checked against the program by the service."""

    junior = forms.IntegerField(min_value=1)
    senior = forms.IntegerField(min_value=1)


class SwapForm(forms.Form):
    first = forms.CharField(label=gettext_lazy("First pair"))
    second = forms.CharField(label=gettext_lazy("Second pair"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            data["pairs"] = tuple(
                tuple(int(x) for x in str(data[key]).split("-", 1)) for key in ("first", "second")
            )
        except (KeyError, ValueError) as exc:
            raise forms.ValidationError(_("Choose two pairs to swap.")) from exc
        return data


class ExitForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Anything HR should know (optional, only HR admins see it)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _text(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SessionLogForm(forms.Form):
    """A session log. One "progress now" field per learning objective of the author."""

    date = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    minutes = forms.IntegerField(
        label=pgettext_lazy("length of a session", "Minutes"),
        min_value=5,
        max_value=480,
        initial=60,
    )
    topics = TopicsField(queryset=None, required=False, label=gettext_lazy("Topics covered"))
    taught = _text(gettext_lazy("What I taught"))
    learned = _text(gettext_lazy("What I learned"))
    shared_notes = _text(gettext_lazy("Notes shared with my partner"))
    private_notes = _text(gettext_lazy("Private notes (only I ever see them)"))
    confirm_duplicate = forms.BooleanField(
        label=gettext_lazy("This is another session on the same day"),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(
        self,
        *args: Any,
        objectives: Any = (),
        guide: SessionGuide | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = Topic.objects.order_by("name")
        self.guide = guide
        if guide is not None:
            # Asked only when the meeting had a guide; optional, so a hurried log still saves.
            self.fields["guide_followed"] = forms.ChoiceField(
                label=_("Did you follow the plan's “Session %(number)s: %(title)s”?")
                % {"number": guide.position, "title": guide.title},
                # A blank choice first: an answer chosen by mistake can be taken back.
                choices=[
                    ("", _("Not answered")),
                    *SessionLog._meta.get_field("guide_followed").choices,
                ],
                required=False,
                initial="",
                widget=forms.RadioSelect,
            )
        self.objective_fields = []
        for objective in objectives:
            name = f"progress_{objective.pk}"
            self.fields[name] = forms.IntegerField(
                label=_("Progress on “%(topic)s” now (%%)") % {"topic": objective.topic.name},
                required=False,
                min_value=0,
                max_value=100,
                help_text=_("Now %(progress)s%%. Leave empty if this session did not touch it.")
                % {"progress": objective.progress},
            )
            self.objective_fields.append((objective.pk, name))

    def show_duplicate_confirmation(self) -> None:
        self.fields["confirm_duplicate"].widget = forms.CheckboxInput()

    def guide_answer(self) -> dict[str, Any]:
        """The service's ``guide_position`` and ``guide_followed`` (empty without a guide)."""
        if self.guide is None:
            return {}
        return {
            "guide_position": self.guide.position,
            "guide_followed": self.cleaned_data.get("guide_followed") or "",
        }

    def progress(self) -> dict[int, int]:
        return {
            pk: self.cleaned_data[name]
            for pk, name in self.objective_fields
            if self.cleaned_data.get(name) is not None
        }


# --- Meetings: a wall-clock date and time in the viewer's timezone, turned into UTC -------------


class TimeInput(forms.TimeInput):
    """A native time picker (24-hour ``HH:MM`` on the wire, whatever the browser shows)."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": 300, **(attrs or {})}, format="%H:%M")


class MeetingForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    time = forms.TimeField(label=gettext_lazy("Time"), widget=TimeInput)
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Duration (minutes)"),
        min_value=MIN_DURATION_MINUTES,
        max_value=MAX_DURATION_MINUTES,
        initial=60,  # the program's meeting length replaces it (``default_minutes``)
        widget=forms.NumberInput(attrs={"step": 5}),
    )
    location = forms.CharField(
        label=gettext_lazy("Location"),
        max_length=Meeting._meta.get_field("location").max_length,
        required=False,
        help_text=gettext_lazy("A room, an address or a video link."),
    )

    def __init__(
        self,
        *args: Any,
        tz: ZoneInfo,
        meeting: Meeting | None = None,
        default_minutes: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        if default_minutes is not None:
            self.fields["duration_minutes"].initial = default_minutes
        zone = tz.key.replace("_", " ")
        self.fields["time"].label = _("Time (%(zone)s)") % {"zone": zone}
        self.fields["time"].help_text = _(
            "In your timezone, %(zone)s. Your partner sees the meeting in theirs."
        ) % {"zone": zone}
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
        # Checked on the date before it meets a time zone: converting 31 December 9999 (or
        # 1 January 0001) to UTC would leave the range of dates altogether.
        if day is not None and day > timezone.localdate() + timedelta(days=MAX_DAYS_AHEAD):
            self.add_error("date", gettext(TOO_FAR_AHEAD_MESSAGE))
            return data
        if day is not None and day < timezone.localdate() - timedelta(days=2):
            self.add_error("date", gettext(PASSED_MESSAGE))
            return data
        if day is not None and at is not None:
            try:
                data["starts_at"] = local_to_utc(
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
