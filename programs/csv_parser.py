"""Participant CSV parsing: text in, validated rows and every problem out, by the line number the
user sees in the file.

It touches no database and imports nothing from Django (an import-linter contract), so an upload
can be checked before anything is written and the rules tested on their own. The writer,
:mod:`programs.services.imports`, upserts the rows into a program.
"""

from __future__ import annotations

import csv
import functools
import io
import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import available_timezones

from programs.availability import parse_legacy
from programs.fields import IMPORTED_FIELDS

REQUIRED_COLUMNS = ("email", "first_name", "last_name", "side")
# ``availability`` is optional text such as "Tue/Thu mornings": weekly hours where it parses,
# the availability note otherwise. It only fills a participant's empty hours or empty note:
# what people set themselves is never imported over, and an empty cell changes nothing.
COLUMNS = ("email", *IMPORTED_FIELDS, "offers", "wants", "availability")
OPTIONAL_COLUMNS = tuple(column for column in COLUMNS if column not in REQUIRED_COLUMNS)

# The limits of programs.models.Participant and Topic, repeated here so parsing needs no ORM.
EMAIL_MAX = 254
NAME_MAX = 80
DEPARTMENT_MAX = 80
TITLE_MAX = 120
TOPIC_MAX = 80
AVAILABILITY_MAX = 200
LEVEL_MIN, LEVEL_MAX = 1, 30
SIDES = ("junior", "senior")  # programs.models.Side
DEFAULT_TIMEZONE = "UTC"

# C0 controls (line breaks and tabs included), DEL and lone surrogates: none belongs in a name or
# an address, some break emails or PostgreSQL (NUL), and surrogates cannot be stored as UTF-8.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_LEVEL = re.compile(r"[0-9]{1,4}")
_SHOWN_MAX = 40

# Every message a person reads is built with a translation function passed in (Django's
# ``gettext`` from the pages; nothing, so English, from the API and the command line): this module
# imports nothing from Django. The parameters are named ``gettext`` and ``ngettext`` so that
# ``makemessages`` extracts the calls. Column names and the values to type stay as they are in
# the file: they are placeholders, never part of a message to translate.
Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def _identity(message: str) -> str:
    return message


