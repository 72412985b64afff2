"""Surveys, feedback cycles, invitations, responses and concerns.

Anonymity is built into the schema: an anonymous ``SurveyResponse`` and its ``Answer`` rows have
random ids (no sequence to line up with invitations), a submission *day* only (no time), and no
foreign key to a user, membership, participant or invitation. The invitation records only that
its person answered. ``tests/feedback/test_anonymity_schema.py`` checks that no path leads back.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mentorship.tenancy import TenantModel
from programs.models import Participant, Program, Side


class SurveyTemplate(TenantModel):
    """A survey an HR admin can run in cycles. Its questions live in versions: a version that
    has answers is never edited; a change makes a new version."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    builtin_key = models.CharField(max_length=40, blank=True)
    attributed_by_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TemplateVersion(TenantModel):
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_unique")
        ]


class Question(TenantModel):
    class Kind(models.TextChoices):
        LIKERT = "likert", _("Scale of 1 to 5")
        NPS = "nps", _("Recommend, 0 to 10")
        SINGLE = "single", _("One choice")
        MULTIPLE = "multiple", _("Several choices")
        TEXT = "text", _("Free text")
        OBJECTIVE_RATINGS = "objective_ratings", _("A 1 to 5 self-rating per objective topic")

    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    required = models.BooleanField(default=True)
    choices = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class FeedbackCycle(TenantModel):
    """One round of a survey in a program: who is asked, when it opens and closes. A recurring
    cycle makes its next round (a new row, ``series`` pointing at the first) when one closes."""

    class Audience(models.TextChoices):
        JUNIORS = "juniors", _("Juniors")
        SENIORS = "seniors", _("Seniors")
        BOTH = "both", _("Both sides")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("survey status", "Scheduled")
        OPEN = "open", pgettext_lazy("survey status", "Open")
        CLOSED = "closed", pgettext_lazy("survey status", "Closed")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="feedback_cycles")
    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="cycles")
    series = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="rounds"
    )
    title = models.CharField(max_length=150)
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.BOTH)
    repeat_weeks = models.PositiveSmallIntegerField(
        default=0, help_text=_("0: once. Otherwise every N weeks while the program is active.")
    )
    open_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    remind_after_days = models.PositiveSmallIntegerField(
        default=4, help_text=_("Non-responders are reminded once, this many days after opening.")
    )
    anonymous = models.BooleanField(default=True)
    # Offered on the spot after a session log, to whoever logs: never sent to everyone.
    on_demand = models.BooleanField(default=False)
    opens_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped on every save (and set by the database for rows inserted without it: seeds,
    # old migrations). The API's ?updated_since= reads it (services that write with
    # .update() set it themselves).
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), db_index=True)
    # Counted once, at closing (see feedback.summaries): a closed survey's figures never change,
    # and dashboards read them without counting every invitation again.
    closed_invited = models.PositiveIntegerField(null=True, blank=True)
    closed_answered = models.PositiveIntegerField(null=True, blank=True)
    # The release plan (feedback.disclosure), fixed at closing: the only groups whose figures
    # any page, export, dashboard, digest or API may ever show. Null until the survey closes.
    release_plan = models.JSONField(null=True, blank=True, editable=False)
    # The next moment the dispatcher has something to do for this cycle (open it, remind,
    # close it), or None once closed: its pass reads only cycles whose moment has come. Kept
    # by ``save()`` and by the dispatcher's own compare-and-set updates; a participant approved
    # while the survey is open brings it forward to "now" (they are invited on the next pass).
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-opens_at", "-id"]
        indexes = [
            models.Index(fields=["status", "opens_at"]),
            models.Index(
                fields=["next_due_at"],
                name="cycle_next_due_idx",
                condition=models.Q(next_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def due_after_pass(self, now: datetime) -> datetime | None:
        """When this cycle next needs the dispatcher, once a pass at ``now`` has done what was
        due (so the reminder, if its day has come, has gone out)."""
        if self.status == self.Status.SCHEDULED:
            return self.opens_at
        if self.status == self.Status.CLOSED:
            return None
        opened = self.opened_at or self.opens_at
        closes = opened + timedelta(days=self.open_days)
        remind = opened + timedelta(days=self.remind_after_days)
        # On-demand surveys are never chased: only their closing is ahead.
        if not self.on_demand and now < remind < closes:
            return remind
        return closes

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An open cycle that is saved (made, edited) is looked at on the next pass, which works
        # out what is due and stores the moment after it; only the pass knows what it sent.
        if self.status == self.Status.SCHEDULED:
            self.next_due_at = self.opens_at
        elif self.status == self.Status.OPEN:
            self.next_due_at = timezone.now()
        else:
            self.next_due_at = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "next_due_at" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "next_due_at"]
        super().save(*args, **kwargs)


class SurveyInvitation(TenantModel):
    """Who was asked, and whether they answered: never which answer is theirs.

    For an anonymous survey, "answered" lasts only while it is open (it refuses a second answer
    and spares the person the reminder). At closing the cycle keeps the counts and every one of
    its invitations reads "not answered" (see ``cycles_dispatch``)."""

    cycle = models.ForeignKey(FeedbackCycle, on_delete=models.CASCADE, related_name="invitations")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "participant"], name="survey_invitation_unique"
            )
        ]


