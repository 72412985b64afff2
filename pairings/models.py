"""Pairings, their agreements and history, matching runs, meetings, session logs, reminders."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mentorship.tenancy import TenantModel
from pairings.due import meeting_first_due
from programs.models import LearningObjective, Participant, Program, Topic


class MatchRun(TenantModel):
    """One proposal of the matching engine for a program, with the weights it used and its
    result (pairs with explanations, unmatched with reasons). HR edits act on the latest run."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        PUBLISHED = "published", _("Published")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="match_runs")
    created_by = models.ForeignKey(
        "mentorship.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    weights = models.JSONField(default=dict)
    # Pairs HR fixed (locked or added by hand) and pairs HR removed: the next run keeps them.
    locked = models.JSONField(default=list, help_text="[[junior id, senior id], ...]")
    removed = models.JSONField(default=list, help_text="[[junior id, senior id], ...]")
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Pairing(TenantModel):
    """A junior (the reverse mentor) and a senior (the reverse mentee) in one program."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", pgettext_lazy("pairing status", "Proposed")
        CONFIRMED = "confirmed", _("Confirmed by the senior")
        ACTIVE = "active", pgettext_lazy("pairing status", "Active")
        DISSOLVED = "dissolved", pgettext_lazy("pairing status", "Dissolved")
        DECLINED = "declined", pgettext_lazy("pairing status", "Declined")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="pairings")
    mentor = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="mentor_pairings"
    )
    mentee = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="mentee_pairings"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    score = models.FloatField(default=0)
    explanation = models.JSONField(default=dict, help_text="Each criterion's contribution.")
    manual = models.BooleanField(default=False, help_text="Added or fixed by an HR admin.")
    mentor_accepted_at = models.DateTimeField(null=True, blank=True)
    mentee_accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped on every save (and set by the database for rows inserted without it: seeds,
    # old migrations). The API's ?updated_since= reads it (services that write with
    # .update() set it themselves).
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), db_index=True)
    last_met_at = models.DateTimeField(null=True, blank=True)
    # A no-fault exit request is confidential: it is not a status (the partner would notice its
    # effects), only one field per side, so that both partners can ask and neither request
    # shows the other's. HR admins see both; each partner sees only their own side's field.
    # The note goes to a confidential PairingEvent.
    mentor_exit_requested_at = models.DateTimeField(null=True, blank=True)
    mentee_exit_requested_at = models.DateTimeField(null=True, blank=True)
    # When to look again whether the pair has gone quiet (``pairings.reminders``): never later
    # than the moment it could first be due, often earlier (a check then only moves it on).
    # "Now" on creation, so a pair is looked at once it turns active; None once its quiet
    # stretch has been reported in full, until a meeting or a log moves it again.
    quiet_check_at = models.DateTimeField(
        null=True, blank=True, editable=False, default=timezone.now, db_default=Now()
    )
    # The PAIR_INACTIVITY_DAYS that ``quiet_check_at`` was reckoned with: when an operator lowers
    # the setting, the dispatcher finds the pairs reckoned with more days and looks again now.
    quiet_check_days = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    # Quiet pairs closed kindly (``Program.close_quiet_after_days``): when both partners were
    # told that the pair will close in 7 days (None when no notice runs), when a partner chose to
    # keep it (counts as activity: a new quiet stretch starts), and why a dissolved pair ended
    # ("inactivity" when the program closed it; "" otherwise).
    quiet_notice_at = models.DateTimeField(null=True, blank=True, editable=False)
    kept_at = models.DateTimeField(null=True, blank=True, editable=False)
    end_reason = models.CharField(max_length=20, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["program", "status"]),
            # The inactivity pass reads active pairs due for a check, and only those.
            models.Index(
                fields=["quiet_check_at"],
                name="pairing_quiet_check_idx",
                condition=models.Q(status="active"),
            ),
            models.Index(
                fields=["quiet_check_days"],
                name="pairing_quiet_days_idx",
                condition=models.Q(status="active"),
            ),
            # The dashboards' pairs at risk, quietest first (those that never met, then by their
            # last meeting), and those of the weeks the thresholds cut through (pairings.tallies).
            models.Index(
                fields=["last_met_at", "id"],
                name="pairing_active_met_idx",
                condition=models.Q(status="active", last_met_at__isnull=False),
            ),
            models.Index(
                fields=["id"],
                name="pairing_active_unmet_idx",
                condition=models.Q(status="active", last_met_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} ↔ {self.mentee}"


class PairingEvent(TenantModel):
    """The status history of a pairing. A no-fault exit request is recorded here with
    ``confidential`` set: only HR admins see it, never the partner."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=16, choices=Pairing.Status.choices)
    actor = models.ForeignKey(
        "mentorship.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    confidential = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class Meeting(TenantModel):
    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField(help_text="Stored in UTC.")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    location = models.CharField(max_length=300, blank=True, help_text="A room or a video link.")
    # Stable across reschedules; SEQUENCE grows with every change (RFC 5545).
    uid = models.CharField(max_length=100, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        "mentorship.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "mentorship.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Which partner cancelled, fixed when it happens ("" when someone else did, e.g. an HR admin
    # ending the pair): dashboards count cancellations by side without joining people.
    cancelled_by_side = models.CharField(max_length=6, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The next moment this meeting has something to send (a reminder before it, the "log your
    # session" prompt after it), kept by ``pairings.reminders``; None once nothing is left.
    # The reminder pass reads only meetings whose moment has come.
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["starts_at", "cancelled_at"]),
            models.Index(
                fields=["next_due_at"],
                name="meeting_next_due_idx",
                condition=models.Q(next_due_at__isnull=False),
            ),
            # The invitation catch-up reads the changes of the last minutes only.
            models.Index(fields=["updated_at"], name="meeting_updated_idx"),
            models.Index(
                fields=["cancelled_at"],
                name="meeting_cancelled_idx",
                condition=models.Q(cancelled_at__isnull=False),
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The services set the moment themselves; this covers a meeting made any other way
        # (the admin, a test factory), which would otherwise never be reminded of.
        if self._state.adding and self.next_due_at is None and self.cancelled_at is None:
            # As saving would: a value may still be text (a fixture, a factory).
            starts_at = self._meta.get_field("starts_at").to_python(self.starts_at)
            self.next_due_at = meeting_first_due(
                starts_at=starts_at,
                duration_minutes=int(self.duration_minutes),
                offsets_hours=self.pairing.program.reminder_offsets_hours or [],
            )
        super().save(*args, **kwargs)


class SessionLog(TenantModel):
    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="session_logs")
    author = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="session_logs")
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    date = models.DateField()
    minutes = models.PositiveSmallIntegerField()
    topics = models.ManyToManyField(Topic, blank=True, related_name="session_logs")
    objectives = models.ManyToManyField(LearningObjective, blank=True, related_name="session_logs")
    taught = models.TextField(_("what I taught"), blank=True)
    learned = models.TextField(_("what I learned"), blank=True)
    shared_notes = models.TextField(_("notes shared with my partner"), blank=True)
    private_notes = models.TextField(_("private notes (only I see them)"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped on every save (and set by the database for rows inserted without it: seeds,
    # old migrations). The API's ?updated_since= reads it (services that write with
    # .update() set it themselves).
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), db_index=True)
    # The session plan's guide the session followed (its position then), and how far.
    guide_position = models.PositiveSmallIntegerField(null=True, blank=True)
    guide_followed = models.CharField(
        _("did you follow the session plan?"),
        max_length=8,
        blank=True,
        default="",
        db_default="",
        choices=[
            ("yes", _("Yes")),
            ("partly", _("Partly")),
            ("no", _("No, we talked about other things")),
        ],
    )

    class Meta:
        ordering = ["-date", "-id"]


class SessionWeek(TenantModel):
    """Sessions logged per program, week, and the author's side and department, and meetings
    cancelled per week by the side and department of who cancelled: kept in step with every
    log and cancellation by ``pairings.activity`` in the transaction that writes it, so the
    dashboards read a few hundred rows instead of every log and meeting, and stay exactly live.

    Each total is kept twice, as ``PairHour`` keeps its pairs: once in the row of the
    department (``everyone`` False), and once in the row for everyone (``everyone`` True,
    department ""), which is the sum of the department rows of its key. A dashboard without a
    department filter reads the everyone rows only (a dozen times fewer than the departments'),
    one with a filter reads the department rows only; a reader that sums across departments
    must choose one of the two, or it counts every session twice.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week.")
    side = models.CharField(max_length=6)
    everyone = models.BooleanField(
        default=False,
        help_text='The row for everyone (department ""), not for one department.',
    )
    department = models.CharField(max_length=80, blank=True)
    sessions = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)
    cancellations = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Program, everyone and department first (as ``PairHour``): a dashboard's read, for
            # everyone or for one department, is one range of weeks of this index per program.
            models.UniqueConstraint(
                fields=["program", "everyone", "department", "week", "side"],
                name="session_week_unique",
            )
        ]


class TopicWeek(TenantModel):
    """Sessions per topic, program, week, and the author's side and department (see
    ``SessionWeek``): what juniors and seniors taught, without reading every log's topics.

    Kept for everyone (``everyone`` True, department "") and per department (``everyone``
    False), as ``SessionWeek``: the everyone row of a key is the sum of its department rows."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week.")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=6)
    everyone = models.BooleanField(
        default=False,
        help_text='The row for everyone (department ""), not for one department.',
    )
    department = models.CharField(max_length=80, blank=True)
    sessions = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "everyone", "department", "week", "topic", "side"],
                name="topic_week_unique",
            )
        ]


