"""Forms of "Find a time": picking up to three times (suggested or typed), and declining."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _

from pairings.forms import TimeInput
from pairings.models import MeetingProposal
from pairings.proposal_selectors import Suggestion
from pairings.services.meetings import MAX_DAYS_AHEAD, PASSED_MESSAGE, TOO_FAR_AHEAD_MESSAGE
from pairings.services.proposals import MAX_SLOTS
from pairings.timezones import local_to_utc
from programs.forms import DateInput

TYPED = range(1, MAX_SLOTS + 1)


class SuggestedTimesField(forms.MultipleChoiceField):
    """The suggestions ticked, as aware datetimes. Any well-formed time is accepted, not only
    the ones on the page: the list may have changed since it was shown, and the service checks
    every time anyway."""

    widget = forms.CheckboxSelectMultiple

    default_error_messages = {
        "invalid_choice": gettext_lazy("One of the ticked times is not a valid time. Pick again."),
    }

    def valid_value(self, value: str) -> bool:
        # A hand-made value at the calendar's edge ("0001-01-01T00:30+05:00") parses but has
        # no UTC instant: it is refused here rather than overflowing in the service.
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None or moment.utcoffset() is None:
                return False
            moment.astimezone(UTC)
        except (ValueError, OverflowError):
            return False
        return True

    def clean(self, value: Any) -> list[datetime]:
        values = super().clean(value)
        return [datetime.fromisoformat(v).astimezone(UTC) for v in values]


class ProposalForm(forms.Form):
    suggested = SuggestedTimesField(label=gettext_lazy("Suggested times"), required=False)
    location = forms.CharField(
        label=gettext_lazy("Location"),
        max_length=MeetingProposal._meta.get_field("location").max_length,
        required=False,
        help_text=gettext_lazy("A room, an address or a video link."),
    )
    message = forms.CharField(
        label=gettext_lazy("Message to your partner (optional)"),
        max_length=MeetingProposal._meta.get_field("message").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, tz: ZoneInfo, suggestions: Sequence[Suggestion] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        shown = _("%(mine)s (your partner: %(theirs)s)")
        self.fields["suggested"].choices = [
            (s.value, shown % {"mine": s.mine, "theirs": s.theirs}) for s in suggestions
        ]
        zone = tz.key.replace("_", " ")
        for n in TYPED:
            self.fields[f"date_{n}"] = forms.DateField(
                label=_("Date %(number)s") % {"number": n}, required=False, widget=DateInput
            )
            self.fields[f"time_{n}"] = forms.TimeField(
                label=_("Time %(number)s (%(zone)s)") % {"number": n, "zone": zone},
                required=False,
                widget=TimeInput,
            )

    def typed_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        """The typed date and time fields, side by side, for the template."""
        return [(self[f"date_{n}"], self[f"time_{n}"]) for n in TYPED]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        picked: list[datetime] = list(data.get("suggested") or [])
        for n in TYPED:
            day, at = data.get(f"date_{n}"), data.get(f"time_{n}")
            if day is None and at is None:
                continue
            if day is None or at is None:
                self.add_error(
                    f"time_{n}" if at is None else f"date_{n}",
                    _("Give both a date and a time, or leave both empty."),
                )
                continue
            # Checked on the date before it meets a time zone (as the meeting form does): a date
            # at either end of the calendar has no UTC instant in a zone beyond it.
            if day > timezone.localdate() + timedelta(days=MAX_DAYS_AHEAD):
                self.add_error(f"date_{n}", gettext(TOO_FAR_AHEAD_MESSAGE))
                continue
            if day < timezone.localdate() - timedelta(days=2):
                self.add_error(f"date_{n}", gettext(PASSED_MESSAGE))
                continue
            try:
                picked.append(
                    local_to_utc(local=datetime.combine(day, at.replace(tzinfo=None)), tz=self.tz)
                )
            except ValidationError as exc:
                self.add_error(f"time_{n}", exc)
            except OverflowError:
                self.add_error(f"date_{n}", gettext(PASSED_MESSAGE))
        if not self.errors:
            if not picked:
                raise ValidationError(_("Tick a suggested time or type one (up to three)."))
            if len(picked) > MAX_SLOTS:
                raise ValidationError(
                    _("Pick at most %(most)s times; you picked %(count)s.")
                    % {"most": MAX_SLOTS, "count": len(picked)}
                )
        data["slots"] = picked
        return data

    def proposal(self) -> dict[str, Any]:
        """The service's arguments but the pair, the actor and the length."""
        return {
            "slots": self.cleaned_data["slots"],
            "location": self.cleaned_data["location"],
            "message": self.cleaned_data["message"],
        }


class DeclineForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("A note to your partner (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
