"""Shared by the pseudo-language tests: what counts as data (every string stored in the test
database) and the few words that are never translated.

Any text a reader sees outside the pseudo-language's ⟦…⟧ markers fails the coverage tests,
unless it is one of:

- data: a value stored in a row (names, emails, titles and texts people typed, built-in content
  as it was stored when adopted, audit summaries, which are records and stay as written);
- a language's own name (the language menu names each language in itself);
- a time zone's IANA name (``Europe/Paris``: an identifier, shown as is in zone pickers);
- a word of :data:`ALLOWED`, kept short: proper names and technical tokens no translation
  changes.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from functools import cache

from django.apps import apps
from django.conf import settings
from django.db import models

from mentorship.tenancy import across_all_organizations
from tests.i18n.pseudo import unmarked_text, visible_texts

# Proper names and technical tokens: the same in every language. Keep this list minimal; a word
# is here only if a French, German or Spanish page would show it unchanged.
ALLOWED: tuple[str, ...] = (
    "CSV",  # file format name, in "Download CSV" style labels
    "iCalendar",  # calendar format name
    "ICS",  # the calendar file's extension
    "SAML",  # single sign-on protocol
    "OpenID Connect",  # single sign-on protocol
    "OIDC",  # its abbreviation
    "SCIM",  # provisioning protocol
    "JSON",  # data format
    "API",  # the REST API's name
    "HTTPS",  # URL scheme
    "URL",  # used as is in all three languages
)


# The project's own apps: their rows are what people and HR stored.
PROJECT_PACKAGES = ("mentorship.", "programs.", "pairings.", "feedback.")


def autonyms() -> list[str]:
    """Each language's name in itself, as settings.LANGUAGES gives them (English, Français…)."""
    return [name for _code, name in settings.LANGUAGES]


@cache
def time_zone_names() -> frozenset[str]:
    names = zoneinfo.available_timezones()
    return frozenset(names | {name.replace("_", " ") for name in names})


def _text_fields(model: type[models.Model]) -> list[str]:
    """The model's free-text columns: no choice fields (their values are codes, shown through
    translated labels) and no secrets or hashes."""
    names = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField) and not field.choices:
            names.append(field.attname)
    return names


def _json_strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _json_strings(item)


def stored_strings(*, exclude: tuple[type[models.Model], ...] = ()) -> set[str]:
    """Every string value stored in the database's rows now, read generically from every
    model's text columns (and the strings inside JSON columns: survey options, payloads).

    ``exclude``: models whose rows are not data for the check at hand (the in-app notifications,
    when what is checked is the text of those notifications and their emails)."""
    found: set[str] = set()
    with across_all_organizations():
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed or model in exclude:
                continue
            if not model.__module__.startswith(PROJECT_PACKAGES):
                continue  # the framework's own rows (permissions, content types): not data
            fields = _text_fields(model)
            json_fields = [
                f.attname for f in model._meta.concrete_fields if isinstance(f, models.JSONField)
            ]
            manager = model._base_manager
            if fields:
                for row in manager.values_list(*fields):
                    found.update(v for v in row if isinstance(v, str) and v.strip())
            for name in json_fields:
                for value in manager.values_list(name, flat=True):
                    found.update(s for s in _json_strings(value) if s.strip())
    # A value typed with surrounding spaces or several lines shows trimmed, line by line.
    found |= {line.strip() for value in list(found) for line in value.splitlines() if line.strip()}
    return found


def allowed_words() -> list[str]:
    return [*ALLOWED, *autonyms()]


def unmarked(texts: Iterable[str], data: Iterable[str]) -> list[str]:
    """:func:`unmarked_text` with the allowed words and time zone names taken out too (zone
    pickers show "America/New York" for "America/New_York")."""
    zones = time_zone_names()
    return unmarked_text(texts, data=[*data, *allowed_words(), *zones])


def unmarked_in_html(html: str, data: Iterable[str]) -> list[str]:
    return unmarked(visible_texts(html), data)
