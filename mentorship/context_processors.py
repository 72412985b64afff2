"""Header data for every page: the viewer's organisations (switcher) and unread notifications."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from mentorship import selectors


def tenancy(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    organization = getattr(request, "organization", None)
    context: dict[str, Any] = {
        "current_organization": organization,
        "current_membership": getattr(request, "membership", None),
        # Lazy: pages that do not render the header (htmx partials) pay no query.
        "my_memberships": SimpleLazyObject(
            lambda: selectors.memberships_of_user_across_organizations(user=user)
        ),
    }
    if organization is not None:
        context["unread_notifications"] = SimpleLazyObject(
            lambda: selectors.notification_unread_count(user=user)
        )
    return context
