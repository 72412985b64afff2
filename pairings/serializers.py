"""What the API shows of pairs, meetings and session logs, and what their webhook events carry
(the same representation: ``pairings.api`` lists and ``pairings.services.webhooks`` emits).

Each serializer names every field it shows. Never a note of any kind (a session log's notes,
what each side taught or learned, a pair's dissolving note, a partner's exit request), never a
meeting's location. Read the rows through the ``*_for_api`` selectors: they fetch exactly these
columns and the relations in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pairings.models import Meeting, Pairing, PairingEvent, SessionLog
from pairings.selectors import meeting_ends_at

# A meeting's status, derived from its cancellation (the model has no status field).
MEETING_STATUSES = [("scheduled", "Scheduled"), ("cancelled", "Cancelled")]


class PairStatusChangeSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = PairingEvent
        fields = ["status", "at"]
        read_only_fields = fields


class PairSerializer(serializers.ModelSerializer):
    program = serializers.IntegerField(source="program_id", read_only=True)
    # Also what a chat message (Slack, Teams) of a webhook names the program by.
    program_name = serializers.CharField(source="program.name", read_only=True)
    junior = serializers.IntegerField(
        source="mentor_id", read_only=True, help_text="The junior's participant id (the mentor)."
    )
    senior = serializers.IntegerField(
        source="mentee_id", read_only=True, help_text="The senior's participant id (the mentee)."
    )
    status_history = serializers.SerializerMethodField(
        help_text="Every status the pair has had, oldest first."
    )

    class Meta:
        model = Pairing
        fields = [
            "id",
            "program",
            "program_name",
            "junior",
            "senior",
            "status",
            "manual",
            "score",
            "created_at",
            "updated_at",
            "last_met_at",
            "status_history",
        ]
        read_only_fields = fields

    @extend_schema_field(PairStatusChangeSerializer(many=True))
    def get_status_history(self, pairing: Pairing) -> list[dict[str, Any]]:
        # Prefetched by selectors.pairs_for_api; read here only for a pair fetched otherwise.
        events = getattr(pairing, "public_history", None)
        if events is None:
            events = pairing.events.filter(confidential=False).order_by("created_at", "id")
        return PairStatusChangeSerializer(events, many=True).data


class MeetingSerializer(serializers.ModelSerializer):
    pair = serializers.IntegerField(source="pairing_id", read_only=True)
    ends_at = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    cancelled_by_side = serializers.SerializerMethodField(
        help_text="Which partner cancelled: junior, senior, or null (not cancelled, or cancelled "
        "by someone else, e.g. when the pair ended)."
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "pair",
            "starts_at",
            "ends_at",
            "duration_minutes",
            "status",
            "cancelled_at",
            "cancelled_by_side",
            "sequence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField())
    def get_ends_at(self, meeting: Meeting) -> str:
        return serializers.DateTimeField().to_representation(meeting_ends_at(meeting))

    @extend_schema_field(serializers.ChoiceField(choices=MEETING_STATUSES))
    def get_status(self, meeting: Meeting) -> str:
        return "cancelled" if meeting.cancelled_at else "scheduled"

    @extend_schema_field(serializers.ChoiceField(choices=["junior", "senior"], allow_null=True))
    def get_cancelled_by_side(self, meeting: Meeting) -> str | None:
        return meeting.cancelled_by_side or None


class SessionLogSerializer(serializers.ModelSerializer):
    """Date, minutes and topics: nothing anyone wrote."""

    pair = serializers.IntegerField(source="pairing_id", read_only=True)
    author = serializers.IntegerField(
        source="author_id", read_only=True, help_text="The participant id of who logged it."
    )
    meeting = serializers.IntegerField(source="meeting_id", read_only=True, allow_null=True)
    topics = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Topic ids.")

    class Meta:
        model = SessionLog
        fields = ["id", "pair", "author", "meeting", "date", "minutes", "topics"]
        read_only_fields = fields
