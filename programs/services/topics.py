"""Writes of the organisation's topic taxonomy: topics named, renamed and merged.

A merge moves every reference to the merged topic through the handlers of
:mod:`programs.references`; those of this app are the ones below and
:func:`programs.services.objectives.objectives_topic_move`, registered in ``programs.apps``."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorship import services as kernel
from mentorship.events.models import EventType
from mentorship.models import AuditEvent, Organization, User
from programs.models import (
    Participant,
    Program,
    Topic,
)
from programs.references import many_to_many_move, objective_references, topic_references
from programs.services.webhooks import participants_emit

# Rows updated per statement (SQLite caps the parameters of one).
BATCH_SIZE = 500


def _holders_touch(topic: Topic) -> list[int]:
    """The API shows programs' and participants' topics by name: a rename or a merge changes
    them. Bump their ``updated_at`` (for ``?updated_since=``) and return the participants' ids
    (for ``participant.updated``). Call before a merge moves the links away."""
    now = timezone.now()
    Program.objects.filter(topics=topic).update(updated_at=now)
    ids = list(
        Participant.objects.filter(Q(offers=topic) | Q(wants=topic))
        .values_list("pk", flat=True)
        .distinct()
    )
    for start in range(0, len(ids), BATCH_SIZE):
        Participant.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).update(updated_at=now)
    return ids


def _holders_updated(topic: Topic, participant_ids: list[int]) -> None:
    if participant_ids:
        participants_emit(
            organization=topic.organization,
            event_type=EventType.PARTICIPANT_UPDATED,
            participant_ids=participant_ids,
        )


def topics_get_or_create(*, organization: Organization, names: Iterable[str]) -> list[Topic]:
    """The topics with these names (ignoring case), creating the missing ones."""
    wanted: dict[str, str] = {}
    for name in names:
        clean = " ".join(name.split())[:80]
        if clean:
            wanted.setdefault(clean.lower(), clean)
    if not wanted:
        return []
    existing = {
        t.name.lower(): t
        for t in Topic.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=wanted)
    }
    missing = [
        Topic(organization=organization, name=name)
        for key, name in wanted.items()
        if key not in existing
    ]
    Topic.objects.bulk_create(missing)
    existing.update({t.name.lower(): t for t in missing})
    return [existing[key] for key in wanted]


def topic_create(*, organization: Organization, name: str) -> Topic:
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Give the topic a name."))
    if Topic.objects.filter(name__iexact=name).exists():
        raise ValidationError(_("There is already a topic called “%(name)s”.") % {"name": name})
    return Topic.objects.create(organization=organization, name=name)


def topic_rename(*, topic: Topic, name: str) -> Topic:
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Give the topic a name."))
    if Topic.objects.filter(name__iexact=name).exclude(pk=topic.pk).exists():
        raise ValidationError(
            _("There is already a topic called “%(name)s”. Merge the two instead.") % {"name": name}
        )
    with transaction.atomic():
        topic.name = name
        topic.save(update_fields=["name", "updated_at"])
        _holders_updated(topic, _holders_touch(topic))
    return topic


def topic_merge(*, source: Topic, target: Topic, actor: User) -> Topic:
    """Move every reference of ``source`` to ``target``, then delete ``source``.

    Every relation to a topic, in any app, has its handler (:mod:`programs.references`): while one
    has none the merge refuses, before writing anything, rather than let the deletion cascade."""
    if source.pk == target.pk:
        raise ValidationError(_("Choose a different topic to merge into."))
    topic_references.require_handlers()
    objective_references.require_handlers()  # two objectives of one person may be folded
    with transaction.atomic():
        # Both topics locked, in one order, before anything is read: a second merge of either
        # (a form sent twice, two HR admins, A into B while B into A) waits for this one, then
        # finds its topic gone, instead of moving or subtracting the same rows a second time.
        locked = list(
            Topic.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if len(locked) != 2:
            raise ValidationError(_("One of the two topics no longer exists: nothing was merged."))
        moved = _holders_touch(source)
        topic_references.move(source=source, target=target)
        kernel.audit_record(
            organization=target.organization,
            action=AuditEvent.Action.TOPICS_MERGED,
            summary=f"Topic “{source.name}” merged into “{target.name}”",
            actor=actor,
        )
        source.delete()
        _holders_updated(target, moved)
    return target


def program_topics_move(source: Topic, target: Topic) -> None:
    many_to_many_move(Program.topics, source=source, target=target)


def offers_move(source: Topic, target: Topic) -> None:
    many_to_many_move(Participant.offers, source=source, target=target)


def wants_move(source: Topic, target: Topic) -> None:
    many_to_many_move(Participant.wants, source=source, target=target)
