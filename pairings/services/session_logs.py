"""Writes of session logs: either partner logs a session of their pair, with the topics and
the progress on their learning objectives; the weekly totals count it in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from pairings import activity, reminders
from pairings.models import Meeting, Pairing, SessionLog
from pairings.services.webhooks import session_logged_emit
from pairings.timezones import zone_named
from programs.models import Participant
from programs.tallies import tally_track

GUIDE_ANSWERS = {"", *(value for value, _ in SessionLog._meta.get_field("guide_followed").choices)}


class LikelyDuplicate(ValidationError):
    """A session of this pair is already logged for that day; the author may still save."""


def session_log_create(
    *,
    pairing: Pairing,
    author: Participant,
    date: Any,
    minutes: int,
    topics: Iterable[Any] = (),
    progress: Mapping[int, int] | None = None,
    taught: str = "",
    learned: str = "",
    shared_notes: str = "",
    private_notes: str = "",
    confirm_duplicate: bool = False,
    guide_position: int | None = None,
    guide_followed: str = "",
    meeting: Meeting | None = None,
) -> SessionLog:
    """Log a session of the pair. ``progress`` maps the author's objectives touched to their
    progress now (0-100). The same pair on the same day is flagged unless confirmed.
    ``guide_position`` is the session plan's guide the meeting had (its position then, which
    a later edit of the plan does not move), ``guide_followed`` how far the pair followed it.
    ``meeting`` is the meeting the log records (logged from that meeting's page): one of this
    pair's that was not cancelled."""
    if guide_followed not in GUIDE_ANSWERS:
        raise ValidationError({"guide_followed": _("Choose yes, partly or no.")})
    if guide_followed and guide_position is None:
        raise ValidationError(_("This session had no guide to follow."))
    if meeting is not None and (meeting.pairing_id != pairing.pk or meeting.cancelled_at):
        raise ValidationError(_("That meeting is not one this pair held."))
    if author.pk not in (pairing.mentor_id, pairing.mentee_id):
        raise ValidationError(_("Only the two partners log their sessions."))
    if pairing.status not in (Pairing.Status.ACTIVE, Pairing.Status.CONFIRMED):
        raise ValidationError(_("Sessions are logged once the pairing has started."))
    if date > timezone.now().astimezone(zone_named(author.timezone)).date():
        raise ValidationError({"date": _("A session is logged after it happened.")})
    if not confirm_duplicate:
        same_day = (
            SessionLog.objects.filter(pairing=pairing, date=date).select_related("author").first()
        )
        if same_day is not None:
            # Translators: a day in Django's date format syntax (d: day with a leading zero,
            # F: month name, Y: year), e.g. German "d. F Y".
            day = date_format(date, pgettext("day format", "d F Y"))
            raise LikelyDuplicate(
                _(
                    "%(name)s already logged a session of this pair on %(day)s. If this is a "
                    "different session, tick “This is another session” and save again."
                )
                % {"name": same_day.author.full_name, "day": day}
            )
    progress_by_id = {int(k): int(v) for k, v in (progress or {}).items()}
    touched = [o for o in author.objectives.all() if o.pk in progress_by_id]
    # The objectives' progress and when the pair last met move the dashboards' totals.
    with tally_track([pairing.mentor_id, pairing.mentee_id]):
        log = SessionLog.objects.create(
            organization=pairing.organization,
            pairing=pairing,
            author=author,
            meeting=meeting,
            date=date,
            minutes=minutes,
            taught=taught,
            learned=learned,
            shared_notes=shared_notes,
            private_notes=private_notes,
            guide_position=guide_position,
            guide_followed=guide_followed,
        )
        topics = list(topics)
        log.topics.set(topics)
        log.objectives.set(touched)
        activity.record_session(log=log, topics=topics)
        for objective in touched:
            objective.progress = max(0, min(100, progress_by_id[objective.pk]))
            objective.save(update_fields=["progress", "updated_at"])
        met = datetime.combine(date, time(12), tzinfo=UTC)
        if pairing.last_met_at is None or pairing.last_met_at < met:
            Pairing.objects.filter(pk=pairing.pk).update(last_met_at=met, updated_at=timezone.now())
            reminders.quiet_check_rearm(pairing=pairing, after_meeting_at=met)
        session_logged_emit(organization=pairing.organization, log_id=log.pk)
    return log
