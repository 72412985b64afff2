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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
        raise ValidationError(
            _("The file is not valid JSON (%(error)s).") % {"error": exc}
        ) from exc
    except RecursionError as exc:
        # A few kilobytes of "[[[[…" exhaust the parser's stack: refuse it like any bad file.
        raise ValidationError(_("The file is not valid JSON (nested too deeply).")) from exc
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ValidationError(
            _("This is not a program configuration exported by this application.")
        )
    if data.get("version") != EXPORT_VERSION:
        raise ValidationError(
            _("Unsupported configuration version %(version)s.")
            % {"version": repr(data.get("version"))}
        )
    return data


# A configuration is four levels deep (file, section, list, item); this leaves room for any
# reasonable hand edit and refuses, with a message, the few hundred levels that would take the
# walk below (or anything recursive after it) to the interpreter's stack limit.
MAX_CONFIG_DEPTH = 32
# Enough text problems for the author to see the pattern; a hostile file could hold thousands.
_MAX_TEXT_PROBLEMS = 10
_LIST_ITEMS = {
    "session_plan": gettext_lazy("Session %(n)s of the session plan"),
    "training_modules": gettext_lazy("Training module %(n)s"),
    "topics": gettext_lazy("Topic %(n)s"),
}


def _where(path: tuple[str | int, ...]) -> str:
    """Where in the file a value sits, in words. Only known names and numbers: a bad key must
    not be echoed (it may be the bad text itself)."""
    if len(path) >= 2 and isinstance(path[1], int) and path[0] in _LIST_ITEMS:
        return str(_LIST_ITEMS[str(path[0])]) % {"n": path[1] + 1}
    if len(path) >= 2 and path[0] == "program" and path[1] in PROGRAM_SETTINGS:
        return _("The setting “%(name)s”") % {"name": path[1]}
    return _("The file")


def _text_problem(text: str, where: str, *, key: bool = False) -> str:
    """Why a text cannot be stored, as a sentence about ``where`` it is (a value there, or the
    name of one with ``key``): PostgreSQL refuses NUL characters, and no driver encodes a lone
    UTF-16 surrogate (``json.loads`` accepts "\\ud800"), both with an error rather than a
    message."""
    if "\x00" in text:
        if key:
            return _(
                "%(where)s has a name that contains NUL characters, which no text may hold."
            ) % {"where": where}
        return _("%(where)s contains NUL characters, which no text may hold.") % {"where": where}
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        if key:
            return _(
                "%(where)s has a name that contains an invalid character (a lone UTF-16 "
                "surrogate such as \\ud800)."
            ) % {"where": where}
        return _(
            "%(where)s contains an invalid character (a lone UTF-16 surrogate such as \\ud800)."
        ) % {"where": where}
    return ""


def _text_problems(data: Any) -> list[str]:
    """Every text of a parsed JSON value that cannot be stored, and a nesting deeper than any
    configuration, in words. Iterative: a deeply nested file must not overflow the stack."""
    problems: list[str] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack and len(problems) < _MAX_TEXT_PROBLEMS:
        value, path = stack.pop()
        if len(path) > MAX_CONFIG_DEPTH:
            return [
                _("%(where)s is nested too deeply to be part of a configuration.")
                % {"where": _where(path)}
            ]
        if isinstance(value, str):
            if problem := _text_problem(value, _where(path)):
                problems.append(problem)
        elif isinstance(value, dict):
            children: list[tuple[Any, tuple[str | int, ...]]] = []
            for key, item in value.items():
                if problem := _text_problem(key, _where(path), key=True):
                    problems.append(problem)
                children.append((item, (*path, key)))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend((item, (*path, n)) for n, item in reversed(list(enumerate(value))))
    # One message per place and kind: a topic list full of NULs need not say it 200 times.
    return list(dict.fromkeys(problems))