def _identity_plural(singular: str, plural: str, number: int) -> str:
    return singular if number == 1 else plural


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    """One valid line of the file, normalised (emails lowercased, defaults filled in)."""

    line: int
    email: str
    first_name: str
    last_name: str
    side: str
    department: str = ""
    title: str = ""
    level: int = 1
    manager_email: str = ""
    timezone: str = DEFAULT_TIMEZONE
    offers: tuple[str, ...] = ()
    wants: tuple[str, ...] = ()
    # From the ``availability`` cell; None leaves the participant's as it is.
    weekly_availability: tuple[tuple[int, str, str], ...] | None = None
    availability: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``ImportJob.rows`` stores)."""
        data = {
            "line": self.line,
            "email": self.email,
            **{name: getattr(self, name) for name in IMPORTED_FIELDS},
            "offers": list(self.offers),
            "wants": list(self.wants),
        }
        if self.weekly_availability is not None:
            data["weekly_availability"] = [list(r) for r in self.weekly_availability]
        if self.availability is not None:
            data["availability"] = self.availability
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParticipantRow:
        values: dict[str, Any] = {name: data[name] for name in IMPORTED_FIELDS if name in data}
        values.update({name: data[name] for name in ("email", "first_name", "last_name", "side")})
        values["level"] = int(values.get("level", 1))
        weekly = data.get("weekly_availability")
        return cls(
            **values,
            line=int(data["line"]),
            offers=tuple(data.get("offers", ())),
            wants=tuple(data.get("wants", ())),
            weekly_availability=None if weekly is None else tuple(tuple(r) for r in weekly),
            availability=data.get("availability"),
        )

    def availability_changes(self, weekly: list[Any], note: str) -> dict[str, Any]:
        """What this row changes of a participant's weekly hours and note (the model's field
        names and values). The cell only fills what is empty: hours and notes people set
        themselves are never imported over (as with the API), and a note is never emptied."""
        changes: dict[str, Any] = {}
        if self.weekly_availability is not None and not weekly:
            changes["weekly_availability"] = [list(r) for r in self.weekly_availability]
        if self.availability and not note:
            changes["availability"] = self.availability
        return changes


@dataclass
class ParseResult:
    """The valid rows, and ``(line, reason)`` for every line that is not."""

    rows: list[ParticipantRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not self.errors


@functools.cache
def _timezones() -> dict[str, str]:
    """IANA zone names by their lowercase spelling (scanning the zone database is slow)."""
    zones = {name.lower(): name for name in available_timezones()}
    zones.setdefault(DEFAULT_TIMEZONE.lower(), DEFAULT_TIMEZONE)
    return zones


def _shown(value: str) -> str:
    """The value for a message (the message quotes it), cut short so a hostile cell cannot flood
    the report."""
    if len(value) > _SHOWN_MAX:
        value = value[:_SHOWN_MAX] + "…"
    return value


def _too_long(column: str, limit: int, gettext: Gettext) -> str:
    # Translators: %(column)s is a column name of the CSV file (such as first_name), keep it as
    # written; %(limit)s is a number of characters (80 or more).
    return gettext("%(column)s is longer than %(limit)s characters") % {
        "column": column,
        "limit": limit,
    }


# Django's email validator (``django.core.validators.EmailValidator``), restated without Django;
# tests/programs/test_csv_parser.py checks that the two agree.
_LETTERS = "\u00a1-\uffff"  # letters beyond ASCII (not a raw string)
_HOSTNAME = rf"[a-z{_LETTERS}0-9](?:[a-z{_LETTERS}0-9-]{{0,61}}[a-z{_LETTERS}0-9])?"
_LABELS = rf"(?:\.(?!-)[a-z{_LETTERS}0-9-]{{1,63}}(?<!-))*"
_TLD = rf"\.(?!-)(?:[a-z{_LETTERS}-]{{2,63}}|xn--[a-z0-9]{{1,59}})(?<!-)"
_EMAIL_USER = re.compile(
    # dot-atom
    r"(^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*\Z"
    # quoted-string
    r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',
    re.IGNORECASE,
)
_EMAIL_DOMAIN = re.compile(rf"^{_HOSTNAME}{_LABELS}{_TLD}\Z", re.IGNORECASE)
_EMAIL_LITERAL = re.compile(r"\[([A-F0-9:.]+)\]\Z", re.IGNORECASE)  # [IPv4 or IPv6]
_IPV6_MAX = 39


def _ip_address(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        pass
    else:
        return True
    if len(value) > _IPV6_MAX:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def email_valid(value: str) -> bool:
    """Whether ``value`` is an email address by the rules of Django's ``validate_email``."""
    if not value or "@" not in value or len(value) > 320:
        return False
    user, domain = value.rsplit("@", 1)
    if not _EMAIL_USER.match(user):
        return False
    if domain == "localhost" or _EMAIL_DOMAIN.match(domain):
        return True
    literal = _EMAIL_LITERAL.match(domain)
    return literal is not None and _ip_address(literal[1])


def _email_problem(column: str, value: str, gettext: Gettext) -> str:
    if len(value) > EMAIL_MAX:
        return _too_long(column, EMAIL_MAX, gettext)
    if not email_valid(value):
        # Translators: %(column)s is a column name of the CSV file (email or manager_email), keep
        # it as written; %(value)s is the cell's text.
        return gettext("%(column)s “%(value)s” is not a valid email address") % {
            "column": column,
            "value": _shown(value),
        }
    return ""


def _topics(column: str, value: str, problems: list[str], gettext: Gettext) -> tuple[str, ...]:
    """``;``-separated topic names: spaces tidied, empties dropped, first spelling kept."""
    names: dict[str, str] = {}
    for part in value.split(";"):
        name = " ".join(part.split())
        if not name:
            continue
        if len(name) > TOPIC_MAX:
            problems.append(
                # Translators: %(column)s is a column name of the CSV file (offers or wants), keep
                # it as written; %(value)s is a topic name from the cell.
                gettext("%(column)s topic “%(value)s” is longer than %(limit)s characters")
                % {"column": column, "value": _shown(name), "limit": TOPIC_MAX}
            )
            continue
        names.setdefault(name.lower(), name)
    return tuple(names.values())


