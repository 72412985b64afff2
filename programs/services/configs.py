"""Program configurations: the export of a program's settings, topics, training modules and
session plan, and the creation of a draft program from one (an uploaded file or a built-in
template)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction

from mentorship.models import Organization
from programs.guides import GUIDE_FIELDS
from programs.library import EXPORT_FORMAT, EXPORT_VERSION, TEMPLATES
from programs.models import (
    Program,
    SessionGuide,
    TrainingModule,
)
from programs.services.guides import MAX_SESSION_GUIDES, guide_problems, session_plan_fields
from programs.services.programs import (
    PROGRAM_SETTINGS,
    reminder_offsets_clean,
    unique_program_slug,
)
from programs.services.topics import topics_get_or_create

MAX_CONFIG_TOPICS = 200
MAX_CONFIG_MODULES = 50


def program_export(*, program: Program) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "program": {field: getattr(program, field) for field in PROGRAM_SETTINGS},
        "topics": sorted(t.name for t in program.topics.all()),
        "training_modules": [
            {
                "title": m.title,
                "body": m.body,
                "required_for_juniors": m.required_for_juniors,
                "required_for_seniors": m.required_for_seniors,
            }
            for m in program.modules.all()
        ],
        "session_plan": session_plan_fields(program=program),
    }


@dataclass(frozen=True)
class ConfigProblem(Exception):
    problems: list[str]


def _config_from_json(raw: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"The file is not valid JSON ({exc}).") from exc
    except RecursionError as exc:
        # A few kilobytes of "[[[[…" exhaust the parser's stack: refuse it like any bad file.
        raise ValidationError("The file is not valid JSON (nested too deeply).") from exc
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ValidationError("This is not a program configuration exported by this application.")
    if data.get("version") != EXPORT_VERSION:
        raise ValidationError(f"Unsupported configuration version {data.get('version')!r}.")
    return data


def _holds_nul(value: Any) -> bool:
    """Whether a NUL character hides in any text of a parsed JSON value (PostgreSQL refuses to
    store one, with an error rather than a message)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


# Settings with bounds of their own, checked here with a message that says them: the model's
# validators would answer in Django's words, after the name of the column.
BOUNDED_SETTINGS: dict[str, str] = {
    "meeting_minutes": "a meeting length in minutes",
    "close_quiet_after_days": "a number of days (or null to never close quiet pairs)",
}


def _bounded_setting_problem(name: str, value: Any) -> str:
    field = Program._meta.get_field(name)
    # The bounds are the model's own validators: one place to change them.
    low = next(v.limit_value for v in field.validators if isinstance(v, MinValueValidator))
    high = next(v.limit_value for v in field.validators if isinstance(v, MaxValueValidator))
    what = BOUNDED_SETTINGS[name]
    if value is None and field.null:
        return ""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"“{name}” must be {what}: a whole number from {low} to {high}."
    return ""


def _setting_type_problem(name: str, value: Any) -> str:
    """Text settings must be JSON strings (a list would be stored as its Python spelling) and
    numbers whole numbers: ``Infinity`` is valid JSON, and Django's check of an integer field
    crashes on it (OverflowError) instead of refusing it."""
    if name in BOUNDED_SETTINGS:
        return _bounded_setting_problem(name, value)
    kind = Program._meta.get_field(name).get_internal_type()
    if kind in ("CharField", "TextField") and not isinstance(value, str):
        return f"“{name}” must be text."
    if kind.endswith("IntegerField") and (
        isinstance(value, bool) or not isinstance(value, int | str)
    ):
        return f"“{name}” must be a whole number."
    return ""


def _check_session_plan(plan: Any, problems: list[str]) -> list[dict[str, str]]:
    """The imported session plan's guides, each a dict of text fields; adds to ``problems``."""
    if not isinstance(plan, list):
        problems.append("“session_plan” must be a list of sessions.")
        return []
    if len(plan) > MAX_SESSION_GUIDES:
        problems.append(f"A session plan has at most {MAX_SESSION_GUIDES} sessions.")
        return []
    clean: list[dict[str, str]] = []
    for n, item in enumerate(plan, start=1):
        if not isinstance(item, dict):
            problems.append(f"Session {n} of the session plan must be an object with a title.")
            continue
        unknown = sorted(set(item) - set(GUIDE_FIELDS))
        if unknown:
            problems.append(f"Session {n}: unknown fields {', '.join(unknown)}.")
        found = guide_problems(item, label=f"Session {n}")
        problems.extend(found)
        if not found:
            clean.append({name: item.get(name, "").strip() for name in GUIDE_FIELDS})
    return clean


