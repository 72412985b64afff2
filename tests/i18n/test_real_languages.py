# ruff: noqa: F811 (the shared `world` fixture is imported, then named as a parameter)
"""The real catalogues (fr, de, es) render: every page of every role, every kind of email, and
every translated date format.

The pseudo-language tests prove that text is *marked*; these prove that what the translators
wrote works once compiled: no page that answers differently from English (a 500 from a bad
placeholder), ``<html lang>`` set, no placeholder left in what people read, no English where a
translation exists, and date formats that give a date rather than stray letters.

Pages reuse tests/i18n/test_pseudo_pages.py's world (built once for the module), walked once per
language per role, with the English walk as the reference for statuses and for placeholder-looking
text that English shows too (an editor explaining ``{first_name}``, say). Emails reuse
tests/i18n/test_pseudo_emails.py's triggers, with its ``pseudo_language()`` swapped for "every
person and the organisation speak this language".
"""

from __future__ import annotations

import gettext as gettext_module
import inspect
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models.signals import pre_save
from django.test import Client
from django.utils import formats, translation
from django.utils.translation import pgettext

from mentorship.models import Notification, Organization, User
from mentorship.tenancy import across_all_organizations
from tests.events.conftest import private_networks, receiver  # noqa: F401 (fixtures)
from tests.i18n import test_pseudo_emails as pseudo_emails
from tests.i18n.checks import stored_strings
from tests.i18n.pseudo import text_lines, visible_texts
from tests.i18n.test_pseudo_pages import CSV_TABLES, NON_HTML, ROLES, World, world  # noqa: F401 (the fixture, shared)

pytestmark = pytest.mark.django_db

LANGUAGES = ("fr", "de", "es")
LOCALE = Path(settings.BASE_DIR) / "locale"

# What must never reach a reader: printf and str.format placeholders, template syntax.
PLACEHOLDER = re.compile(r"%\(\w*\)?[sdif]?|%[sdif]\b|\{\w*\}|\{\{|\}\}|\{%|%\}")
# English day and month names that no French, German or Spanish date shows (strftime, an
# untranslated format); "April", "August", "September", "November" are German too.
ENGLISH_DATES = re.compile(
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
    r"June|July|October|December)\b"
)
# Always-visible navigation labels that must be translated (the brief's sample).
SAMPLE = ("My pairs", "Programs", "Sign out", "Settings", "Profile")


# The compiled catalogues ------------------------------------------------------------------------


