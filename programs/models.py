"""Programs, their participants, the topic taxonomy, learning objectives, training, sponsors."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower, Now
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from mentorship.models import Membership
from mentorship.tenancy import TenantModel


class Topic(TenantModel):
    """An entry of the organisation's skill taxonomy (names are unique, ignoring case)."""

    name = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=dj_timezone.now)
    # Bumped on every save (and set by the database for rows inserted without it: seeds,
    # old migrations). The API's ?updated_since= reads it (services that write with
    # .update() set it themselves).
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="topic_unique_name_ci")
        ]

    def __str__(self) -> str:
        return self.name


def default_reminder_offsets() -> list[int]:
    """A reminder a day before and an hour before each meeting."""
    return [24, 1]


class Program(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ENROLLING = "enrolling", _("Enrolling")
        MATCHING = "matching", _("Matching")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    goals = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    cadence_weeks = models.PositiveSmallIntegerField(
        _("meet every (weeks)"), default=2, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    expected_sessions = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    mentees_per_mentor = models.PositiveSmallIntegerField(
        _("seniors per junior mentor"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    mentors_per_mentee = models.PositiveSmallIntegerField(
        _("junior mentors per senior"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("More than one gives a senior several mentors with diverse backgrounds."),
    )
    min_level_gap = models.PositiveSmallIntegerField(
        _("minimum seniority gap"),
        default=2,
        validators=[MaxValueValidator(20)],
        help_text=_("The senior's level must exceed the junior's by at least this much."),
    )
    exclude_reporting_line = models.BooleanField(
        _("never pair within the senior's reporting line"), default=True
    )
    exclude_same_department = models.BooleanField(
        _("never pair within a department"), default=False
    )
    allow_repairing = models.BooleanField(_("allow pairs who were paired before"), default=False)
    training_required = models.BooleanField(
        _("mentor training required before matching"), default=False
    )
    agreement_text = models.TextField(
        blank=True,
        help_text=_("Confidentiality, cadence, escalation contact and the no-fault exit."),
    )
    meeting_minutes = models.PositiveSmallIntegerField(
        _("meeting length (minutes)"),
        default=60,
        db_default=60,
        validators=[MinValueValidator(15), MaxValueValidator(240)],
        help_text=_("What “Find a time” looks for, and a new meeting's default length."),
    )
    # Off (None) by default: closing a pair is a decision HR makes for its program.
    close_quiet_after_days = models.PositiveSmallIntegerField(
        _("close pairs quiet for (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(14), MaxValueValidator(365)],
        help_text=_(
            "Leave empty to never close a pair for inactivity; 90 is a common choice. Both "
            "partners are told 7 days ahead and can keep their pair with one click."
        ),
    )
    reminder_offsets_hours = models.JSONField(
        _("meeting reminders (hours before)"),
        default=default_reminder_offsets,
        blank=True,
        help_text=_("For example 24 and 1: a reminder a day before and an hour before."),
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="programs")
    created_at = models.DateTimeField(default=dj_timezone.now)
    # Bumped on every save (and set by the database for rows inserted without it: seeds,
    # old migrations). The API's ?updated_since= reads it (services that write with
    # .update() set it themselves).
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), db_index=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="program_unique_slug")
        ]

    def __str__(self) -> str:
        return self.name


class ProgramSponsor(TenantModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="sponsors")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "membership"], name="sponsor_unique")
        ]


class Side(models.TextChoices):
    JUNIOR = "junior", _("Junior (reverse mentor)")
    SENIOR = "senior", _("Senior (reverse mentee)")