def _check_config(
    data: dict[str, Any],
) -> tuple[dict[str, Any], list[str], list[dict[str, Any]], list[dict[str, str]]]:
    """Validate the shape; returns (settings, topic names, modules, session plan) or raises
    with every problem."""
    problems: list[str] = []
    if _holds_nul(data):
        raise ValidationError("The configuration contains NUL characters, which no text may hold.")
    settings = data.get("program")
    if not isinstance(settings, dict):
        raise ValidationError("The configuration has no “program” section.")
    unknown = sorted(set(settings) - set(PROGRAM_SETTINGS))
    if unknown:
        problems.append(f"Unknown settings: {', '.join(unknown)}.")
    problems.extend(
        problem
        for name, value in settings.items()
        if name in PROGRAM_SETTINGS
        and name != "reminder_offsets_hours"  # checked with its own message below
        and (problem := _setting_type_problem(name, value))
    )
    topics = data.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(t, str) and t.strip() for t in topics):
        problems.append("“topics” must be a list of names.")
        topics = []
    elif any(len(t) > 80 for t in topics):
        problems.append("Topic names are at most 80 characters.")
    elif len(topics) > MAX_CONFIG_TOPICS:
        problems.append(f"A program has at most {MAX_CONFIG_TOPICS} topics.")
    modules = data.get("training_modules", [])
    clean_modules: list[dict[str, Any]] = []
    if not isinstance(modules, list):
        problems.append("“training_modules” must be a list.")
    elif len(modules) > MAX_CONFIG_MODULES:
        problems.append(f"A program has at most {MAX_CONFIG_MODULES} training modules.")
    else:
        for n, module in enumerate(modules, start=1):
            if not isinstance(module, dict) or not str(module.get("title", "")).strip():
                problems.append(f"Training module {n} needs a title.")
                continue
            clean_modules.append(
                {
                    "title": str(module["title"])[:120],
                    "body": str(module.get("body", "")),
                    "required_for_juniors": bool(module.get("required_for_juniors", True)),
                    "required_for_seniors": bool(module.get("required_for_seniors", False)),
                }
            )
    # Files exported before session plans existed have none: the program starts without one.
    plan = _check_session_plan(data.get("session_plan", []), problems)
    if problems:
        raise ValidationError(problems)
    clean_settings = {k: v for k, v in settings.items() if k in PROGRAM_SETTINGS}
    return clean_settings, topics, clean_modules, plan


def program_create_from_config(
    *, organization: Organization, data: dict[str, Any] | bytes | str, name: str = ""
) -> Program:
    """Create a draft program from an export (or a built-in template), validating everything
    before writing anything."""
    config = _config_from_json(data) if isinstance(data, bytes | str) else data
    settings, topic_names, modules, plan = _check_config(config)
    if name:
        settings["name"] = name
    if "reminder_offsets_hours" in settings:
        offsets = settings["reminder_offsets_hours"]
        if not isinstance(offsets, list):
            raise ValidationError("“reminder_offsets_hours” must be a list of hours.")
        settings["reminder_offsets_hours"] = reminder_offsets_clean(offsets)
    program = Program(organization=organization, **settings)
    program.slug = unique_program_slug(base=program.name or "program")
    try:
        program.full_clean(exclude=["organization"])
    except ValidationError as exc:
        raise ValidationError(
            [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
        ) from exc
    with transaction.atomic():
        program.save()
        program.topics.set(topics_get_or_create(organization=organization, names=topic_names))
        TrainingModule.objects.bulk_create(
            TrainingModule(organization=organization, program=program, position=n, **module)
            for n, module in enumerate(modules)
        )
        SessionGuide.objects.bulk_create(
            SessionGuide(organization=organization, program=program, position=n, **guide)
            for n, guide in enumerate(plan, start=1)
        )
    return program


def program_create_from_template(
    *, organization: Organization, template: str, name: str = ""
) -> Program:
    if template not in TEMPLATES:
        raise ValidationError("Unknown template.")
    return program_create_from_config(
        organization=organization, data=TEMPLATES[template], name=name
    )
