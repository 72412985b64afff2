"""Writes of survey templates: the built-in ones, and templates HR admins create and edit.

Editing never changes questions already answered: a version a cycle uses is copied first (see
:func:`template_version_for_edit`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from feedback import selectors
from feedback.library import BUILTIN_TEMPLATES
from feedback.models import Question, SurveyTemplate, TemplateVersion
from mentorship.models import Organization


def templates_ensure_builtin(*, organization: Organization) -> list[SurveyTemplate]:
    """The built-in templates of the organisation, created once (idempotent)."""
    existing = {t.builtin_key: t for t in SurveyTemplate.objects.exclude(builtin_key="")}
    for key, spec in BUILTIN_TEMPLATES.items():
        if key in existing:
            continue
        with transaction.atomic():
            template = SurveyTemplate.objects.create(
                organization=organization,
                # Lazy texts, written in the active language (the HR admin's, on their pages).
                name=str(spec["name"]),
                description=str(spec["description"]),
                builtin_key=key,
                attributed_by_default=spec["attributed"],
            )
            version = TemplateVersion.objects.create(
                organization=organization, template=template, number=1
            )
            Question.objects.bulk_create(
                Question(
                    organization=organization,
                    version=version,
                    position=n,
                    text=str(text),
                    kind=kind,
                    required=required,
                    choices=[str(choice) for choice in choices],
                )
                for n, (text, kind, required, choices) in enumerate(spec["questions"])
            )
        existing[key] = template
    return list(existing.values())


def template_version_for_edit(*, template: SurveyTemplate) -> TemplateVersion:
    """The version to edit: the latest if no cycle uses it yet, else a new copy, so past
    answers always keep the questions they answered."""
    latest = selectors.template_latest_version(template=template)
    if latest is not None and not latest.cycles.exists():
        return latest
    with transaction.atomic():
        version = TemplateVersion.objects.create(
            organization=template.organization,
            template=template,
            number=(latest.number + 1) if latest else 1,
        )
        if latest is not None:
            Question.objects.bulk_create(
                Question(
                    organization=template.organization,
                    version=version,
                    position=q.position,
                    text=q.text,
                    kind=q.kind,
                    required=q.required,
                    choices=q.choices,
                )
                for q in latest.questions.all()
            )
    return version


def template_create(
    *, organization: Organization, name: str, description: str, attributed: bool
) -> SurveyTemplate:
    if SurveyTemplate.objects.filter(name__iexact=name.strip()).exists():
        raise ValidationError(_("There is already a survey with this name."))
    with transaction.atomic():
        template = SurveyTemplate.objects.create(
            organization=organization,
            name=name.strip(),
            description=description,
            attributed_by_default=attributed,
        )
        TemplateVersion.objects.create(organization=organization, template=template, number=1)
    return template


def question_add(
    *, template: SurveyTemplate, text: str, kind: str, required: bool, choices: list[str]
) -> Question:
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) and len(choices) < 2:
        raise ValidationError(_("A choice question needs at least two choices, one per line."))
    version = template_version_for_edit(template=template)
    last = version.questions.order_by("-position").values_list("position", flat=True).first()
    return Question.objects.create(
        organization=template.organization,
        version=version,
        position=0 if last is None else last + 1,
        text=text,
        kind=kind,
        required=required,
        choices=choices if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) else [],
    )


def question_remove(*, template: SurveyTemplate, position: int) -> None:
    """Remove the question at ``position`` of the editable version (a new version when the
    current one has answers, so past answers keep their questions). Positions are unique in a
    version (see ``question_add``), so exactly one question goes."""
    current = selectors.template_latest_version(template=template)
    if current is None or not current.questions.filter(position=position).exists():
        # Checked before versioning: a stale form must not leave an empty new version behind.
        raise ValidationError(_("That question is no longer in the survey."))
    with transaction.atomic():  # a new version and its removal, or neither
        version = template_version_for_edit(template=template)
        version.questions.filter(position=position).order_by("id").first().delete()