class PairHour(TenantModel):
    """Active pairs per program by the hour (UTC) they last met, or were formed when they
    never met: once for everyone, and once for each department of the two partners. Kept in
    step with every pair's write by ``pairings.tallies`` (through ``programs.tallies``), so the
    dashboards count pairs met lately or gone quiet from these rows, whatever the number of
    pairs; only the pairs of the hour each threshold cuts through are read themselves."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    everyone = models.BooleanField(help_text="The row for everyone, not for one department.")
    department = models.CharField(max_length=80, blank=True)
    met = models.BooleanField()
    hour = models.DateTimeField(help_text="The start of the hour.")
    pairs = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "everyone", "department", "met", "hour"],
                name="pair_hour_unique",
            )
        ]


class ReminderDelivery(TenantModel):
    """One row per reminder actually sent: its unique key is the idempotency claim, taken
    before sending, so a second dispatch, a retry or a redelivery sends nothing twice."""

    key = models.CharField(max_length=200)
    recipient = models.ForeignKey("mentorship.User", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="reminder_unique_key")
        ]


class CalendarFeed(TenantModel):
    """A member's personal calendar feed; the secret token is stored hashed and revocable."""

    membership = models.OneToOneField(
        "mentorship.Membership", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)


class BusyCalendar(TenantModel):
    """A member's own calendar, read for free/busy through its private iCalendar address.

    The address is a secret (anyone holding it reads the calendar): stored encrypted
    (``mentorship.identity.secrets``), shown back only masked (``url_hint``). Only busy
    intervals are kept, never titles, attendees or descriptions: ``busy`` is a sorted list of
    non-overlapping [start, end) pairs in UTC epoch seconds, from the last good fetch
    (``fetched_at``) to 8 weeks after it.

    ``state``: "pending" until the first fetch, "ok" after a good one, "failing" while the
    latest attempt failed (``last_error`` says why, shown to its owner only). While pending or
    failing, the person's busy times are unknown: "Find a time" treats them as not free.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Not read yet")
        OK = "ok", pgettext_lazy("calendar state", "Read")
        FAILING = "failing", _("Cannot be read")

    membership = models.OneToOneField(
        "mentorship.Membership", on_delete=models.CASCADE, related_name="busy_calendar"
    )
    url_encrypted = models.TextField()
    url_hint = models.CharField(max_length=120, help_text="The address, masked, to show back.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    busy = models.JSONField(default=list, blank=True)
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True, help_text="The last good fetch.")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # The dispatcher reads calendars due for a fetch through this index (every 15 minutes).
    next_fetch_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)


class MeetingProposal(TenantModel):
    """Up to three times one partner proposes; the other accepts one (the meeting is created),
    or declines them all. ``slots`` is a list of start times (ISO 8601, UTC), each lasting
    ``duration_minutes``. Open until accepted, declined, withdrawn, or its last slot starts."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        ACCEPTED = "accepted", pgettext_lazy("proposal status", "Accepted")
        DECLINED = "declined", pgettext_lazy("proposal status", "Declined")
        WITHDRAWN = "withdrawn", pgettext_lazy("proposal status", "Withdrawn")
        EXPIRED = "expired", pgettext_lazy("proposal status", "Expired")

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="proposals")
    proposed_by = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        "mentorship.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    slots = models.JSONField(default=list)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    location = models.CharField(max_length=300, blank=True)
    message = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The last slot's start: after it, nothing is left to accept.
    expires_at = models.DateTimeField()
    accepted_slot = models.PositiveSmallIntegerField(null=True, blank=True)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pairing", "status"])]
