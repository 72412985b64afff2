"""The whole database as rows, to prove that a refused request or a failed task wrote nothing."""

from __future__ import annotations

from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib.sessions.models import Session

from mentorship.tenancy import across_all_organizations

# Rows that change on any request whatever the form says: the session holds the sign-in and
# the flash messages shown after a POST. Everything else must be untouched by a refused POST.
# allauth's user sessions note when a session was last seen (throttled, on any request).
UNCHECKED_MODELS = {Session, UserSession}


def snapshot() -> dict[str, list[tuple]]:
    with across_all_organizations():
        return {
            model._meta.label: list(model._default_manager.order_by("pk").values_list())
            for model in apps.get_models()
            if model not in UNCHECKED_MODELS
        }


def changed(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, str]:
    return {
        label: f"{len(before[label])} -> {len(after[label])} rows"
        + ("" if len(before[label]) != len(after[label]) else " (contents changed)")
        for label in before
        if before[label] != after[label]
    }