def _today() -> object:
    return timezone.localdate()


class SurveyResponse(TenantModel):
    # Random ids: a sequence would let anyone line responses up with invitations.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(FeedbackCycle, on_delete=models.CASCADE, related_name="responses")
    # The day only: an exact time could be matched with the invitation marked "answered".
    submitted_on = models.DateField(default=_today)
    # Coarse groups for cross-filters; results withhold any group smaller than k.
    side = models.CharField(max_length=6, choices=Side.choices)
    department = models.CharField(max_length=80, blank=True)
    # Set for attributed cycles only (e.g. "Pairing fit"), which HR admins see by name.
    attributed_to = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # No ordering by insertion: lists are shuffled or aggregated.
        indexes = [models.Index(fields=["cycle", "side"])]


class PendingResponse(TenantModel):
    """An anonymous submission while its survey is open. At closing, every pending submission
    of the survey becomes a SurveyResponse in random order, in one transaction, dated the
    closing day, and the pending rows are deleted: the order and time rows were written in
    then say nothing about who answered when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(FeedbackCycle, on_delete=models.CASCADE, related_name="pending")
    side = models.CharField(max_length=6, choices=Side.choices)
    department = models.CharField(max_length=80, blank=True)
    payload = models.JSONField(default=dict, help_text="{question id: answer}")


class Answer(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    choices = models.JSONField(default=list, blank=True)


class TopicRating(TenantModel):
    """A final self-rating of one objective topic, from the "End of program" survey.

    Deliberately not linked to its response: the set of topics a person chose can be unique to
    them, so rows tied together would let that combination single out a whole response (and its
    free text). Each rating stands alone, with the same coarse groups as a response."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(FeedbackCycle, on_delete=models.CASCADE, related_name="topic_ratings")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="topic_ratings")
    topic_name = models.CharField(max_length=80)
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    side = models.CharField(max_length=6, choices=Side.choices)
    department = models.CharField(max_length=80, blank=True)


class Concern(TenantModel):
    """A confidential concern a participant raises; it reaches HR admins only."""

    class Kind(models.TextChoices):
        UNRESPONSIVE = "unresponsive", _("My partner is unresponsive")
        HELP = "help", _("I need help")
        OTHER = "other", _("Something else")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="concerns")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    text = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class QuestionSummary(TenantModel):
    """Totals of one scale or NPS question of a closed survey, per side and department.

    Written in the transaction that closes the survey, from rows that can no longer change:
    dashboards stay exact and live without reading every answer. Like the answers themselves,
    a row may describe a small group; only ``feedback.anonymity`` decides what is shown."""

    cycle = models.ForeignKey(FeedbackCycle, on_delete=models.CASCADE, related_name="summaries")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="summaries")
    side = models.CharField(max_length=6, choices=Side.choices)
    department = models.CharField(max_length=80, blank=True)
    count = models.PositiveIntegerField()
    total = models.PositiveIntegerField()
    promoters = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "question", "side", "department"], name="question_summary_unique"
            )
        ]
