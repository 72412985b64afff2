"""The kernel's API resources: members (read), invitations (create), audit events (read).

The pattern every app's ``api.py`` follows: a serializer that names exactly the fields the API
shows, a viewset subclassing ``OrganizationAPIMixin`` first that reads through a selector, and
a ``ROUTES`` entry the frame's router mounts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from mentorship import selectors
from mentorship.api.base import OrganizationAPIMixin
from mentorship.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    actor_email = serializers.EmailField(source="actor.email", allow_null=True, read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "action", "summary", "actor_email", "created_at"]


class AuditEventViewSet(OrganizationAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The organisation's audit log, oldest first (page with the cursor)."""

    serializer_class = AuditEventSerializer
    # Audit events never change: "updated since" is "recorded since".
    updated_field = "created_at"

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return selectors.audit_events().select_related("actor")


ROUTES: list[tuple[str, Any, str]] = [
    ("audit-events", AuditEventViewSet, "api-audit-event"),
]