def _check_row(
    line: int, values: dict[str, str], seen: dict[str, int], gettext: Gettext = _identity
) -> tuple[ParticipantRow | None, list[str]]:
    """Validate one line; ``seen`` maps each email met so far to its first line. The messages
    are built with ``gettext`` (English by default)."""
    problems: list[str] = []
    # A cell with control characters is reported once and skips its other checks.
    broken = {column for column, value in values.items() if _CONTROL.search(value)}
    problems.extend(
        # Translators: %(column)s is a column name of the CSV file, keep it as written.
        gettext("%(column)s contains control characters (such as line breaks)") % {"column": column}
        for column in COLUMNS
        if column in broken
    )

    def required(column: str) -> str:
        # Translators: %(column)s is a column name of the CSV file, keep it as written.
        return gettext("%(column)s is required") % {"column": column}

    sides = {"column": "side", "junior": SIDES[0], "senior": SIDES[1]}

    def usable(column: str) -> str:
        return "" if column in broken else values[column]

    email = usable("email").lower()
    if not values["email"]:
        problems.append(required("email"))
    elif email:
        problem = _email_problem("email", email, gettext)
        if problem:
            problems.append(problem)
        elif email in seen:
            problems.append(
                # Translators: the same email address is on another line of the file. %(column)s
                # is a column name of the CSV file (email), keep it as written.
                gettext("%(column)s also on line %(line)s")
                % {"column": "email", "line": seen[email]}
            )
        else:
            seen[email] = line

    for column in ("first_name", "last_name"):
        if not values[column]:
            problems.append(required(column))
        elif len(values[column]) > NAME_MAX:
            problems.append(_too_long(column, NAME_MAX, gettext))

    side = usable("side").lower()
    if not values["side"]:
        problems.append(
            # Translators: %(column)s is a column name of the CSV file (side), %(junior)s and
            # %(senior)s the values to type in it: keep them as written.
            gettext("%(column)s is required (%(junior)s or %(senior)s)") % sides
        )
    elif side and side not in SIDES:
        problems.append(
            # Translators: %(column)s is a column name of the CSV file (side), %(junior)s and
            # %(senior)s the values to type in it: keep them as written. %(value)s is the cell.
            gettext("%(column)s must be %(junior)s or %(senior)s, not “%(value)s”")
            % {**sides, "value": _shown(values["side"])}
        )

    level = LEVEL_MIN
    raw_level = usable("level")
    if raw_level:
        if _LEVEL.fullmatch(raw_level) and LEVEL_MIN <= int(raw_level) <= LEVEL_MAX:
            level = int(raw_level)
        else:
            problems.append(
                gettext(
                    # Translators: %(column)s is a column name of the CSV file (level), keep it
                    # as written; %(value)s is the cell's text.
                    "%(column)s must be a whole number from %(min)s to %(max)s, not “%(value)s”"
                )
                % {
                    "column": "level",
                    "min": LEVEL_MIN,
                    "max": LEVEL_MAX,
                    "value": _shown(raw_level),
                }
            )

    manager_email = usable("manager_email").lower()
    if manager_email:
        problem = _email_problem("manager_email", manager_email, gettext)
        if problem:
            problems.append(problem)
        elif manager_email == email:
            problems.append(
                # Translators: %(column)s is a column name of the CSV file (manager_email), keep
                # it as written.
                gettext("%(column)s is the participant's own email") % {"column": "manager_email"}
            )

    timezone = DEFAULT_TIMEZONE
    if usable("timezone"):
        timezone = _timezones().get(values["timezone"].lower(), "")
        if not timezone:
            problems.append(
                # Translators: %(column)s is a column name of the CSV file (timezone), keep it as
                # written; %(value)s is the cell's text. The example is an IANA time zone name
                # (you may give one of your language's region, such as Europe/Berlin).
                gettext("%(column)s “%(value)s” is not a known time zone (such as Europe/Paris)")
                % {"column": "timezone", "value": _shown(values["timezone"])}
            )

    for column, limit in (("department", DEPARTMENT_MAX), ("title", TITLE_MAX)):
        if len(values[column]) > limit:
            problems.append(_too_long(column, limit, gettext))

    offers = _topics("offers", usable("offers"), problems, gettext)
    wants = _topics("wants", usable("wants"), problems, gettext)

    weekly: tuple[tuple[int, str, str], ...] | None = None
    note: str | None = None
    text = " ".join(usable("availability").split())
    if len(text) > AVAILABILITY_MAX:
        problems.append(_too_long("availability", AVAILABILITY_MAX, gettext))
    elif text:
        ranges = parse_legacy(text)
        if ranges is None:
            note = text  # kept as the note; the weekly hours stay as they are
        else:
            weekly, note = tuple((r[0], r[1], r[2]) for r in ranges), ""

    if problems:
        return None, problems
    return (
        ParticipantRow(
            line=line,
            email=email,
            first_name=values["first_name"],
            last_name=values["last_name"],
            side=side,
            department=values["department"],
            title=values["title"],
            level=level,
            manager_email=manager_email,
            timezone=timezone,
            offers=offers,
            wants=wants,
            weekly_availability=weekly,
            availability=note,
        ),
        problems,
    )


