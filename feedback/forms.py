"""Every form of the feedback app: the survey (built from a template version's questions), a
cycle's schedule, a template and its questions, and a concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from feedback import selectors
from feedback.models import Concern, FeedbackCycle, Question
from mentorship.models import Membership
from programs.models import Participant


class SurveyForm(forms.Form):
    """One field per question; objective self-ratings get one 1-5 field per topic."""

    def __init__(
        self, *args: Any, questions: list[Question], topics: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.topics = topics
        for q in questions:
            name = f"q{q.pk}"
            if q.kind == Question.Kind.LIKERT:
                self.fields[name] = forms.TypedChoiceField(
                    label=q.text,
                    required=q.required,
                    coerce=int,
                    widget=forms.RadioSelect,
                    choices=[
                        (n, label)
                        for n, label in zip(
                            range(1, 6),
                            [_("1 – not at all"), "2", "3", "4", _("5 – very much")],
                            strict=True,
                        )
                    ],
                )
            elif q.kind == Question.Kind.NPS:
                self.fields[name] = forms.TypedChoiceField(
                    label=q.text,
                    required=q.required,
                    coerce=int,
                    widget=forms.RadioSelect,
                    choices=[(n, str(n)) for n in range(0, 11)],
                )
            elif q.kind == Question.Kind.SINGLE:
                self.fields[name] = forms.ChoiceField(
                    label=q.text,
                    required=q.required,
                    widget=forms.RadioSelect,
                    choices=[(c, c) for c in q.choices],
                )
            elif q.kind == Question.Kind.MULTIPLE:
                self.fields[name] = forms.MultipleChoiceField(
                    label=q.text,
                    required=q.required,
                    widget=forms.CheckboxSelectMultiple,
                    choices=[(c, c) for c in q.choices],
                )
            elif q.kind == Question.Kind.OBJECTIVE_RATINGS:
                for n, topic in enumerate(topics):
                    self.fields[f"{name}_t{n}"] = forms.TypedChoiceField(
                        # Translators: a self-rating field: the question, then one topic.
                        label=gettext("%(question)s: %(topic)s")
                        % {"question": q.text, "topic": topic},
                        required=q.required,
                        coerce=int,
                        widget=forms.RadioSelect,
                        choices=[(v, str(v)) for v in range(1, 6)],
                    )
            else:
                self.fields[name] = forms.CharField(
                    label=q.text,
                    required=q.required,
                    max_length=4000,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )

    def answers(self) -> dict[int, Any]:
        data: dict[int, Any] = {}
        for q in self.questions:
            if q.kind == Question.Kind.OBJECTIVE_RATINGS:
                ratings = {
                    topic: self.cleaned_data.get(f"q{q.pk}_t{n}")
                    for n, topic in enumerate(self.topics)
                    if self.cleaned_data.get(f"q{q.pk}_t{n}") not in (None, "")
                }
                data[q.pk] = ratings
            else:
                data[q.pk] = self.cleaned_data.get(f"q{q.pk}")
        return data


class CycleForm(forms.Form):
    template = forms.ModelChoiceField(queryset=None, label=_("Survey"))
    title = forms.CharField(
        label=_("Title"),
        max_length=150,
        required=False,
        help_text=_("Leave empty to use the survey's name."),
    )
    audience = forms.ChoiceField(label=_("Audience"), choices=[], initial="both")
    opens_at = forms.DateTimeField(
        label=_("Opens at (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    repeat_weeks = forms.IntegerField(
        label=_("Repeat every (weeks)"),
        min_value=0,
        max_value=26,
        initial=0,
        help_text=_(
            "0 for once; for example 4 for a monthly check-in while the program is active."
        ),
    )
    open_days = forms.IntegerField(
        label=_("Stays open (days)"), min_value=1, max_value=60, initial=7
    )
    remind_after_days = forms.IntegerField(
        label=_("Remind non-responders after (days)"), min_value=1, max_value=59, initial=4
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous"),
        required=False,
        initial=True,
        help_text=_(
            "Anonymous answers are kept with no link to the person. Untick only for "
            "surveys HR must act on by name, such as “Pairing fit”."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = selectors.templates_by_name()
        self.fields["audience"].choices = FeedbackCycle.Audience.choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("remind_after_days")
            and data.get("open_days")
            and data["remind_after_days"] >= data["open_days"]
        ):
            self.add_error(
                "remind_after_days", gettext("The reminder must go out before the survey closes.")
            )
        return data


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attributed = forms.BooleanField(
        required=False, label=_("Answers by name (not anonymous), for HR to act on")
    )


class QuestionForm(forms.Form):
    text = forms.CharField(max_length=300, label=_("Question"))
    kind = forms.ChoiceField(choices=Question.Kind.choices, label=_("Kind of answer"))
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For choice questions: one choice per line."),
    )

    def clean_choices(self) -> list[str]:
        return [
            line.strip()[:100] for line in self.cleaned_data["choices"].splitlines() if line.strip()
        ]


class ConcernForm(forms.Form):
    participation = forms.ModelChoiceField(queryset=Participant.objects.none(), label=_("Program"))
    kind = forms.ChoiceField(
        choices=Concern.Kind.choices, label=_("What is it about?"), widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Tell HR more (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participation"].queryset = selectors.participations_open_to_concerns(
            membership=membership
        )
        self.fields["participation"].label_from_instance = lambda p: p.program.name
