"""HR admins create survey templates and edit their questions; versions protect past answers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from feedback import selectors
from feedback.forms import QuestionForm, TemplateForm
from feedback.services import templates as template_services
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import error_text, posted, posted_number

hr_only = role_required(Role.HR_ADMIN)


@require_http_methods(["GET", "POST"])
@hr_only
def templates(request: HttpRequest, org_slug: str) -> HttpResponse:
    template_services.templates_ensure_builtin(organization=request.organization)
    form = TemplateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            template = template_services.template_create(
                organization=request.organization,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                attributed=form.cleaned_data["attributed"],
            )
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, _("Survey created. Add its questions."))
            return redirect("survey_template", org_slug=org_slug, template_id=template.pk)
    return render(
        request,
        "feedback/templates.html",
        {"templates": selectors.templates_list(), "form": form},
    )


@require_http_methods(["GET", "POST"])
@hr_only
def template_edit(request: HttpRequest, org_slug: str, template_id: int) -> HttpResponse:
    template = selectors.template_get(template_id=template_id)
    form = QuestionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            template_services.question_add(template=template, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Question added."))
            return redirect("survey_template", org_slug=org_slug, template_id=template.pk)
    version = selectors.template_latest_version(template=template)
    return render(
        request,
        "feedback/template_edit.html",
        {
            "template": template,
            "version": version,
            "in_use": selectors.version_in_use(version=version),
            "questions": selectors.version_questions(version=version) if version else [],
            "form": form,
        },
    )


@require_POST
@hr_only
def question_remove(request: HttpRequest, org_slug: str, template_id: int) -> HttpResponse:
    template = selectors.template_get(template_id=template_id)
    position = posted_number(request, "position", max_digits=9)  # a 32-bit column
    try:
        if position is None:
            raise ValidationError(_("That question is no longer in the survey."))
        template_services.question_remove(template=template, position=position)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Question removed. Surveys already answered keep it."))
    return redirect("survey_template", org_slug=org_slug, template_id=template.pk)
