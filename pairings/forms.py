"""Forms of the matching page and of pair life."""

from __future__ import annotations

from typing import Any

from django import forms

from pairings.matching import CRITERIA, CRITERIA_LABELS, DEFAULT_WEIGHTS, MAX_WEIGHT


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