@cache
def catalogue(language: str) -> dict:
    path = LOCALE / language / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as handle:
        return dict(gettext_module.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


@cache
def english_templates(language: str) -> re.Pattern[str]:
    """One pattern matching, as a whole text, any English msgid the catalogue translates
    differently (placeholders match anything): a text equal to one is English left showing."""
    translated = {v for v in catalogue(language).values() if isinstance(v, str)}
    patterns = []
    for key, value in catalogue(language).items():
        if not isinstance(key, str) or not key or key == value or key in translated:
            continue
        msgid = key.split("\x04", 1)[-1]
        literal = PLACEHOLDER.sub(" ", msgid)
        words = re.findall(r"[^\W\d_]{2,}", literal)
        if len(words) < 2 or len(" ".join(words)) < 10 or msgid in translated:
            continue
        parts = re.split(r"(%\(\w+\)[sdif]|%[sdif]|\{\w+\})", msgid)
        regex = "".join(".+?" if i % 2 else re.escape(p) for i, p in enumerate(parts))
        patterns.append(r"\s*".join(regex.split(r"\ ")))
    return re.compile("(?:" + "|".join(sorted(set(patterns), key=len, reverse=True)) + r")\Z")


def leaks(texts: list[str], language: str, data: set[str], reference: set[str]) -> list[str]:
    """Texts that still show English: a whole English msgid, a sample nav label, an English
    day or month name. ``reference``: the same page in English, for placeholder comparisons."""
    found = []
    pattern = english_templates(language)
    for raw in texts:
        text = " ".join(raw.split())
        if not text or text in data:
            continue
        for token in PLACEHOLDER.findall(text):
            if token not in reference:
                found.append(f"placeholder {token!r} in {text[:120]!r}")
        if text in SAMPLE or pattern.match(text):
            found.append(f"English: {text[:120]!r}")
        match = ENGLISH_DATES.search(text)
        if match and not any(match.group(0) in d for d in data if len(d) < 200):
            found.append(f"English date word {match.group(0)!r} in {text[:120]!r}")
    return found


# Date formats -----------------------------------------------------------------------------------

# Single format letters (each alone, not inside a word) and punctuation: "j M Y, H:i".
FORMAT_STRING = re.compile(r"^(?:\\.|[dDjlNSwzWFMmnyYaAfgGhHisuePTOUcrE](?![^\W\d_])|[ ,.:/\-])+$")
FORMAT_LETTERS = set("dDjlNSwzWFMmnyYaAbfgGhHisuePTOUcrE")
MOMENT = datetime(2031, 6, 4, 9, 5, tzinfo=UTC)  # a Wednesday
NAMES = {
    "fr": {"month": ("juin",), "day": ("mercredi", "mer")},
    "de": {"month": ("Juni", "Jun"), "day": ("Mittwoch", "Mi")},
    "es": {"month": ("junio", "jun"), "day": ("miércoles", "mié")},
}


def _letters(fmt: str) -> set[str]:
    """The format letters Django interprets (a backslash escapes the next character)."""
    return {c for c in re.sub(r"\\.", "", fmt) if c in FORMAT_LETTERS}


def date_formats(language: str) -> list[tuple[str, str, str]]:
    """(context, msgid, msgstr) of every translated date format: a context naming a date,
    day or time format, or a msgid made only of format letters and punctuation."""
    found = []
    for key, value in catalogue(language).items():
        if not isinstance(key, str) or not key:
            continue
        context, _, msgid = key.rpartition("\x04")
        named = re.search(r"(date|day|time).*format|format.*(date|day|time)", context, re.I)
        if named or (
            FORMAT_STRING.match(msgid) and _letters(msgid) and re.search(r"[jdFMYHl]", msgid)
        ):
            found.append((context, msgid, value))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translated_date_format_gives_a_date(language: str) -> None:
    formats_found = date_formats(language)
    assert len(formats_found) >= 10, formats_found
    problems = []
    with translation.override(language):
        for context, msgid, msgstr in formats_found:
            fmt = pgettext(context, msgid) if context else translation.gettext(msgid)
            assert fmt == msgstr
            try:
                out = formats.date_format(MOMENT, fmt)
            except Exception as error:
                problems.append(f"{msgid!r} → {msgstr!r}: {type(error).__name__}: {error}")
                continue
            where = f"[{context}] {msgid!r} → {msgstr!r} gives {out!r}"
            wanted, got = _letters(msgid), _letters(msgstr)
            # Same information: a day (d/j), a month (F/M/N/n/m), a year, a time, a weekday.
            groups = {
                "day": "dj",
                "month": "FMNnmb",
                "year": "Yy",
                "hour": "HGgh",
                "minute": "i",
                "weekday": "lD",
                "zone": "Te",
            }
            for name, letters in groups.items():
                if bool(wanted & set(letters)) != bool(got & set(letters)):
                    problems.append(
                        f"{where}: {name} {'missing' if wanted & set(letters) else 'added'}"
                    )
            if wanted & set("dj") and not re.search(r"\b0?4\b", out):
                problems.append(f"{where}: no day 4")
            if wanted & set("Yy") and "2031" not in out and "31" not in out:
                problems.append(f"{where}: no year")
            if wanted & set("FMNb") and not any(
                m.lower() in out.lower() for m in NAMES[language]["month"]
            ):
                problems.append(f"{where}: no {language} month name")
            if wanted & set("lD") and not any(d in out for d in NAMES[language]["day"]):
                problems.append(f"{where}: no {language} weekday")
            if ENGLISH_DATES.search(out) or (re.search(r"\b(Jun|Wed)\b", out) and language == "fr"):
                problems.append(f"{where}: English name")
            # What is left once the expected pieces are gone must be glue words, not letters
            # that a format letter produced or an unescaped word lost.
            rest = out
            for piece in (*NAMES[language]["month"], *NAMES[language]["day"], "UTC", "2031"):
                rest = re.sub(re.escape(piece), " ", rest, flags=re.I)
            stray = [
                w
                for w in re.findall(r"[^\W\d_]+", rest)
                if w not in ("à", "a", "um", "Uhr", "de", "las", "h")
            ]
            if stray:
                problems.append(f"{where}: stray {stray}")
            extra = (
                got
                - wanted
                - {"j", "d", "T", "e"}
                - ({"F"} if "M" in wanted else set())
                - ({"M"} if "F" in wanted else set())
                # N: the month's usual abbreviation (juin, juil., jun.) where M gives "Jui".
                - ({"N"} if wanted & set("MF") else set())
            )
            if extra:
                problems.append(f"{where}: format letters {sorted(extra)} not in the English")
    assert not problems, "\n".join(problems)


# Emails -----------------------------------------------------------------------------------------

EMAIL_TESTS = [
    name
    for name, function in inspect.getmembers(pseudo_emails, inspect.isfunction)
    if name.startswith("test_") and function.__module__ == pseudo_emails.__name__
]


def _message_problems(messages: list, language: str, typed: Iterable[str] = ()) -> list[str]:
    data = stored_strings() | set(typed)
    found = []
    for message in messages:
        parts = pseudo_emails.message_texts(message)
        for part, texts in parts.items():
            for problem in leaks(texts, language, data, set()):
                found.append(f"{message.subject!r} [{part}]: {problem}")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", EMAIL_TESTS)
def test_every_email_renders_in_the_language(
    request, monkeypatch, name: str, language: str
) -> None:
    """Run the pseudo-email test's trigger with everyone speaking ``language``; check what was
    sent (subject, text, HTML, calendar files) and the in-app notifications."""

    # Everyone the trigger creates (the fixture's people included) speaks the language from the
    # start: the triggers hold people and organisations in memory across the block.
    def user_speaks(sender, instance, **kwargs) -> None:
        instance.language = language

    def organization_speaks(sender, instance, **kwargs) -> None:
        instance.default_language = language

    pre_save.connect(user_speaks, sender=User, weak=False)
    pre_save.connect(organization_speaks, sender=Organization, weak=False)
    request.addfinalizer(lambda: pre_save.disconnect(user_speaks, sender=User))
    request.addfinalizer(lambda: pre_save.disconnect(organization_speaks, sender=Organization))

    @contextmanager
    def speaking() -> Iterator[None]:
        with across_all_organizations():
            User.objects.update(language=language)
            Organization.objects.update(default_language=language)
        with translation.override(language):
            yield

    def assert_sent(messages: list, *, at_least: int = 1, typed: Iterable[str] = ()) -> None:
        assert len(messages) >= at_least, [m.subject for m in messages]
        problems = _message_problems(messages, language, typed)
        assert not problems, f"{name} in {language}:\n" + "\n".join(problems)

    def notifications(tenant, typed=()) -> list[str]:
        with tenant.scope():
            rows = list(Notification.objects.values_list("subject", "body"))
        data = stored_strings() - {v for row in rows for v in row}
        found = []
        for subject, body in rows:
            for problem in leaks([subject, *text_lines(body)], language, data | set(typed), set()):
                found.append(f"notification {subject!r}: {problem}")
        return found

    def client(*args, **kwargs) -> Client:
        return Client(*args, HTTP_ACCEPT_LANGUAGE=language, **kwargs)

    monkeypatch.setattr(pseudo_emails, "pseudo_language", speaking)
    monkeypatch.setattr(pseudo_emails, "assert_translated", assert_sent)
    monkeypatch.setattr(pseudo_emails, "notification_problems", notifications)
    monkeypatch.setattr(pseudo_emails, "Client", client)
    function = getattr(pseudo_emails, name)
    # A parametrised trigger runs with its first value (the others are the same message type);
    # the fixtures it names in usefixtures are set up too.
    marks = getattr(function, "pytestmark", [])
    values = {mark.args[0]: mark.args[1][0] for mark in marks if mark.name == "parametrize"}
    for mark in marks:
        if mark.name == "usefixtures":
            for fixture in mark.args:
                request.getfixturevalue(fixture)
    arguments = {
        p: values[p] if p in values else request.getfixturevalue(p)
        for p in inspect.signature(function).parameters
    }
    function(**arguments)


# Pages (last: the module's world stays open until the module ends, and the email
# triggers build their own "alpha") ---------------------------------------------------------


def _get(client: Client, url: str) -> tuple[int | str, str, str]:
    """Status (or the exception's name), content type, decoded HTML or CSV header line."""
    try:
        response = client.get(url)
    except Exception as error:  # a page that raises is a 500 the reader sees
        return f"{type(error).__name__}: {error}"[:200], "", ""
    kind = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.status_code != 200 or (
        any(kind.startswith(k) for k in NON_HTML) and not kind.startswith("text/csv")
    ):
        return response.status_code, kind, content.decode(errors="replace")[:2000]
    text = content.decode("utf-8-sig", errors="replace")
    if kind.startswith("text/csv"):
        text = text.splitlines()[0] if text else ""
    return response.status_code, kind, text


def _urls(world: World, role: str) -> list[str]:
    urls = [url for _route, url in world.urls]
    if role in ("hr_admin", "sponsor"):
        for table in CSV_TABLES:
            for base in ("/o/alpha/dashboard/", f"/o/alpha/programs/{world.program}/dashboard/"):
                urls.append(f"{base}{table}.csv")
    return urls


def _texts(kind: str, body: str) -> list[str]:
    if kind.startswith("text/csv"):
        return [body]
    if kind.startswith("text/html"):
        return visible_texts(body)
    return []


@pytest.fixture(scope="module")
def english(world: World, django_db_blocker) -> dict[str, dict[str, tuple]]:
    """Every role's walk in English: status and placeholder-looking tokens per URL."""
    walked: dict[str, dict[str, tuple]] = {}
    with django_db_blocker.unblock():
        for role in ROLES:
            User.objects.filter(pk=world.users[role].pk).update(language="en-gb")
            walked[role] = {}
            for url in _urls(world, role):
                status, kind, body = _get(world.clients[role], url)
                tokens = {t for s in _texts(kind, body) for t in PLACEHOLDER.findall(s)}
                walked[role][url] = (status, tokens)
    return walked


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_in_the_language(world, english, role: str, language: str) -> None:
    client = world.clients[role]
    User.objects.filter(pk=world.users[role].pk).update(language=language)
    data = stored_strings()
    problems: dict[str, list[str]] = {}
    checked = 0
    for url in _urls(world, role):
        status, kind, body = _get(client, url)
        reference_status, reference_tokens = english[role][url]
        found = []
        if status != reference_status:
            found.append(f"status {status} (English: {reference_status})")
        if status == 200 and kind.startswith("text/html"):
            checked += 1
            if "<html" in body and not re.search(rf'<html[^>]*\blang="{language}"', body):
                found.append(f"no <html lang={language!r}>: {re.findall(r'<html[^>]*>', body)!r}")
        found += leaks(
            _texts(kind, body) if status == 200 else [], language, data, reference_tokens
        )
        if found:
            problems[url] = found
    User.objects.filter(pk=world.users[role].pk).update(language="")
    assert checked, f"{role} opened no page in {language}"
    report = "\n".join(
        f"  {url}\n" + "\n".join(f"      {p}" for p in ps) for url, ps in problems.items()
    )
    assert not problems, f"{role}/{language}: {len(problems)} of {checked} pages:\n{report}"


def test_pages_outside_organisations_render(world) -> None:
    """Sign-in, sign-up, password reset, the invitation, a 404: signed out, in each language
    (Accept-Language) against the English statuses."""
    from tests.i18n.test_pseudo_pages import GLOBAL_PAGES, _account_routes

    pages = [
        *GLOBAL_PAGES,
        *_account_routes(),
        f"/invitations/{world.invitation_token}/",
        "/no-such-page/",
    ]
    data = stored_strings()
    reference = {}
    for url in pages:
        status, kind, body = _get(Client(HTTP_ACCEPT_LANGUAGE="en-gb"), url)
        reference[url] = (status, {t for s in _texts(kind, body) for t in PLACEHOLDER.findall(s)})
    problems = []
    for language in LANGUAGES:
        for url in pages:
            status, kind, body = _get(Client(HTTP_ACCEPT_LANGUAGE=language), url)
            if status != reference[url][0]:
                problems.append(f"{language} {url}: status {status} (English {reference[url][0]})")
            if (
                status == 200
                and kind.startswith("text/html")
                and not re.search(rf'<html[^>]*\blang="{language}"', body)
            ):
                problems.append(f"{language} {url}: <html lang> is not {language}")
            problems += [
                f"{language} {url}: {p}"
                for p in leaks(_texts(kind, body), language, data, reference[url][1])
            ]
    assert not problems, "\n".join(problems)
