"""Forms of the programs app. Querysets of choice fields are set in ``__init__``: they must be
built inside the request's organisation scope, never at import time."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mentorship.models import Membership
from programs.fields import ABOUT_FIELDS, IMPORTED_FIELDS
from programs.library import TEMPLATE_CHOICES
from programs.models import (
    LearningObjective,
    Participant,
    Program,
    SessionGuide,
    Side,
    Topic,
    TrainingModule,
)
from programs.services.guides import MAX_GUIDE_TEXT
from programs.services.programs import PROGRAM_SETTINGS, reminder_offsets_clean

MAX_CSV_BYTES = 10 * 1024 * 1024
# An exported configuration is a few kilobytes; a megabyte leaves room for long agreements.
MAX_CONFIG_BYTES = 1024 * 1024


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(z, z.replace("_", " ")) for z in sorted(zoneinfo.available_timezones())]


class DateInput(forms.DateInput):
    """A native date picker. It only accepts ISO dates: the locale's format (dd/mm/yyyy in
    en-gb) would leave the field empty and a save would erase the date."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# Labels of model fields that have no verbose name of their own (Django would otherwise show
# their English field names).
PERSON_LABELS = {
    "email": _("Email"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "side": _("Side"),
    "department": _("Department"),
    # Translators: a person's job title.
    "title": pgettext_lazy("job title", "Title"),
    "level": _("Level"),
    "manager_email": _("Manager email"),
    "bio": _("Bio"),
}


# The largest primary key a database holds (a signed 64-bit integer).
PK_MAX = 2**63 - 1


class TopicsField(forms.ModelMultipleChoiceField):
    """Topics as checkboxes.

    Posted ids beyond a 64-bit integer are refused before the query: Django sends the ticked
    ids to the database as ``pk__in=[...]`` and SQLite raises OverflowError (a 500) on such a
    number, which anyone can post."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Topic) -> str:
        return obj.name

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                out_of_range = abs(int(str(pk))) > PK_MAX
            except ValueError:
                continue  # not a number at all: Django reports it as an invalid value
            if out_of_range:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


def _topics(form: forms.Form, *names: str) -> None:
    for name in names:
        form.fields[name].queryset = Topic.objects.order_by("name")


class ProgramCreateForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        required=False,
        label=_("Name"),
        help_text=_("Leave empty to use the template's name."),
    )
    template = forms.ChoiceField(
        label=_("Start from"),
        choices=[("", _("An empty program")), *TEMPLATE_CHOICES],
        required=False,
        initial="digital-fluency",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("template") and not data.get("name"):
            self.add_error("name", _("Give the program a name, or start from a template."))
        return data


class ProgramForm(forms.ModelForm):
    reminder_offsets = forms.CharField(
        label=_("Meeting reminders (hours before)"),
        required=False,
        help_text=_("Comma-separated, e.g. 24, 1 for a day before and an hour before."),
    )
    topics = TopicsField(queryset=Topic.objects.none(), required=False, label=_("Program topics"))

    class Meta:
        model = Program
        # The settings a program export carries (reminders are edited as text below), plus dates.
        fields = [
            *(f for f in PROGRAM_SETTINGS if f != "reminder_offsets_hours"),
            "start_date",
            "end_date",
            "topics",
        ]
        widgets = {
            "start_date": DateInput,
            "end_date": DateInput,
            "description": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.Textarea(attrs={"rows": 3}),
            "agreement_text": forms.Textarea(attrs={"rows": 10}),
        }
        labels = {
            "name": _("Name"),
            "description": _("Description"),
            "goals": _("Goals"),
            "expected_sessions": _("Expected sessions"),
            "agreement_text": _("Agreement text"),
            "start_date": _("Start date"),
            "end_date": _("End date"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _topics(self, "topics")
        # Left empty (or missing from a form saved before the setting existed), the meeting
        # length stays what it was: nothing else depends on it being typed again.
        self.fields["meeting_minutes"].required = False
        self.fields["meeting_minutes"].widget.attrs.update(min=15, max=240, step=5)
        self.fields["close_quiet_after_days"].widget.attrs.update(min=14, max=365)
        if self.instance.pk and not self.is_bound:
            self.initial["reminder_offsets"] = ", ".join(
                str(h) for h in self.instance.reminder_offsets_hours
            )

    def clean_meeting_minutes(self) -> int:
        value = self.cleaned_data.get("meeting_minutes")
        if value is None:
            return self.instance.meeting_minutes
        return value

    def clean_reminder_offsets(self) -> list[int]:
        raw = self.cleaned_data.get("reminder_offsets", "")
        try:
            hours = [int(part) for part in raw.replace(";", ",").split(",") if part.strip()]
        except ValueError as exc:
            raise forms.ValidationError(
                _("Use whole numbers of hours, separated by commas.")
            ) from exc
        return reminder_offsets_clean(hours)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", _("The end date must be after the start date."))
        return data

    def settings(self) -> dict[str, Any]:
        data = {
            k: v for k, v in self.cleaned_data.items() if k not in ("topics", "reminder_offsets")
        }
        data["reminder_offsets_hours"] = self.cleaned_data["reminder_offsets"]
        return data


class ConfigImportForm(forms.Form):
    file = forms.FileField(
        label=_("Program configuration (JSON)"),
        help_text=_("A file exported from a program's page. At most 1 MB."),
    )
    name = forms.CharField(
        max_length=120, required=False, label=_("Name"), help_text=_("Optional new name.")
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CONFIG_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 1 MB, so it is not an exported program configuration.")
            )
        return upload


class TopicForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Topic name"))


class TopicMergeForm(forms.Form):
    target = forms.ModelChoiceField(queryset=Topic.objects.none(), label=_("Merge into"))

    def __init__(self, *args: Any, source: Topic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Topic.objects.exclude(pk=source.pk).order_by("name")


class PersonFieldsMixin(forms.ModelForm):
    timezone = forms.ChoiceField(choices=timezone_choices, initial="UTC", label=_("Timezone"))
    offers = TopicsField(
        queryset=Topic.objects.none(), required=False, label=_("Topics they can teach")
    )
    wants = TopicsField(
        queryset=Topic.objects.none(), required=False, label=_("Topics they want to learn")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _topics(self, "offers", "wants")

    def person_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("offers", "wants", "email")}


class ParticipantForm(PersonFieldsMixin):
    class Meta:
        model = Participant
        fields = ["email", *IMPORTED_FIELDS, "offers", "wants", *ABOUT_FIELDS]
        widgets = {"bio": forms.Textarea(attrs={"rows": 3})}
        labels = PERSON_LABELS

    def validate_unique(self) -> None:
        """Uniqueness per program is checked by the service, which knows the program."""


class ApplicationForm(PersonFieldsMixin):
    class Meta:
        model = Participant
        # The name comes from the applicant's account.
        fields = [
            f for f in ParticipantForm.Meta.fields if f not in ("email", "first_name", "last_name")
        ]
        labels = {
            **PERSON_LABELS,
            "side": _("I join as"),
            "level": _("My level"),
            "manager_email": _("My manager's email"),
        }
        widgets = {"bio": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Declared fields ignore Meta.labels: the applicant reads about themselves.
        self.fields["offers"].label = _("Topics I can teach")
        self.fields["wants"].label = _("Topics I want to learn")

    def validate_unique(self) -> None:
        """Checked by the service."""


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    side = forms.ChoiceField(
        label=_("Side"), required=False, choices=[("", _("Both sides")), *Side.choices]
    )
    department = forms.ChoiceField(label=_("Department"), required=False, choices=[])
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Participant.Status.choices],
    )
    training = forms.ChoiceField(
        label=_("Training"),
        required=False,
        choices=[("", _("Any")), ("done", _("Done")), ("todo", _("Not done"))],
    )
    matched = forms.ChoiceField(
        label=_("Matched"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Matched")), ("no", _("Not matched"))],
    )

    def __init__(self, *args: Any, departments: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [
            ("", _("All departments")),
            *[(d, d) for d in departments],
        ]


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8, with a header row. At most 10 MB.")
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB; split it into parts."))
        return upload


class SponsorForm(forms.Form):
    membership = forms.ModelChoiceField(
        queryset=Membership.objects.none(), label=_("Executive sponsor")
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = candidates
        self.fields["membership"].label_from_instance = lambda m: (
            f"{m.user.display_name} ({m.user.email})"
        )


class ObjectiveForm(forms.ModelForm):
    # Declared, not generated: a generated field would query topics at import, outside a scope.
    topic = forms.ModelChoiceField(queryset=Topic.objects.none(), label=_("Topic"))

    class Meta:
        model = LearningObjective
        fields = ["topic", "success_criteria", "target_date", "baseline_rating"]
        widgets = {
            "target_date": DateInput,
            "success_criteria": forms.Textarea(attrs={"rows": 3}),
            "baseline_rating": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }
        labels = {"target_date": _("Target date")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Topic.objects.order_by("name")


class ObjectiveProgressForm(forms.ModelForm):
    class Meta:
        model = LearningObjective
        fields = ["progress", "final_rating"]
        widgets = {
            "progress": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 5}),
            "final_rating": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }


class ModuleForm(forms.ModelForm):
    class Meta:
        model = TrainingModule
        fields = ["title", "body", "required_for_juniors", "required_for_seniors"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}
        labels = {
            "title": _("Title"),
            "body": _("Body"),
            "required_for_juniors": _("Required for juniors"),
            "required_for_seniors": _("Required for seniors"),
        }


class GuideForm(forms.ModelForm):
    """One session of the plan. The Markdown fields are bounded like an imported plan's."""

    class Meta:
        model = SessionGuide
        fields = ["title", "purpose", "agenda", "junior_questions", "senior_questions"]
        widgets = {
            "purpose": forms.TextInput(),
            "agenda": forms.Textarea(attrs={"rows": 7}),
            "junior_questions": forms.Textarea(attrs={"rows": 5}),
            "senior_questions": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {"title": _("Title"), "purpose": _("Purpose"), "agenda": _("Agenda")}
        help_texts = {
            "purpose": _("One sentence: what the pair should get out of this session."),
            "agenda": _(
                "A short list with rough minutes, e.g. “- 10 min: what you tried since last time”."
            ),
            "junior_questions": _(
                "Questions the junior (the reverse mentor) can ask. One a line, starting with “- ”."
            ),
            "senior_questions": _("Questions the senior can ask. One a line, starting with “- ”."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("agenda", "junior_questions", "senior_questions"):
            self.fields[name].max_length = MAX_GUIDE_TEXT
            self.fields[name].validators.append(MaxLengthValidator(MAX_GUIDE_TEXT))
            self.fields[name].widget.attrs["maxlength"] = MAX_GUIDE_TEXT


class ParticipantEditForm(PersonFieldsMixin):
    """An HR admin corrects a participant's details (the email is their key: not editable)."""

    class Meta:
        model = Participant
        fields = [f for f in ParticipantForm.Meta.fields if f != "email"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 3})}
        labels = PERSON_LABELS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["offers"] = list(self.instance.offers.all())
            self.initial["wants"] = list(self.instance.wants.all())

    def validate_unique(self) -> None:
        """Checked by the service."""


class ProfileForm(ParticipantEditForm):
    """What a participant keeps up to date themselves."""

    class Meta(ParticipantEditForm.Meta):
        fields = ["title", "timezone", "offers", "wants", *ABOUT_FIELDS]
