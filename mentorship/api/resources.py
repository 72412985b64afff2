"""The kernel's API resources: members (read), invitations (create), audit events (read).

The pattern every app's ``api.py`` follows: a serializer that names exactly the fields the API
shows, a viewset subclassing ``OrganizationAPIMixin`` first that reads through a selector (and
writes through the service the pages use), and a ``ROUTES`` entry the frame's router mounts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from mentorship import selectors, services
from mentorship.api.base import OrganizationAPIMixin, error_responses, path_id
from mentorship.api.errors import Conflict
from mentorship.forms import InvitationForm
from mentorship.models import AuditEvent, Invitation, Membership, Role
from mentorship.web import error_text

# Ids are digits, and at most 18 of them: a longer number is no id (SQLite raises on it), and
# the path is then no route at all (the API's JSON 404).
ID_PATTERN = "[0-9]{1,18}"
# Lists: 400 for a bad ``updated_since``, 404 for a cursor that is not one of ours.
LIST_ERRORS = error_responses(400, 404)
# An HR admin can do everything, API keys included: becoming one takes a person's invitation
# in Settings, never a key's (a leaked read-write key must not mint administrators).
API_INVITABLE_ROLES = [Role.PARTICIPANT, Role.SPONSOR]


class AuditEventSerializer(serializers.ModelSerializer):
    actor_email = serializers.EmailField(source="actor.email", allow_null=True, read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "action", "summary", "actor_email", "created_at"]


@extend_schema_view(
    list=extend_schema(
        summary="List audit events",
        description="The organisation's audit log, oldest first. ``updated_since`` filters on "
        "the time an event was recorded (events never change).",
        responses={200: AuditEventSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="An audit event",
        parameters=[path_id("audit event")],
        responses={200: AuditEventSerializer, **error_responses(404)},
    ),
)
class AuditEventViewSet(OrganizationAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The organisation's audit log, oldest first (page with the cursor)."""

    serializer_class = AuditEventSerializer
    lookup_value_regex = ID_PATTERN
    # Audit events never change: "updated since" is "recorded since".
    updated_field = "created_at"

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return selectors.audit_events().select_related("actor")


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(
        source="user.get_full_name", read_only=True, help_text="Empty when not given."
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), read_only=True
    )
    active = serializers.BooleanField(
        source="is_active",
        read_only=True,
        help_text="False once removed from the organisation (their history stays).",
    )

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "roles", "active", "created_at", "updated_at"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="List members",
        description="Everyone with access to the organisation, and those removed from it "
        "(``active`` false), in the order they joined.",
        responses={200: MemberSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="A member",
        parameters=[path_id("member")],
        responses={200: MemberSerializer, **error_responses(404)},
    ),
)
class MemberViewSet(OrganizationAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MemberSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[Membership]:
        return selectors.members_list(include_removed=True)


class InvitationCreateSerializer(serializers.Serializer):
    """Checked by the Invitations page's own form, with its messages."""

    email = serializers.CharField(help_text="The address the invitation is sent to.")
    role = serializers.ChoiceField(
        choices=[(role.value, role.label) for role in API_INVITABLE_ROLES],
        help_text="HR admins are invited by a person, in Settings → Invitations.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        form = InvitationForm(data=attrs)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        return form.cleaned_data


class InvitationSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=Invitation.Status.choices, read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "created_at", "expires_at"]
        read_only_fields = fields


@extend_schema_view(
    create=extend_schema(
        summary="Invite someone to the organisation",
        description="As the Invitations page does: the invitation email goes out at once, and "
        "a pending invitation of the same address for the same role is withdrawn, so only the "
        "newest link works. 409 when they are already a member with that role.",
        request=InvitationCreateSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Send a unique value (a UUID) to make the request safe to retry.",
            )
        ],
        responses={201: InvitationSerializer, **error_responses(400, 403, 409, 422)},
    ),
)
class InvitationViewSet(OrganizationAPIMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = InvitationSerializer

    def get_queryset(self) -> QuerySet[Invitation]:
        return selectors.invitations_list()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = InvitationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            invitation = services.invitation_create(
                organization=self.organization,
                email=body.validated_data["email"],
                role=Role(body.validated_data["role"]),
                invited_by=None,
            )
        except DjangoValidationError as exc:
            raise Conflict(error_text(exc), code="already_member") from exc
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


ROUTES: list[tuple[str, Any, str]] = [
    ("members", MemberViewSet, "api-member"),
    ("invitations", InvitationViewSet, "api-invitation"),
    ("audit-events", AuditEventViewSet, "api-audit-event"),
]