def _records(text: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """``(first line, cells, "")`` per CSV record, or ``(line, None, reason)`` when the csv
    module cannot read it (a cell over its size limit, say; the reason is the csv module's, in
    English); reading goes on after it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    last = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield last + 1, None, str(exc)
            if reader.line_num == last:  # no progress: stop rather than loop
                return
            last = reader.line_num
            continue
        # A quoted cell may span lines: the record starts on the line after the previous one.
        yield last + 1, cells, ""
        last = reader.line_num


def parse_participants_csv(
    text: str, *, gettext: Gettext = _identity, ngettext: Ngettext = _identity_plural
) -> ParseResult:
    """Read a participants CSV (header row first) and validate every line.

    Never raises on bad content: every problem becomes an error, and every bad line is reported
    (all of its problems joined with "; "), so the file can be fixed in one go. The messages are
    built with ``gettext`` and ``ngettext`` (English by default; the pages pass Django's).
    """
    result = ParseResult()
    text = text.removeprefix("\ufeff")
    records = _records(text)

    header_line, header = 1, None
    for line, cells, problem in records:
        if cells is None:
            # Translators: %(reason)s is the CSV reader's own explanation, in English.
            message = gettext("the header could not be read (%(reason)s)")
            result.errors.append((line, message % {"reason": problem}))
            return result
        if any(cell.strip() for cell in cells):
            header_line, header = line, cells
            break
    if header is None:
        result.errors.append((1, gettext("the file is empty")))
        return result

    positions: dict[str, int] = {}
    for position, cell in enumerate(header):
        name = cell.strip().lower()
        if name in COLUMNS:
            if name in positions:
                # Translators: %(column)s is a column name of the CSV file, keep it as written.
                message = gettext("column %(column)s appears more than once")
                result.errors.append((header_line, message % {"column": name}))
                return result
            positions[name] = position
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        message = ngettext(
            # Translators: %(columns)s lists column names of the CSV file, keep them as written.
            "missing required column: %(columns)s",
            "missing required columns: %(columns)s",
            len(missing),
        )
        result.errors.append((header_line, message % {"columns": ", ".join(missing)}))
        return result

    wanted = [(column, positions.get(column)) for column in COLUMNS]
    seen: dict[str, int] = {}
    for line, cells, problem in records:
        if cells is None:
            # Translators: %(reason)s is the CSV reader's own explanation, in English.
            message = gettext("this line could not be read (%(reason)s)")
            result.errors.append((line, message % {"reason": problem}))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        width = len(cells)
        values = {
            column: cells[position].strip() if position is not None and position < width else ""
            for column, position in wanted
        }
        row, problems = _check_row(line, values, seen, gettext)
        if row is None:
            result.errors.append((line, "; ".join(problems)))
        else:
            result.rows.append(row)
    return result
