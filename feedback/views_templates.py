"""HR admins create survey templates and edit their questions; versions protect past answers."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from feedback import services
from feedback.models import Question, SurveyTemplate
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import posted, posted_number

hr_only = role_required(Role.HR_ADMIN)


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    attributed = forms.BooleanField(
        required=False, label="Answers by name (not anonymous), for HR to act on"
    )


class QuestionForm(forms.Form):
    text = forms.CharField(max_length=300, label="Question")
    kind = forms.ChoiceField(choices=Question.Kind.choices, label="Kind of answer")
    required = forms.BooleanField(required=False, initial=True)
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For choice questions: one choice per line.",
    )

    def clean_choices(self) -> list[str]:
        return [
            line.strip()[:100] for line in self.cleaned_data["choices"].splitlines() if line.strip()
        ]


def _template(template_id: int) -> SurveyTemplate:
    try:
        return SurveyTemplate.objects.get(pk=template_id)
    except SurveyTemplate.DoesNotExist as exc:
        raise Http404("No such survey") from exc


@require_http_methods(["GET", "POST"])
@hr_only
def templates(request: HttpRequest, org_slug: str) -> HttpResponse:
    services.templates_ensure_builtin(organization=request.organization)
    form = TemplateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            template = services.template_create(
                organization=request.organization,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                attributed=form.cleaned_data["attributed"],
            )
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, "Survey created. Add its questions.")
            return redirect("survey_template", org_slug=org_slug, template_id=template.pk)
    return render(
        request,
        "feedback/templates.html",
        {"templates": SurveyTemplate.objects.prefetch_related("versions"), "form": form},
    )


@require_http_methods(["GET", "POST"])
@hr_only
def template_edit(request: HttpRequest, org_slug: str, template_id: int) -> HttpResponse:
    template = _template(template_id)
    form = QuestionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.question_add(template=template, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Question added.")
            return redirect("survey_template", org_slug=org_slug, template_id=template.pk)
    version = template.versions.order_by("-number").first()
    return render(
        request,
        "feedback/template_edit.html",
        {
            "template": template,
            "version": version,
            "in_use": version is not None and version.cycles.exists(),
            "questions": version.questions.all() if version else [],
            "form": form,
        },
    )


@require_POST
@hr_only
def question_remove(request: HttpRequest, org_slug: str, template_id: int) -> HttpResponse:
    template = _template(template_id)
    position = posted_number(request, "position", max_digits=9)  # a 32-bit column
    try:
        if position is None:
            raise ValidationError("That question is no longer in the survey.")
        services.question_remove(template=template, position=position)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Question removed. Surveys already answered keep it.")
    return redirect("survey_template", org_slug=org_slug, template_id=template.pk)
