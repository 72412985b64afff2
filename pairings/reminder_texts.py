"""What the reminders of ``pairings.reminders`` say, written in the active language: the pass
composes each one inside ``mentorship.i18n.recipient_language`` for its recipient, so the
words, the day and the time read in the recipient's language (the time already in their zone).
Each function returns the notification's (subject, body)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from pairings.models import Meeting, Pairing
from programs.models import Participant, SessionGuide


def named(person: Participant) -> str:
    """A name as a subject gives it: cut long before the subject's 200 characters, so that what
    follows it (the meeting's time, the closing day) is not what the kernel's cut loses."""
    name = person.full_name
    return name if len(name) <= 100 else name[:99].rstrip() + "\u2026"


def guide_lines(guide: SessionGuide | None) -> str:
    """What a meeting reminder says of the session's guide (the whole guide is on the meeting
    page: the reminder links there)."""
    if guide is None:
        return ""
    lines = "\n\n" + _("This session's guide: Session %(number)s, %(title)s.") % {
        "number": guide.position,
        "title": guide.title,
    }
    if guide.purpose:
        lines += f"\n{guide.purpose}"
    return lines + "\n" + _("The meeting page has the agenda and the questions for each of you.")


def meeting_reminder(
    *, meeting: Meeting, partner: Participant, when: str, guide: SessionGuide | None
) -> tuple[str, str]:
    values = {"partner": partner.full_name, "when": when, "location": meeting.location}
    if meeting.location:
        body = (
            _("Your reverse-mentoring meeting with %(partner)s starts %(when)s, at %(location)s.")
            % values
        )
    else:
        body = _("Your reverse-mentoring meeting with %(partner)s starts %(when)s.") % values
    subject = _("Reminder: meeting with %(partner)s %(when)s") % {
        "partner": named(partner),
        "when": when,
    }
    return subject, body + guide_lines(guide)


def log_prompt(*, partner: Participant, find_time: str) -> tuple[str, str]:
    return (
        _("Log your session with %(partner)s") % {"partner": named(partner)},
        _(
            "A minute now keeps the record of what you taught and learned. Then find a time "
            "for the next one: %(url)s"
        )
        % {"url": find_time},
    )


def quiet_nudge(*, partner: Participant, days: int) -> tuple[str, str]:
    return (
        _("Time to meet %(partner)s again?") % {"partner": named(partner)},
        ngettext(
            "You have not met for %(days)s day. Find a time that suits you both: your "
            "calendars are compared for you.",
            "You have not met for %(days)s days. Find a time that suits you both: your "
            "calendars are compared for you.",
            days,
        )
        % {"days": days},
    )


def quiet_hr(*, pairing: Pairing, days: int, nudged_after: int) -> tuple[str, str]:
    return (
        ngettext(
            "A pair in %(program)s has not met for %(days)s day",
            "A pair in %(program)s has not met for %(days)s days",
            days,
        )
        % {"program": pairing.program.name, "days": days},
        ngettext(
            "%(mentor)s and %(mentee)s were nudged after %(days)s day. A word from you may help.",
            "%(mentor)s and %(mentee)s were nudged after %(days)s days. A word from you may help.",
            nudged_after,
        )
        % {
            "mentor": pairing.mentor.full_name,
            "mentee": pairing.mentee.full_name,
            "days": nudged_after,
        },
    )


def closing_day(moment: datetime, zone: ZoneInfo) -> str:
    """The day a quiet pair closes, in ``zone``, as the active language writes a day."""
    # Translators: a day in Django's date format syntax (j: day, F: month name, Y: year),
    # e.g. German "j. F Y", Spanish "j \d\e F \d\e Y".
    return date_format(moment.astimezone(zone), pgettext("day format", "j F Y"))


def closing_notice(*, pairing: Pairing, partner: Participant, day: str) -> tuple[str, str]:
    return (
        _("Your pairing with %(partner)s will close on %(day)s")
        % {"partner": named(partner), "day": day},
        _(
            "You have not met for a while, so %(program)s will close your pairing on %(day)s, "
            "with no fault on anyone. Want to go on? Keep it with one click on your pair's "
            "page, then find a time to meet."
        )
        % {"program": pairing.program.name, "day": day},
    )
