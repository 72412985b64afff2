"""The pair pages' words kept as data: the history's stored notes, the matching criteria's keys
and statuses inside a sentence, shown in the viewer's language."""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext, ngettext, pgettext_lazy

from pairings.matching import CRITERIA_LABELS
from pairings.models import Pairing
from pairings.selectors import EXIT_NOTE
from pairings.services.quiet import KEPT_NOTE
from programs.models import Program

register = template.Library()

# Notes the product writes into a pair's history are stored in English (EXIT_NOTE is also looked
# up in the database); they are marked with gettext_noop where written and translated here.
_FIXED_NOTES = (KEPT_NOTE,)
# pairings.services.quiet.closed_note
_CLOSED_NOTE = re.compile(r"Closed after (\d+) days without a meeting")

# The "inside a sentence" statuses follow a comma or "now:"; each language writes them as such
# a word is written there (German nouns keep their capital).
# A status inside a sentence ("…, active"; "(now: draft)"): whole lower-case words, so that
# languages that capitalise nouns can.
_IN_SENTENCE = {
    "pairings.pairing": {
        "proposed": pgettext_lazy("pairing status, inside a sentence", "proposed"),
        "confirmed": pgettext_lazy("pairing status, inside a sentence", "confirmed by the senior"),
        "active": pgettext_lazy("pairing status, inside a sentence", "active"),
        "dissolved": pgettext_lazy("pairing status, inside a sentence", "dissolved"),
        "declined": pgettext_lazy("pairing status, inside a sentence", "declined"),
    },
    "programs.program": {
        "draft": pgettext_lazy("program status, inside a sentence", "draft"),
        "enrolling": pgettext_lazy("program status, inside a sentence", "enrolling"),
        "matching": pgettext_lazy("program status, inside a sentence", "matching"),
        "active": pgettext_lazy("program status, inside a sentence", "active"),
        "closed": pgettext_lazy("program status, inside a sentence", "closed"),
    },
}


@register.filter
def event_note(note: str) -> str:
    """A history note in the active language: the product's own notes translated, whatever
    else (what a partner or an HR admin typed) as it was written."""
    if note in _FIXED_NOTES:
        return gettext(note)
    if note == EXIT_NOTE or note.startswith(EXIT_NOTE + " "):
        # The partner's own words follow the fixed prefix; they stay as typed.
        return f"{gettext(EXIT_NOTE)}{note.removeprefix(EXIT_NOTE)}"
    if match := _CLOSED_NOTE.fullmatch(note):
        days = int(match[1])
        # Translators: a line of a pair's history: the program closed a quiet pair.
        return ngettext(
            "Closed after %(days)s day without a meeting",
            "Closed after %(days)s days without a meeting",
            days,
        ) % {"days": days}
    return note


@register.filter
def criterion_label(key: str) -> str:
    """A matching criterion's label ("topic_fit": "The junior teaches what the senior wants")."""
    label = CRITERIA_LABELS.get(key)
    return gettext(label) if label else key.replace("_", " ").capitalize()


@register.filter
def status_in_sentence(obj: Pairing | Program) -> str:
    """A pairing's or a program's status as a word inside a sentence; other statuses as their
    label."""
    words = _IN_SENTENCE.get(obj._meta.label_lower, {})
    word = words.get(obj.status)
    return str(word) if word is not None else obj.get_status_display()
