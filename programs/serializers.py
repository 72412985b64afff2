"""What the API shows of programs, topics and participants, and the shape of what it accepts.

The read serializers are also the payload of this app's webhook events
(:mod:`programs.services.webhooks`): a receiver gets exactly what the API would show. Writes are
checked here for their JSON types only; the values are checked by the participant CSV import's
own rules (:mod:`programs.services.upserts`), so an API item and a CSV line get the same
messages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from programs import availability, selectors
from programs.models import Participant, Program, Side, Topic

# Items of one bulk request: a few hundred kilobytes of JSON, written in one transaction.
BULK_MAX_ITEMS = 1000


class TopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["id", "name", "created_at", "updated_at"]
        read_only_fields = fields


class ProgramSerializer(serializers.ModelSerializer):
    topics = serializers.SlugRelatedField(
        many=True,
        read_only=True,
        slug_field="name",
        help_text="Names of the program's topics (see /topics/).",
    )

    class Meta:
        model = Program
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "goals",
            "status",
            "start_date",
            "end_date",
            "cadence_weeks",
            "expected_sessions",
            "mentees_per_mentor",
            "mentors_per_mentee",
            "min_level_gap",
            "training_required",
            "topics",
            "archived_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProgramStatusChangedSerializer(ProgramSerializer):
    """The payload of ``program.status_changed``: the program as the API shows it (its new
    ``status``), and the status it had before."""

    previous_status = serializers.ChoiceField(choices=Program.Status.choices, read_only=True)

    class Meta(ProgramSerializer.Meta):
        fields = [*ProgramSerializer.Meta.fields, "previous_status"]
        read_only_fields = fields


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class TopicNamesField(serializers.Field):
    """A participant's topics by name, sorted: read from the names
    ``selectors.participants_topic_names`` attached (a page's in two queries), else from the
    relation."""

    def __init__(self, *, relation: str, attached: str, **kwargs: Any) -> None:
        self.relation = relation
        self.attached = attached
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, participant: Participant) -> list[str]:
        names = getattr(participant, self.attached, None)
        if names is None:
            names = [topic.name for topic in getattr(participant, self.relation).all()]
        return sorted(names)


RANGE_SCHEMA = {
    "type": "array",
    "items": {
        "type": "array",
        "minItems": 3,
        "maxItems": 3,
        "items": {"oneOf": [{"type": "integer", "minimum": 0, "maximum": 6}, {"type": "string"}]},
    },
    "maxItems": availability.MAX_RANGES,
    "example": [[0, "09:00", "12:00"], [2, "14:00", "17:00"]],
}
WEEKLY_HELP = (
    "When they can usually meet, in their own time zone: [weekday, start, end] ranges, weekday "
    "0 for Monday, times HH:MM on the hour or the half hour (end up to 24:00, after the start). "
    "Overlapping ranges are merged; empty when not given."
)


@extend_schema_field(RANGE_SCHEMA)
class WeeklyAvailabilityField(serializers.Field):
    """The weekly ranges (``programs.availability``): checked and merged when written, with one
    message per bad range."""

    def to_internal_value(self, data: Any) -> list[Any]:
        try:
            return availability.normalise(data)
        except availability.AvailabilityError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def to_representation(self, value: Any) -> list[Any]:
        return list(value or [])


class ParticipantSerializer(serializers.ModelSerializer):
    program = serializers.IntegerField(source="program_id", read_only=True)
    program_slug = serializers.SerializerMethodField()
    offers = TopicNamesField(
        relation="offers", attached="offer_names", help_text="Topics they can teach (names)."
    )
    wants = TopicNamesField(
        relation="wants", attached="want_names", help_text="Topics they want to learn (names)."
    )
    # Text, not an email format: empty when unknown.
    manager_email = serializers.CharField(read_only=True)
    weekly_availability = WeeklyAvailabilityField(read_only=True, help_text=WEEKLY_HELP)
    member_id = serializers.IntegerField(
        source="membership_id",
        allow_null=True,
        read_only=True,
        help_text="Their membership of the organisation (see /members/) once they have "
        "joined; null while invited.",
    )

    class Meta:
        model = Participant
        fields = [
            "id",
            "program",
            "program_slug",
            "email",
            "first_name",
            "last_name",
            "side",
            "status",
            "department",
            "title",
            "level",
            "manager_email",
            "timezone",
            "weekly_availability",
            "offers",
            "wants",
            "training_done",
            "matched",
            "member_id",
            "created_at",
            "updated_at",
            "status_changed_at",
        ]
        read_only_fields = fields

    def get_program_slug(self, participant: Participant) -> str:
        # Annotated by selectors.participants_for_api (no join of the program's row).
        slug = getattr(participant, "program_slug", None)
        return slug if slug is not None else participant.program.slug


class ParticipantFilterSerializer(serializers.Serializer):
    """The list's filters (query parameters); an empty one filters nothing."""

    program = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="A program's slug or id."
    )
    status = serializers.ChoiceField(
        choices=Participant.Status.choices, required=False, allow_blank=True
    )
    side = serializers.ChoiceField(choices=Side.choices, required=False, allow_blank=True)
    email = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=320,
        help_text="Their email address (any case): their rows in every program, or in the "
        "program filtered on.",
    )