# Settings with bounds of their own, checked here with a message that says them: the model's
# validators would answer in Django's words, after the name of the column.
BOUNDED_SETTINGS: dict[str, Any] = {
    "meeting_minutes": gettext_lazy("a meeting length in minutes"),
    "close_quiet_after_days": gettext_lazy("a number of days (or null to never close quiet pairs)"),
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
        # Translators: %(what)s is "a meeting length in minutes" or "a number of days (…)".
        return _("“%(name)s” must be %(what)s: a whole number from %(low)s to %(high)s.") % {
            "name": name,
            "what": what,
            "low": low,
            "high": high,
        }
    return ""


def _setting_type_problem(name: str, value: Any) -> str:
    """Text settings must be JSON strings (a list would be stored as its Python spelling) and
    numbers whole numbers: ``Infinity`` is valid JSON, and Django's check of an integer field
    crashes on it (OverflowError) instead of refusing it."""
    if name in BOUNDED_SETTINGS:
        return _bounded_setting_problem(name, value)
    kind = Program._meta.get_field(name).get_internal_type()
    if kind in ("CharField", "TextField") and not isinstance(value, str):
        return _("“%(name)s” must be text.") % {"name": name}
    if kind.endswith("IntegerField") and (
        isinstance(value, bool) or not isinstance(value, int | str)
    ):
        return _("“%(name)s” must be a whole number.") % {"name": name}
    return ""


def _check_session_plan(plan: Any, problems: list[str]) -> list[dict[str, str]]:
    """The imported session plan's guides, each a dict of text fields; adds to ``problems``."""
    if not isinstance(plan, list):
        problems.append(_("“session_plan” must be a list of sessions."))
        return []
    if len(plan) > MAX_SESSION_GUIDES:
        problems.append(
            _("A session plan has at most %(max)s sessions.") % {"max": MAX_SESSION_GUIDES}
        )
        return []
    clean: list[dict[str, str]] = []
    for n, item in enumerate(plan, start=1):
        if not isinstance(item, dict):
            problems.append(
                _("Session %(n)s of the session plan must be an object with a title.") % {"n": n}
            )
            continue
        unknown = sorted(set(item) - set(GUIDE_FIELDS))
        if unknown:
            problems.append(
                _("Session %(n)s: unknown fields %(fields)s.")
                % {"n": n, "fields": ", ".join(unknown)}
            )
        found = guide_problems(item, label=_("Session %(n)s") % {"n": n})
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
    text_problems = _text_problems(data)
    if text_problems:
        raise ValidationError(text_problems)
    settings = data.get("program")
    if not isinstance(settings, dict):
        raise ValidationError(_("The configuration has no “program” section."))
    unknown = sorted(set(settings) - set(PROGRAM_SETTINGS))
    if unknown:
        problems.append(_("Unknown settings: %(names)s.") % {"names": ", ".join(unknown)})
    problems.extend(
        problem
        for name, value in settings.items()
        if name in PROGRAM_SETTINGS
        and name != "reminder_offsets_hours"  # checked with its own message below
        and (problem := _setting_type_problem(name, value))
    )
    topics = data.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(t, str) and t.strip() for t in topics):
        problems.append(_("“topics” must be a list of names."))
        topics = []
    elif any(len(t) > 80 for t in topics):
        problems.append(_("Topic names are at most 80 characters."))
    elif len(topics) > MAX_CONFIG_TOPICS:
        problems.append(_("A program has at most %(max)s topics.") % {"max": MAX_CONFIG_TOPICS})
    modules = data.get("training_modules", [])
    clean_modules: list[dict[str, Any]] = []
    if not isinstance(modules, list):
        problems.append(_("“training_modules” must be a list."))
    elif len(modules) > MAX_CONFIG_MODULES:
        problems.append(
            _("A program has at most %(max)s training modules.") % {"max": MAX_CONFIG_MODULES}
        )
    else:
        for n, module in enumerate(modules, start=1):
            if not isinstance(module, dict) or not str(module.get("title", "")).strip():
                problems.append(_("Training module %(n)s needs a title.") % {"n": n})
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
            raise ValidationError(_("“reminder_offsets_hours” must be a list of hours."))
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
        raise ValidationError(_("Unknown template."))
    return program_create_from_config(
        organization=organization, data=TEMPLATES[template], name=name
    )