class Participant(TenantModel):
    """A person in one program, on one side.

    Known by email before they have an account (imports, invitations); ``membership`` is linked
    when they join the organisation. Removal and withdrawal are states: history stays.
    """

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REMOVED = "removed", _("Removed")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="participants")
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="participations"
    )
    email = models.EmailField()
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    side = models.CharField(max_length=6, choices=Side.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPROVED)
    department = models.CharField(max_length=80, blank=True)
    title = models.CharField(max_length=120, blank=True)
    level = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("Higher is more senior."),
    )
    manager_email = models.EmailField(blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    offers = models.ManyToManyField(Topic, blank=True, related_name="offered_by")
    wants = models.ManyToManyField(Topic, blank=True, related_name="wanted_by")
    # When the person can usually meet, in their own ``timezone``: a list of
    # [weekday (0 = Monday), "HH:MM", "HH:MM"] ranges, sorted and never overlapping (see
    # ``programs.availability``). Matching and "Find a time" read it.
    # The database default too: rows inserted by code that predates the field (old migrations'
    # models, raw seeds) get no hours rather than failing.
    weekly_availability = models.JSONField(
        default=list, blank=True, db_default=models.Value([], output_field=models.JSONField())
    )
    # Free text kept from before the weekly grid, where it did not parse into ranges.
    availability = models.CharField(
        _("availability note"),
        max_length=200,
        blank=True,
        help_text=_("Anything the weekly hours do not say, e.g. 'not in August'."),
    )
    bio = models.TextField(blank=True, max_length=1000)
    training_done = models.BooleanField(
        default=False, help_text=_("Every required module of the program is complete.")
    )
    matched = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=dj_timezone.now)
    # Bumped on every save (and set by the database for rows inserted without it: seeds,
    # old migrations). The API's ?updated_since= reads it (services that write with
    # .update() set it themselves).
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), db_index=True)
    status_changed_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "email"], name="participant_unique_email")
        ]
        indexes = [
            models.Index(fields=["program", "status", "side"]),
            models.Index(fields=["program", "department"]),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    @property
    def full_name(self) -> str:
        return str(self)


class LearningObjective(TenantModel):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="objectives"
    )
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="objectives")
    success_criteria = models.TextField(_("what success looks like"), max_length=1000)
    target_date = models.DateField(null=True, blank=True)
    baseline_rating = models.PositiveSmallIntegerField(
        _("self-rating today (1 to 5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    final_rating = models.PositiveSmallIntegerField(
        _("final self-rating (1 to 5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        # One objective per topic and person: progress and self-ratings are then per person,
        # which the anonymity rule counts (five objectives on a topic are still one person).
        constraints = [
            models.UniqueConstraint(fields=["participant", "topic"], name="objective_one_per_topic")
        ]


class TrainingModule(TenantModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(max_length=120)
    body = models.TextField(help_text=_("Markdown. Raw HTML is shown as text."))
    required_for_juniors = models.BooleanField(default=True)
    required_for_seniors = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class SessionGuide(TenantModel):
    """One session of a program's session plan: the conversation guide a pair's meeting of that
    number shows (the first meeting gets position 1, and so on). Markdown, rendered safely as
    training modules are."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="session_guides")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    purpose = models.CharField(max_length=300, blank=True)
    agenda = models.TextField(blank=True, help_text=_("Markdown. Raw HTML is shown as text."))
    junior_questions = models.TextField(
        _("questions for the junior"), blank=True, help_text=_("Markdown, one question a line.")
    )
    senior_questions = models.TextField(
        _("questions for the senior"), blank=True, help_text=_("Markdown, one question a line.")
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "position"],
                name="session_guide_unique_position",
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class TrainingCompletion(TenantModel):
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="completions")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="completions"
    )
    completed_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["module", "participant"], name="completion_unique")
        ]


class ImportJob(TenantModel):
    """A browser CSV import: the validated rows wait here until confirmed, then a task writes
    them and reports progress."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        INVALID = "invalid", _("Has errors")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        "mentorship.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    rows = models.JSONField(default=list, help_text="The parsed, valid rows.")
    errors = models.JSONField(default=list, help_text="[line, reason] of every invalid row.")
    summary = models.JSONField(default=dict, help_text="Counts: created, updated, unchanged.")
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=dj_timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class PeopleTally(TenantModel):
    """How many participants of a program and department are at each stage of the funnel:
    kept in step with every write of participants, their objectives and pairs by
    ``programs.tallies`` in the transaction that writes them, so the dashboards read a row per
    program and department instead of counting every participant, and stay exactly live."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    department = models.CharField(max_length=80, blank=True)
    # Every participant row, whatever its status; the others count approved people only.
    applied = models.IntegerField(default=0)
    approved = models.IntegerField(default=0)
    trained = models.IntegerField(default=0)
    matched = models.IntegerField(default=0)
    active = models.IntegerField(default=0, help_text="In an active pair.")
    juniors = models.IntegerField(default=0)
    seniors = models.IntegerField(default=0)
    juniors_matched = models.IntegerField(default=0)
    seniors_matched = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "department"], name="people_tally_unique")
        ]


class ObjectiveTally(TenantModel):
    """The learning objectives of approved participants per program, department and topic:
    how many, their baselines and progress (see ``PeopleTally``)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    department = models.CharField(max_length=80, blank=True)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    objectives = models.IntegerField(default=0)
    baseline_total = models.IntegerField(default=0)
    progress_total = models.IntegerField(default=0)
    not_started = models.IntegerField(default=0)
    under_way = models.IntegerField(default=0)
    reached = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "department", "topic"], name="objective_tally_unique"
            )
        ]