# --- Writes ---------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class CellField(serializers.Field):
    """A text value of a participant, as a CSV cell would hold it.

    Only its type is checked here: emptiness, length, control characters and formats are the
    CSV import's rules, with its messages. A missing value is an empty cell (so a missing email
    is reported as the importer reports an empty one); in a partial update it is left alone."""

    default_error_messages = {"invalid": "Give text (a JSON string)."}

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is empty:
            if getattr(self.root, "partial", False):
                raise serializers.SkipField()
            return True, ""
        if data is None:
            self.fail("invalid")
        return False, data

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> str:
        return str(value)


@extend_schema_field(OpenApiTypes.INT)
class LevelField(CellField):
    """The seniority level: a JSON integer; its range is the importer's rule."""

    default_error_messages = {"invalid": "Give a whole number (a JSON integer)."}

    def to_internal_value(self, data: Any) -> str:
        # bool is an int in Python: JSON's true is no level.
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("invalid")
        return str(data)


class TopicNameField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        # The importer reads a cell of names separated by ";": such a name cannot exist.
        if ";" in data:
            raise serializers.ValidationError("A topic name cannot contain “;”.")
        return data


def topic_names(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=TopicNameField(),
        required=False,
        max_length=100,
        **kwargs,
    )


class ParticipantChangesSerializer(serializers.Serializer):
    """A participant's details as the CSV import reads them (its columns, without the email)."""

    first_name = CellField(required=True, help_text="Required; at most 80 characters.")
    last_name = CellField(required=True, help_text="Required; at most 80 characters.")
    side = CellField(required=True, help_text="“junior” (reverse mentor) or “senior”.")
    department = CellField(required=False, help_text="At most 80 characters.")
    title = CellField(required=False, help_text="At most 120 characters.")
    level = LevelField(
        required=False, help_text="From 1 to 30, higher is more senior; 1 if not given."
    )
    manager_email = CellField(required=False, help_text="Their manager's email address.")
    timezone = CellField(
        required=False, help_text="An IANA time zone such as Europe/Paris; UTC if not given."
    )
    offers = topic_names(help_text="Names of topics they can teach; missing ones are created.")
    wants = topic_names(help_text="Names of topics they want to learn; missing ones are created.")


class ParticipantItemSerializer(ParticipantChangesSerializer):
    """One participant of a bulk request, keyed by email within the program."""

    email = CellField(required=True, help_text="Their key within the program (any case).")


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
class ProgramRefField(serializers.Field):
    """A program named by its slug or its id (a JSON string or integer)."""

    default_error_messages = {
        "invalid": "Give the program's slug or id.",
        "missing": "No program with this slug or id.",
    }

    def to_internal_value(self, data: Any) -> Program:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        program = selectors.program_by_reference(reference=str(data))
        if program is None:
            self.fail("missing")
        return program

    def to_representation(self, value: Program) -> str:
        return value.slug


class ParticipantUpsertSerializer(ParticipantItemSerializer):
    """Create the participant with this email in the program, or update the one there."""

    program = ProgramRefField(help_text="The program's slug or id.")


class ParticipantPatchSerializer(ParticipantChangesSerializer):
    """The details to change; those not sent are kept. The email (the key) and the program
    cannot change. The weekly availability is the participant's own: it is changed here, one
    person at a time, and never by a create or a bulk request (which keep it as it is)."""

    weekly_availability = WeeklyAvailabilityField(required=False, help_text=WEEKLY_HELP)


@extend_schema_field(ParticipantItemSerializer(many=True))
class ParticipantItemsField(serializers.ListField):
    """The items of a bulk request, unchecked: each is checked on its own (see
    :class:`ParticipantItemSerializer`), so that every bad item is reported with its index."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.JSONField(), min_length=1, max_length=BULK_MAX_ITEMS, **kwargs
        )


class ParticipantBulkSerializer(serializers.Serializer):
    program = ProgramRefField(help_text="The program's slug or id.")
    participants = ParticipantItemsField(
        help_text=f"From 1 to {BULK_MAX_ITEMS} participants, each as in POST /participants/ "
        "(without the program). Each email at most once."
    )


class ParticipantBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    invited = serializers.IntegerField(help_text="People invited to join the organisation.")
    participants = ParticipantSerializer(many=True, help_text="In the order of the request.")
