"""Forms of the matching page and of pair life."""

from __future__ import annotations

from typing import Any

from django import forms

from pairings.matching import CRITERIA, CRITERIA_LABELS, DEFAULT_WEIGHTS, MAX_WEIGHT
from programs.forms import TopicsField


class WeightsForm(forms.Form):
    """What-if: one number per criterion, from 0 (ignored) to 20."""

    def __init__(
        self, *args: Any, initial_weights: dict[str, float] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        weights = {**DEFAULT_WEIGHTS, **(initial_weights or {})}
        for name in CRITERIA:
            self.fields[name] = forms.FloatField(
                label=CRITERIA_LABELS[name],
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
    first = forms.CharField(label="First pair")
    second = forms.CharField(label="Second pair")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            data["pairs"] = tuple(
                tuple(int(x) for x in str(data[key]).split("-", 1)) for key in ("first", "second")
            )
        except (KeyError, ValueError) as exc:
            raise forms.ValidationError("Choose two pairs to swap.") from exc
        return data


class ExitForm(forms.Form):
    note = forms.CharField(
        label="Anything HR should know (optional, only HR admins see it)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _text(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SessionLogForm(forms.Form):
    """A session log. One "progress now" field per learning objective of the author."""

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    minutes = forms.IntegerField(min_value=5, max_value=480, initial=60)
    topics = TopicsField(queryset=None, required=False, label="Topics covered")
    taught = _text("What I taught")
    learned = _text("What I learned")
    shared_notes = _text("Notes shared with my partner")
    private_notes = _text("Private notes (only I ever see them)")
    confirm_duplicate = forms.BooleanField(
        label="This is another session on the same day", required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, objectives: Any = (), **kwargs: Any) -> None:
        from programs.models import Topic

        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = Topic.objects.order_by("name")
        self.objective_fields = []
        for objective in objectives:
            name = f"progress_{objective.pk}"
            self.fields[name] = forms.IntegerField(
                label=f"Progress on “{objective.topic.name}” now (%)",
                required=False,
                min_value=0,
                max_value=100,
                help_text=f"Now {objective.progress}%. "
                "Leave empty if this session did not touch it.",
            )
            self.objective_fields.append((objective.pk, name))

    def show_duplicate_confirmation(self) -> None:
        self.fields["confirm_duplicate"].widget = forms.CheckboxInput()

    def progress(self) -> dict[int, int]:
        return {
            pk: self.cleaned_data[name]
            for pk, name in self.objective_fields
            if self.cleaned_data.get(name) is not None
        }
