"""What must move when one row takes another's place: every relation that points at a topic (a
topic merge) or at a learning objective (one person's two objectives folded into one).

Each relation is found in Django's model registry, so one added by any app, now or later, is
known here without this app importing that app. Each must have a handler, registered by the
app that owns the relation from its ``AppConfig.ready()`` (``pairings`` registers its session-log
tags and weekly topic totals): a merge refuses to start, writing nothing, while a relation has
none. That is what keeps a merge from silently deleting rows through ``on_delete=CASCADE``.

A relation is named ``"<app>.<Model>.<field>"``: ``"pairings.SessionLog.topics"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models

from programs.models import LearningObjective, Topic

# ``handler(source, target)``: move every reference of ``source`` in one relation to ``target``.
Handler = Callable[[Any, Any], None]


def relation_label(relation: models.ForeignObjectRel) -> str:
    return f"{relation.related_model._meta.label}.{relation.field.name}"


class References:
    """The relations that point at one model, each with its handler."""

    def __init__(self, model: type[models.Model], noun: str) -> None:
        self.model = model
        self.noun = noun
        self.handlers: dict[str, Handler] = {}

    def relations(self) -> list[str]:
        """Every relation of any model that points at ``model``, hidden ones (``related_name``
        "+") included. The foreign keys of an automatic many-to-many table are left out: the
        many-to-many field names that table, and its handler moves its rows."""
        return sorted(
            relation_label(field)
            for field in self.model._meta.get_fields(include_hidden=True)
            if field.is_relation
            and field.auto_created
            and not field.concrete
            and not field.related_model._meta.auto_created
        )

    def register(self, label: str, handler: Handler) -> None:
        if label not in self.relations():
            raise ImproperlyConfigured(f"{label} is not a relation to {self.model._meta.label}.")
        if self.handlers.get(label, handler) is not handler:
            raise ImproperlyConfigured(f"{label} already has a handler.")
        self.handlers[label] = handler

    def unhandled(self) -> list[str]:
        return [label for label in self.relations() if label not in self.handlers]

    def require_handlers(self) -> None:
        """Refuse, before anything is written, while a relation has no handler."""
        if missing := self.unhandled():
            raise ValidationError(
                f"{self.noun.capitalize()}s cannot be merged yet: nothing moves their references "
                f"in {', '.join(missing)}. Nothing was changed."
            )

    def move(self, *, source: models.Model, target: models.Model) -> None:
        """Move every reference of ``source`` to ``target`` (call inside a transaction)."""
        self.require_handlers()
        for label in self.relations():
            self.handlers[label](source, target)


topic_references = References(Topic, "topic")
objective_references = References(LearningObjective, "learning objective")


def topic_reference_register(label: str, handler: Handler) -> None:
    """Register how a topic merge moves the relation ``label`` from one topic to another."""
    topic_references.register(label, handler)


def objective_reference_register(label: str, handler: Handler) -> None:
    """Register how folding one learning objective into another moves the relation ``label``."""
    objective_references.register(label, handler)


def many_to_many_move(descriptor: Any, *, source: models.Model, target: models.Model) -> None:
    """Move the links of a many-to-many relation (``Participant.offers``, given as the class
    attribute) from ``source`` to ``target``; a row linked to both keeps one link."""
    field = descriptor.field
    through = descriptor.through
    owner = f"{field.m2m_field_name()}_id"
    other = field.m2m_reverse_field_name()
    rows = through.objects.filter(**{other: source})
    rows.filter(
        **{f"{owner}__in": through.objects.filter(**{other: target}).values(owner)}
    ).delete()
    rows.update(**{other: target})
