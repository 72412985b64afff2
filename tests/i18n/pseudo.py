"""A pseudo-language for coverage checks: every string that goes through Django's translation
machinery comes back wrapped in ⟦…⟧, so any visible text outside the markers was never marked
for translation.

``pseudo_language()`` replaces the translation objects Django activates (for requests, for
``translation.override`` and for workers' ``recipient_language``) while it is active.
:func:`unmarked_text` lists what a reader would see that is not wrapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

from django.utils.translation import trans_real

OPEN, CLOSE = "⟦", "⟧"
CONTEXT_SEPARATOR = "\x04"


def wrap(message: str) -> str:
    if not message:
        return message
    return f"{OPEN}{message}{CLOSE}"


class PseudoTranslation:
    """Stands in for ``DjangoTranslation``: the same interface that gettext, ngettext, pgettext
    and get_language use."""

    def __init__(self, language: str) -> None:
        self._language = language
        self.plural = lambda n: int(n != 1)

    def gettext(self, message: str) -> str:
        if CONTEXT_SEPARATOR in message:  # pgettext: "context\x04message"
            message = message.split(CONTEXT_SEPARATOR, 1)[1]
        return wrap(message)

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        chosen = singular if number == 1 else plural
        if CONTEXT_SEPARATOR in chosen:
            chosen = chosen.split(CONTEXT_SEPARATOR, 1)[1]
        return wrap(chosen)

    def language(self) -> str:
        return self._language

    def to_language(self) -> str:
        return self._language

    def merge(self, other: Any) -> None:  # pragma: no cover - interface only
        pass


@contextmanager
def pseudo_language() -> Iterator[None]:
    """Every activation, override and the default catalogue become the pseudo-language (the
    language code stays what was asked for, so formats and negotiation behave as usual)."""
    saved_translation = trans_real.translation
    saved_default = trans_real._default
    saved_active = getattr(trans_real._active, "value", None)

    def translation(language: str) -> PseudoTranslation:
        return PseudoTranslation(language)

    trans_real.translation = translation  # type: ignore[assignment]
    trans_real._default = PseudoTranslation("en-gb")  # type: ignore[assignment]
    if saved_active is not None:
        trans_real._active.value = PseudoTranslation(saved_active.to_language())
    try:
        yield
    finally:
        trans_real.translation = saved_translation
        trans_real._default = saved_default
        if saved_active is not None:
            trans_real._active.value = saved_active
        elif hasattr(trans_real._active, "value"):
            del trans_real._active.value


MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
VISIBLE_ATTRIBUTES = ("title", "aria-label", "aria-description", "placeholder", "alt", "hx-confirm")
SILENT_TAGS = {"script", "style", "template", "noscript"}
# Literal machine text shown as such (column names of a CSV format, commands, codes): the same
# in every language. Put identifiers in <code> rather than allowing them anywhere.
LITERAL_TAGS = {"code", "kbd", "samp"}


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._silent = 0
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SILENT_TAGS or tag in LITERAL_TAGS:
            self._silent += 1
        values = dict(attrs)
        for name in VISIBLE_ATTRIBUTES:
            if values.get(name):
                self.texts.append(values[name] or "")
        if (
            tag == "input"
            and values.get("type") in ("submit", "button", "reset")
            and values.get("value")
        ):
            self.texts.append(values["value"] or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in SILENT_TAGS or tag in LITERAL_TAGS:
            self._silent -= 1

    def handle_endtag(self, tag: str) -> None:
        if (tag in SILENT_TAGS or tag in LITERAL_TAGS) and self._silent:
            self._silent -= 1

    def handle_data(self, data: str) -> None:
        if self._silent:
            return
        # A translated sentence can hold markup (a link inside it): the text nodes between its
        # ⟦ and its ⟧ are inside the marker too, so the depth carries across nodes.
        depth = self._depth
        self._depth = max(0, depth + data.count(OPEN) - data.count(CLOSE))
        if data.strip():
            self.texts.append(f"{OPEN * depth}{data}{CLOSE * self._depth}")


def visible_texts(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.texts


def strip_marked(text: str) -> str:
    """The text with every ⟦…⟧ removed, innermost first (a translated sentence can carry another
    translated string as a value)."""
    previous = None
    while previous != text:
        previous, text = text, MARKED.sub(" ", text)
    return text


WORD = re.compile(r"[^\W\d_]{2,}")
# Addresses, host names and file names are not words to translate: "https://hooks.example/in",
# "example.com", "invite.ics", "someone@example.com".
TECHNICAL = re.compile(r"\S+://\S*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w-]+(?:\.[\w-]+)+\b")


@lru_cache(maxsize=64)
def _data_pattern(values: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?<!\w){re.escape(v)}(?!\w)" for v in values))


def unmarked_text(texts: Iterable[str], data: Iterable[str] = ()) -> list[str]:
    """The pieces of ``texts`` with letters outside any marker, once the known data values
    (names, emails, titles people wrote), addresses and file names are taken out. Empty when
    everything is translated."""
    values = {d.strip() for d in data if d and len(d.strip()) >= 2}
    data_values = sorted(values, key=len, reverse=True)  # the longest value first
    found = []
    for text in texts:
        rest = strip_marked(text)
        if not WORD.search(rest):
            continue
        rest = TECHNICAL.sub(" ", rest)
        # Whole values only: a stored "Help" must not hide the unmarked word "Helpful".
        present = tuple(v for v in data_values if v in rest)
        if present:
            rest = _data_pattern(present).sub(" ", rest)
        if WORD.search(rest):
            found.append(" ".join(rest.split()))
    return found


def text_lines(text: str) -> list[str]:
    """The lines of a plain-text message, each closed and reopened where a translated
    paragraph spans several lines, so that each line can be checked on its own."""
    lines, depth = [], 0
    for line in text.splitlines():
        before = depth
        depth = max(0, depth + line.count(OPEN) - line.count(CLOSE))
        if line.strip():
            lines.append(f"{OPEN * before}{line}{CLOSE * depth}")
    return lines
