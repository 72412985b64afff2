"""The weekly availability page's form: one checkbox per half hour of the grid, a quick way to
add a range without ticking boxes one by one, the time zone and the note.

The quick actions ("Copy Monday to all weekdays", "Add", "Clear the grid") change the ticked
boxes and show the page again unsaved: nothing typed is lost, and "Save" keeps the result.

Hours outside the grid's 06:00–22:00 (set through the API, or copied from Monday) are listed
under the grid as ticked boxes of their own, posted with the grid's (``slots``, values such as
"0-05:00-06:00"): Save stores exactly what the page showed, and unticking one drops it. A post
that lists none of them and lacks the ``outside_listed`` marker (a page from before they were
listed) keeps the saved ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from programs import availability as weekly
from programs.forms import timezone_choices
from programs.models import Participant

# The days' names in the reader's language (Django's own translations), Monday first, as
# ``programs.availability`` numbers them.
DAY_NAMES = [WEEKDAYS[day] for day in range(7)]


def summary_for_people(ranges: Any) -> str:
    """:func:`programs.availability.summary` with the days' short names in the active
    language."""
    return weekly.summary(ranges, day_short=[str(WEEKDAYS_ABBR[day]) for day in range(7)])


SAVE, COPY_MONDAY, ADD, CLEAR = "save", "copy-monday", "add", "clear"
ACTIONS = (SAVE, COPY_MONDAY, ADD, CLEAR)
EVERY_WEEKDAY, EVERY_DAY = "weekdays", "all"


def _slot_choices() -> list[tuple[str, str]]:
    return [
        (
            weekly.cell_key(day, minute),
            f"{name} {weekly.clock(minute)}–{weekly.clock(minute + weekly.STEP_MINUTES)}",
        )
        for day, name in enumerate(DAY_NAMES)
        for minute in weekly.grid_times()
    ]


def _time_choices(*, ends: bool) -> list[tuple[str, str]]:
    step = weekly.STEP_MINUTES
    first = weekly.GRID_START + (step if ends else 0)
    last = weekly.GRID_END + (step if ends else 0)
    return [(weekly.clock(m), weekly.clock(m)) for m in range(first, last, step)]


@dataclass(frozen=True)
class Slot:
    """One checkbox of the grid as the template draws it."""

    key: str
    id: str
    time: str
    label: str
    checked: bool


@dataclass(frozen=True)
class Day:
    index: int
    name: str
    slots: list[Slot]


class _SlotsField(forms.MultipleChoiceField):
    """The grid's boxes, and the boxes of the ranges kept outside the grid's hours."""

    def valid_value(self, value: str) -> bool:
        return super().valid_value(value) or _range_key_span(value) is not None


def _range_key_span(key: str) -> weekly.Span | None:
    try:
        return weekly.parse_range_key(key)
    except ValueError:
        return None


class AvailabilityForm(forms.Form):
    slots = _SlotsField(choices=_slot_choices, required=False)
    # Present when the page listed the hours outside the grid: then the ones not posted were
    # unticked, rather than never shown.
    outside_listed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    timezone = forms.ChoiceField(
        choices=timezone_choices,
        label=_("Time zone"),
        help_text=_("The hours above are in this zone; your partner sees them in theirs."),
    )
    availability = forms.CharField(
        label=_("Availability note"),
        required=False,
        max_length=Participant._meta.get_field("availability").max_length,
        help_text=_("Anything the weekly hours do not say, e.g. “not in August”."),
    )
    apply_to_all = forms.BooleanField(
        label=_("Use these hours in my other programs too"), required=False
    )
    add_day = forms.ChoiceField(
        label=_("Day"),
        required=False,
        choices=[
            (EVERY_WEEKDAY, _("Every weekday")),
            (EVERY_DAY, _("Every day")),
            *((str(i), name) for i, name in enumerate(DAY_NAMES)),
        ],
    )
    add_start = forms.ChoiceField(
        label=_("From"), required=False, choices=_time_choices(ends=False)
    )
    add_end = forms.ChoiceField(label=_("To"), required=False, choices=_time_choices(ends=True))
    action = forms.ChoiceField(required=False, choices=[(a, a) for a in ACTIONS])

    def __init__(self, *args: Any, kept: list[weekly.Range] | None = None, **kwargs: Any) -> None:
        # The saved ranges outside the grid's hours, for a post that does not list them.
        self.saved_kept = kept or []
        super().__init__(*args, **kwargs)

    @classmethod
    def for_participant(
        cls, participant: Participant, data: QueryDict | None = None
    ) -> AvailabilityForm:
        ranges = participant.weekly_availability or []
        initial = {
            "slots": sorted(weekly.cell_key(d, m) for d, m in weekly.ranges_to_cells(ranges)),
            "timezone": participant.timezone or "UTC",
            "availability": participant.availability,
            "add_start": "09:00",
            "add_end": "12:00",
            "outside_listed": True,
        }
        return cls(data, initial=initial, kept=weekly.outside_grid(ranges))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        action = data.get("action") or SAVE
        data["action"] = action
        if action == ADD:
            start, end = data.get("add_start") or "", data.get("add_end") or ""
            if not start:
                self.add_error("add_start", _("Choose when the hours to add start."))
            if not end:
                self.add_error("add_end", _("Choose when the hours to add end."))
            if start and end and weekly.parse_clock(start) >= weekly.parse_clock(end):
                self.add_error("add_end", _("The end must be after the start."))
        return data

    def _ticked(self) -> tuple[list[weekly.Cell], list[weekly.Range]]:
        """The grid's cells and the kept ranges ticked: posted (the valid boxes of them, even
        when something else in the form is wrong) or, on a first visit, saved."""
        if not self.is_bound:
            keys, listed = list(self.initial.get("slots", [])), False
        else:
            keys = self.data.getlist("slots")
            listed = self.data.get("outside_listed") in ("True", "true", "on", "1")
        cells: list[weekly.Cell] = []
        kept: list[weekly.Span] = []
        for key in keys:
            span = _range_key_span(key)
            if span is not None:
                kept.append(span)
                continue
            try:
                cells.append(weekly.parse_cell_key(key))
            except ValueError:
                continue  # refused by the field, with its message
        if not self.is_bound or (not kept and not listed):
            return cells, self.saved_kept
        return cells, weekly.combine(weekly.ranges_of(kept))

    @property
    def kept(self) -> list[weekly.Range]:
        """The ranges outside the grid's hours the page shows as kept."""
        return self._ticked()[1]

    def kept_boxes(self) -> list[Slot]:
        return [
            Slot(
                key=weekly.range_key(day, start, end),
                id=f"kept-{day}-{start}-{end}",
                time=weekly.clock(start),
                label=f"{DAY_NAMES[day]} {weekly.clock(start)}–{weekly.clock(end)}",
                checked=True,
            )
            for day, start, end in weekly.spans_of(self.kept)
        ]

    def ranges(self) -> list[weekly.Range]:
        """The ticked boxes, and the kept ranges, as stored ranges."""
        cells, kept = self._ticked()
        return weekly.combine(weekly.cells_to_ranges(cells), kept)

    def ranges_after_action(self) -> list[weekly.Range]:
        """What a quick action makes of the ticked boxes."""
        action, ranges = self.cleaned_data["action"], self.ranges()
        if action == COPY_MONDAY:
            return weekly.copy_day(ranges, source=0, targets=weekly.WEEKDAYS)
        if action == CLEAR:
            # The grid only: the hours outside it stay listed, ticked, for Save to keep (or
            # for the person to untick), so the page and Save agree.
            return self.kept
        if action == ADD:
            choice = self.cleaned_data.get("add_day") or EVERY_WEEKDAY
            days = (
                weekly.WEEKDAYS
                if choice == EVERY_WEEKDAY
                else range(7)
                if choice == EVERY_DAY
                else [int(choice)]
            )
            start, end = self.cleaned_data["add_start"], self.cleaned_data["add_end"]
            return weekly.combine(ranges, [[day, start, end] for day in days])
        return ranges

    def shown_again(self, ranges: list[weekly.Range]) -> AvailabilityForm:
        """The same form, its boxes ticked as ``ranges`` say, everything else as typed."""
        data = self.data.copy()
        data.setlist(
            "slots",
            [
                *sorted(weekly.cell_key(d, m) for d, m in weekly.ranges_to_cells(ranges)),
                *(weekly.range_key(*span) for span in weekly.spans_of(weekly.outside_grid(ranges))),
            ],
        )
        data["action"] = SAVE
        data["outside_listed"] = "True"
        return AvailabilityForm(data, kept=self.saved_kept)

    def days(self) -> list[Day]:
        """The grid, ticked from what was posted (or from the saved ranges on a first visit)."""
        if self.is_bound:
            ticked = set(self.data.getlist("slots"))
        else:
            ticked = set(self.initial.get("slots", []))
        step = weekly.STEP_MINUTES
        return [
            Day(
                index=day,
                name=name,
                slots=[
                    Slot(
                        key=(key := weekly.cell_key(day, minute)),
                        id=f"slot-{day}-{minute}",
                        time=weekly.clock(minute),
                        label=f"{weekly.clock(minute)}–{weekly.clock(minute + step)}",
                        checked=key in ticked,
                    )
                    for minute in weekly.grid_times()
                ],
            )
            for day, name in enumerate(DAY_NAMES)
        ]

    def kept_summary(self) -> str:
        return summary_for_people(self.kept)

    def summary(self) -> str:
        """The hours ticked now (posted, even when the form has errors, or saved), in words."""
        return summary_for_people(self.ranges())
