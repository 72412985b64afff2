"""Seed a large, deterministic organisation for benchmarks.

``manage.py seed_scale --org bench --participants 20000 --seed 1 [--password P] [--replace]``
builds "Bench Corp" (``/o/bench/``, no MFA required): ``admin@bench.example`` (HR admin),
``sponsor@bench.example`` (sponsor of all 10 programs) and ``participant@bench.example`` (a junior
of the first program with a live pair, meetings ahead and the open check-in to answer), all with
the password ``bench-password`` unless ``--password`` says otherwise.

What it holds, for N participants (everything grows with N):

- 10 programs (8 active, started 28 to 52 weeks ago; one matching; one closed 8 weeks ago), N/10
  people each, half juniors, half seniors; one in 50 applied, one in 50 withdrew, the rest are
  approved, with 1 to 3 objectives each, training done and offered/wanted topics. 12
  departments of uneven sizes, two of them (Legal, Internal Audit) below the anonymity threshold.
- Accounts: every participant has one (a verified email address and a membership), except one in
  three approved in the program still matching, who are invited and have not joined yet. With
  COPY, 20,000 accounts take a second, and they make every survey answer, meeting and
  cancellation one a signed-in person could have made.
- About N/2 pairs: mostly active, 5 % dissolved, 5 % at risk (no meeting for longer than
  ``PAIR_INACTIVITY_DAYS``), a few proposed; proposals and confirmations in the matching program.
- 10 × N meetings over the last 52 weeks and the next 4, in proportion to how long each pair has
  been meeting; one in 20 cancelled by one of the pair. 10 × N session logs: one for every past
  meeting that went ahead, by each side in turn, and the rest for sessions held without a booked
  meeting; ``last_met_at`` is the day of a pair's latest log, as ``session_log_create`` sets it.
- About 45 × N answers: monthly check-ins in every program that ran (70 % answered; the latest
  round open, its answers pending as ``response_submit`` keeps them), the post-session and
  pairing-fit checks offered after session logs (a round a week, as
  ``after_session_invitation`` makes them), the closed program's end-of-program survey with its
  topic ratings, and a few concerns. Closed surveys are summarised with ``summarize_cycles``,
  then their anonymous invitations forget who answered, as closing does.

Determinism: the same ``--seed`` and N give the same rows with the same values. Dates are whole
days from the midnight (UTC) that starts the day of the run, so dashboards look live whenever it
runs and nothing depends on the hour; only random ids (responses, answers, meeting UIDs,
invitation tokens) differ between runs.

Speed: the big tables are written with COPY on PostgreSQL (``bulk_create`` elsewhere, enough for
test sizes), primary keys drawn from the tables' sequences beforehand so no row is read back. The
whole build is one transaction. This command sits above every app (it writes all their tables),
like the frame; the kernel part of ``mentorship`` never imports it.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from feedback import services as feedback_services
from feedback.models import (
    Answer,
    Concern,
    FeedbackCycle,
    PendingResponse,
    Question,
    SurveyInvitation,
    SurveyResponse,
    TopicRating,
)
from feedback.summaries import summarize_cycles
from mentorship import services
from mentorship.models import Invitation, Membership, Organization, Role, User
from mentorship.tenancy import TenantModel, across_all_organizations, tenant_scope
from mentorship.web import error_text
from pairings import activity
from pairings.models import Meeting, Pairing, PairingEvent, SessionLog
from programs import services as program_services
from programs.models import (
    LearningObjective,
    Participant,
    Program,
    Side,
    TrainingCompletion,
    TrainingModule,
)

DEFAULT_PASSWORD = "bench-password"
MIN_PARTICIPANTS = 100
MEETINGS_PER_PARTICIPANT = 10
LOGS_PER_PARTICIPANT = 10
CANCEL_EVERY = 20  # every 20th meeting (in creation order) is cancelled: 5 %
FUTURE_DAYS = 28  # live pairs have meetings booked up to four weeks ahead
CHUNK = 20_000  # rows per COPY statement

ACTIVE, MATCHING, CLOSED = Program.Status.ACTIVE, Program.Status.MATCHING, Program.Status.CLOSED
APPROVED, APPLIED = Participant.Status.APPROVED, Participant.Status.APPLIED
WITHDRAWN = Participant.Status.WITHDRAWN


@dataclass(frozen=True)
class ProgramSpec:
    name: str
    status: str
    start: int  # first day, relative to today (negative: in the past)
    end: int  # last day; for the closed program, the day it closed


PROGRAMS: tuple[ProgramSpec, ...] = (
    ProgramSpec("Digital fluency — Headquarters", ACTIVE, -364, 56),
    ProgramSpec("AI at work", ACTIVE, -350, 70),
    ProgramSpec("Social media for leaders", ACTIVE, -336, 28),
    ProgramSpec("Data-informed decisions", ACTIVE, -308, 84),
    ProgramSpec("Hybrid work", ACTIVE, -280, 98),
    ProgramSpec("Digital fluency — Sales", ACTIVE, -252, 112),
    ProgramSpec("Digital fluency — Operations", ACTIVE, -224, 140),
    ProgramSpec("Customer voice", ACTIVE, -196, 168),
    ProgramSpec("Digital fluency — Autumn cohort", MATCHING, 14, 196),
    ProgramSpec("Pilot cohort", CLOSED, -350, -56),
)
TOPICS = [
    "Social media",
    "AI tools",
    "Collaboration tools",
    "Data literacy",
    "Generational perspectives",
    "Personal branding online",
    "Cybersecurity habits",
    "Remote leadership",
    "Video storytelling",
    "Low-code automation",
    "Online communities",
    "Digital wellbeing",
    "Inclusive language",
    "Gaming culture",
]
# Ten departments of uneven sizes, drawn at random...
DEPARTMENTS = {
    "Engineering": 22,
    "Sales": 16,
    "Operations": 14,
    "Marketing": 10,
    "Customer Service": 10,
    "Finance": 8,
    "Product": 7,
    "IT": 5,
    "Human Resources": 5,
    "Communications": 3,
}
# ...and two tiny ones, placed by hand (program, side, index within the side): fewer than k
# people in the whole organisation, so their survey figures are always withheld.
TINY_DEPARTMENTS = {
    (0, Side.JUNIOR, 1): "Legal",
    (0, Side.JUNIOR, 2): "Legal",
    (0, Side.SENIOR, 1): "Legal",
    (1, Side.JUNIOR, 1): "Internal Audit",
    (1, Side.JUNIOR, 3): "Internal Audit",
    (1, Side.SENIOR, 2): "Internal Audit",
    (1, Side.SENIOR, 4): "Internal Audit",
}
TIMEZONES = {
    "Europe/London": 30,
    "Europe/Paris": 20,
    "Europe/Berlin": 15,
    "America/New_York": 15,
    "America/Chicago": 5,
    "Asia/Singapore": 8,
    "Asia/Kolkata": 7,
}
_FIRST_NAMES = (
    "Ada Alex Amara Ana Ben Chloe Dan Dev Eli Ema Finn Grace Hana Ian Ines Jay Jon Kai Lea Leo "
    "Lina Luca Maya Mia Nia Noah Omar Pia Raj Rosa Sam Sara Tom Uma Vic Wen Yara Yusuf Zoe Zain"
)
_LAST_NAMES = (
    "Adams Ali Baker Berg Chen Costa Diaz Dubois Evans Fischer Garcia Gupta Hall Ito Jansen "
    "Khan Kim Lopez Martin Meyer Moreau Nagy Novak Okafor Patel Quinn Rossi Santos Schmidt Silva "
    "Singh Smith Suzuki Tanaka Varga Wang Weber Wilson Yilmaz Zhang"
)
FIRST_NAMES, LAST_NAMES = _FIRST_NAMES.split(), _LAST_NAMES.split()
JUNIOR_TITLES = ("Graduate", "Analyst", "Associate", "Specialist")
SENIOR_TITLES = ("Senior Manager", "Head of Department", "Director", "Vice President")
AVAILABILITY = ("Tue/Thu mornings", "Wed afternoons", "Mon/Wed mornings", "Fridays", "Flexible")
LOCATIONS = (
    "Video call",
    "Video call",
    "Video call",
    "Room 2.14",
    "Room 4.12",
    "Café, ground floor",
)
TAUGHT = (
    "Prompting an AI assistant",
    "A short video for social media",
    "Sharing files and co-editing",
    "Reading a dashboard",
    "Setting up two-factor sign-in",
    "How my generation uses messaging at work",
)
LEARNED = (
    "How budgets are decided",
    "Handling a difficult stakeholder",
    "Running a board meeting",
    "Negotiating priorities",
    "Building a career across departments",
    "Giving hard feedback kindly",
)
COMMENTS = (
    "Seeing how my partner uses the tools changed how I explain them.",
    "I finally understand how budget decisions are made.",
    "More time for practice between sessions would help.",
    "Candid conversations, which is rare across levels.",
    "The agreement made it easy to say what I really think.",
    "I would like a mid-program get-together of all pairs.",
    "Scheduling across timezones is hard.",
    "Shorter, more frequent sessions work better for us.",
)
CONCERNS = (
    (Concern.Kind.UNRESPONSIVE, "My partner has cancelled three times in a row."),
    (Concern.Kind.HELP, "We are not sure what to focus on next."),
    (Concern.Kind.OTHER, "I am moving teams next month; can the pair continue?"),
)
# Share of invitations answered (%) per built-in template. The surveys offered on the page right
# after a session log are answered more often than emailed ones; the open check-in has been open
# for two days, so fewer have answered it yet.
ANSWERED_PERCENT = {
    "monthly-check-in": 70,
    "post-session": 85,
    "pairing-fit": 90,
    "end-of-program": 70,
}
OPEN_CHECK_IN_ANSWERED_PERCENT = 40
# As the services set them: cycle_create's default, cycle_create_for_closed_program's, and the
# surveys offered after a log (never chased).
REMIND_AFTER_DAYS = {
    "monthly-check-in": 4,
    "end-of-program": 7,
    "post-session": 6,
    "pairing-fit": 6,
}
# The optional free-text question is answered by one response in this many.
TEXT_EVERY = {"monthly-check-in": 3, "post-session": 2, "pairing-fit": 2, "end-of-program": 2}
LIKERT = ((1, 2, 3, 4, 5), (2, 6, 17, 42, 33))
NPS = (tuple(range(11)), (1, 1, 1, 2, 2, 4, 6, 12, 20, 25, 26))
CHOICE_WEIGHTS = {"Yes": 7, "Not sure": 2, "No": 1, "Not at all": 1, "Once": 4, "Twice or more": 5}


def participant_status(index: int) -> str:
    """The status of the ``index``-th person of a side of a program (in enrolment order): one
    in fifty applied and not decided yet, one in fifty withdrew, the others are approved."""
    if index % 50 == 7:
        return APPLIED
    if index % 50 == 8:
        return WITHDRAWN
    return APPROVED


def pair_shape(status: str, k: int) -> str:
    """How the ``k``-th pair of a program fares: ``healthy``, ``at_risk`` (no meeting for longer
    than the inactivity threshold), ``dissolved``, ``proposed`` or ``confirmed`` (not live yet)."""
    if status == MATCHING:
        return "confirmed" if k % 3 == 0 else "proposed"
    if k % 20 == 5:
        return "dissolved"
    if status == ACTIVE and k % 20 == 3:
        return "at_risk"
    if status == ACTIVE and k % 50 == 6:
        return "proposed"  # a late re-pairing, waiting for the senior
    return "healthy"


def program_sizes(participants: int) -> list[int]:
    """Participants per program: an even split, the first programs taking the remainder."""
    base, extra = divmod(participants, len(PROGRAMS))
    return [base + (1 if p < extra else 0) for p in range(len(PROGRAMS))]


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights``, exactly (largest remainders first)."""
    whole = sum(weights)
    shares = [divmod(total * w, whole) for w in weights]
    counts = [q for q, _ in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: -shares[i][1])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


# --- Writing many rows ---------------------------------------------------------------------------


def _escape(value: str) -> str:
    """A string in COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t")
        value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value


def _converter(model_field: models.Field) -> Callable[[Any], str]:
    if isinstance(model_field, models.BooleanField):
        return lambda v: "t" if v else "f"
    if isinstance(model_field, models.JSONField):
        # Most answers carry an empty list of choices: no need to encode it a million times.
        return lambda v: "[]" if v == [] else _escape(json.dumps(v))
    if isinstance(model_field, models.CharField | models.TextField):
        return _escape
    if isinstance(model_field, models.DateTimeField):
        return datetime.isoformat
    return str


class Writer:
    """Writes rows given as tuples: COPY on PostgreSQL, ``bulk_create`` elsewhere.

    Rows of several tables are buffered side by side and written in any order: Django creates
    foreign keys deferrable, so they are checked at commit, when every row is there."""

    def __init__(self) -> None:
        self.copy = connection.vendor == "postgresql"
        self.sinks: list[Sink] = []
        self._next_id: dict[str, int] = {}
        self.seconds = 0.0  # spent in the database writing rows

    def ids(self, model: type[models.Model], count: int) -> list[int]:
        """``count`` primary keys for new rows, known before writing them."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.copy:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return sorted(row[0] for row in cursor.fetchall())
            if table not in self._next_id:
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {quoted}")
                self._next_id[table] = cursor.fetchone()[0]
        start = self._next_id[table]
        self._next_id[table] = start + count
        return list(range(start, start + count))

    def sink(self, model: type[models.Model], columns: str) -> Sink:
        """A buffer of rows of ``model`` with these columns (attribute names). Other columns
        take their field's default, so a field added later does not break the seed."""
        names = tuple(columns.split())
        defaults = {
            f.attname: f.get_default()
            for f in model._meta.concrete_fields
            if f.attname not in names and not f.primary_key
        }
        sink = Sink(self, model, names + tuple(defaults), tuple(defaults.values()))
        self.sinks.append(sink)
        return sink

    def flush(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def write(self, sink: Sink, rows: list[tuple[Any, ...]]) -> None:
        model = sink.model
        if not self.copy:
            objects = [model(**dict(zip(sink.columns, row, strict=True))) for row in rows]
            started = time.perf_counter()
            model._base_manager.bulk_create(objects, batch_size=5000)
            self.seconds += time.perf_counter() - started
            return
        fields = [model._meta.get_field(name) for name in sink.columns]
        convert = [_converter(f) for f in fields]
        lines = [
            "\t".join(["\\N" if v is None else c(v) for c, v in zip(convert, row, strict=True)])
            for row in rows
        ]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY {table} ({columns}) FROM STDIN", io.StringIO("\n".join(lines) + "\n")
            )
        self.seconds += time.perf_counter() - started


class Sink:
    """The buffered rows of one table."""

    def __init__(
        self,
        writer: Writer,
        model: type[models.Model],
        columns: tuple[str, ...],
        defaults: tuple[Any, ...],
    ) -> None:
        self.writer, self.model, self.columns, self.defaults = writer, model, columns, defaults
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *row: Any) -> None:
        self.rows.append(row + self.defaults if self.defaults else row)
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write(self, self.rows)
            self.rows = []


def _tenant_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


def delete_organization(organization: Organization) -> None:
    """Delete an organisation and all it owns, table by table.

    The ORM's cascade would load every row into memory first (minutes at this size). Every
    tenant row carries ``organization``, so one DELETE per table does it; foreign keys are
    deferred until commit, so the order does not matter. Accounts under the seeded email domain
    go too, unless they belong to another organisation."""
    pk = organization.pk
    with across_all_organizations():
        users = list(
            User.objects.filter(email__iendswith=f"@{organization.slug}.example")
            .exclude(memberships__organization__in=Organization.objects.exclude(pk=pk))
            .values_list("pk", flat=True)
        )
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in _tenant_models():
                for m2m in model._meta.local_many_to_many:
                    through = m2m.remote_field.through
                    column = quote(through._meta.get_field(m2m.m2m_field_name()).column)
                    owners = (
                        f"SELECT id FROM {quote(model._meta.db_table)} WHERE organization_id = %s"
                    )
                    cursor.execute(
                        f"DELETE FROM {quote(through._meta.db_table)} WHERE {column} IN ({owners})",
                        [pk],
                    )
            for model in _tenant_models():
                cursor.execute(
                    f"DELETE FROM {quote(model._meta.db_table)} WHERE organization_id = %s",
                    [pk],
                )
            cursor.execute(
                f"DELETE FROM {quote(Organization._meta.db_table)} WHERE id = %s",
                [pk],
            )
        # Few rows still point at these users now (their email addresses, mostly): the ORM
        # deletes those and clears references from other organisations as usual.
        for start in range(0, len(users), 5000):
            User.objects.filter(pk__in=users[start : start + 5000]).delete()


# --- The plan, in memory -------------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    id: int
    program: int
    side: str
    status: str
    email: str
    first_name: str
    last_name: str
    department: str
    has_account: bool
    user_id: int | None = None
    membership_id: int | None = None
    matched: bool = False
    # (topic name, baseline rating, final rating) of each learning objective
    objectives: list[tuple[str, int, int | None]] = field(default_factory=list)


@dataclass(slots=True)
class Pair:
    id: int
    program: int
    mentor: Person
    mentee: Person
    shape: str
    created: datetime
    start: int = 0  # the window of days in which the pair meets, inclusive
    end: int = -1
    ended: int | None = None  # the day it was dissolved
    last_met_at: datetime | None = None

    @property
    def status(self) -> str:
        if self.shape in ("proposed", "confirmed", "dissolved"):
            return self.shape
        return Pairing.Status.ACTIVE


@dataclass(slots=True)
class Cycle:
    id: int
    program: int
    key: str
    opened_at: datetime
    open_days: int
    closed: bool
    # invited people, with when the survey was offered (on-demand surveys only)
    invited: list[tuple[Person, datetime | None]] = field(default_factory=list)


class Seeder:
    def __init__(
        self, *, slug: str, participants: int, seed: int, password: str, out: Callable[[str], None]
    ) -> None:
        self.slug, self.participants, self.password = slug, participants, password
        self.rng = random.Random(seed)
        self.out = out
        self.writer = Writer()
        # Every date is a whole number of days from today's midnight (UTC), so the same seed
        # gives the same data relative to the day of the run, whatever its time of day.
        self.midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)

    def at(self, day: int, hour: float = 0) -> datetime:
        return self.midnight + timedelta(days=day, hours=hour)

    def day(self, day: int) -> date:
        return self.at(day).date()

    @contextmanager
    def stage(self, name: str) -> Iterator[list[str]]:
        started, writing = time.perf_counter(), self.writer.seconds
        details: list[str] = []
        yield details
        self.writer.flush()
        seconds = time.perf_counter() - started
        writing = self.writer.seconds - writing
        self.out(f"  {name:<22} {seconds:6.1f} s   {', '.join(details)} (writing {writing:.1f} s)")

    def run(self) -> Organization:
        """Build everything, in the organisation's scope."""
        name = f"{self.slug.replace('-', ' ').title()} Corp"
        self.organization = services.organization_create(
            slug=self.slug, name=name, mfa_required=False
        )
        self.org_id = self.organization.pk
        with tenant_scope(self.organization):
            self.build()
        return self.organization

    def build(self) -> None:
        with self.stage("organisation, programs") as details:
            self.staff()
            self.programs()
            details.append(f"{len(PROGRAMS)} programs")
        with self.stage("people") as details:
            self.plan_people()
            self.plan_pairs()
            self.write_people()
            details.append(f"{len(self.people):,} participants")
        with self.stage("pairs, meetings, logs") as details:
            self.meetings_and_logs()
            details.append(f"{len(self.pairs):,} pairs")
        with self.stage("feedback") as details:
            closed = self.feedback()
            details.append(f"{len(self.cycles):,} surveys")
        with self.stage("survey summaries") as details:
            summarize_cycles(cycle_ids=closed)
            # As closing does (see cycles_dispatch): counted first, then who answered an
            # anonymous survey is forgotten.
            SurveyInvitation.objects.filter(
                cycle__status=FeedbackCycle.Status.CLOSED, cycle__anonymous=True, answered=True
            ).update(answered=False)
            details.append(f"{len(closed):,} closed surveys")
        with self.stage("weekly activity totals") as details:
            # What session_log_create keeps in step log by log, recounted once for the bulk.
            activity.rebuild(organization_id=self.org_id)
            details.append("sessions and topics per week")

    # --- Organisation and programs -----------------------------------------------------------

    def staff(self) -> None:
        # One hash for every account: hashing is slow by design, and there are thousands.
        self.password_hash = make_password(self.password)
        self.admin = self.account(f"admin@{self.slug}.example", "Avery", "Admin", Role.HR_ADMIN)
        self.sponsor = self.account(f"sponsor@{self.slug}.example", "Sam", "Sponsor", Role.SPONSOR)

    def account(self, email: str, first: str, last: str, role: Role) -> Membership:
        user, _ = User.objects.update_or_create(
            email=email,
            defaults={"first_name": first, "last_name": last, "password": self.password_hash},
        )
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return services.membership_grant(organization=self.organization, user=user, role=role)

    def programs(self) -> None:
        topics = program_services.topics_get_or_create(organization=self.organization, names=TOPICS)
        self.topic_ids = {t.name: t.pk for t in topics}
        self.program_ids: list[int] = []
        self.program_topics: list[list[str]] = []
        self.modules: list[list[tuple[int, bool, bool]]] = []
        for spec in PROGRAMS:
            program = program_services.program_create_from_template(
                organization=self.organization, template="digital-fluency", name=spec.name
            )
            program.slug = slugify(spec.name)
            program.status = spec.status
            program.start_date, program.end_date = self.day(spec.start), self.day(spec.end)
            program.created_at = self.at(spec.start - 60, 10)
            if spec.status == CLOSED:
                program.closed_at = self.at(spec.end, 16)
            program.save()
            chosen = sorted(self.rng.sample(TOPICS, 7))
            program.topics.set([self.topic_ids[name] for name in chosen])
            program_services.program_sponsor_add(program=program, membership=self.sponsor)
            self.program_ids.append(program.pk)
            self.program_topics.append(chosen)
            self.modules.append(
                list(
                    TrainingModule.objects.filter(program=program)
                    .order_by("position")
                    .values_list("pk", "required_for_juniors", "required_for_seniors")
                )
            )

    # --- People --------------------------------------------------------------------------------

    def plan_people(self) -> None:
        rng = self.rng
        ids = self.writer.ids(Participant, self.participants)
        departments, weights = list(DEPARTMENTS), list(DEPARTMENTS.values())
        self.people: list[Person] = []
        self.by_program: list[dict[str, list[Person]]] = []
        for p, size in enumerate(program_sizes(self.participants)):
            sides: dict[str, list[Person]] = {Side.JUNIOR: [], Side.SENIOR: []}
            for side, count in ((Side.JUNIOR, size // 2), (Side.SENIOR, size - size // 2)):
                for index in range(count):
                    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                    department = rng.choices(departments, weights)[0]
                    status = participant_status(index)
                    person = Person(
                        id=ids[len(self.people)],
                        program=p,
                        side=side,
                        status=status,
                        email=f"{first}.{last}.{len(self.people) + 1}@{self.slug}.example".lower(),
                        first_name=first,
                        last_name=last,
                        department=TINY_DEPARTMENTS.get((p, side, index), department),
                        # People imported into the newest program are invited; one in three
                        # has not signed up yet. Everyone else has an account.
                        has_account=not (
                            PROGRAMS[p].status == MATCHING and status == APPROVED and index % 3 == 2
                        ),
                    )
                    sides[side].append(person)
                    self.people.append(person)
            self.by_program.append(sides)
        # The participant account for benchmarks: a junior of the first program, in a healthy
        # pair (pair 0), with meetings ahead and the open check-in still to answer.
        self.benchmark_person = self.by_program[0][Side.JUNIOR][0]
        self.benchmark_person.email = f"participant@{self.slug}.example"

    def plan_pairs(self) -> None:
        """Approved juniors and seniors paired in order (seniors shuffled, then swapped with the
        next to avoid pairs within a department); the program still matching has proposals for
        four in five of them."""
        rng = self.rng
        pair_count = sum(self._pair_count(p, sides) for p, sides in enumerate(self.by_program))
        ids = self.writer.ids(Pairing, pair_count)
        self.pairs: list[Pair] = []
        for p, sides in enumerate(self.by_program):
            spec = PROGRAMS[p]
            juniors = [x for x in sides[Side.JUNIOR] if x.status == APPROVED]
            seniors = [x for x in sides[Side.SENIOR] if x.status == APPROVED]
            rng.shuffle(seniors)
            for k in range(len(seniors) - 1):
                if seniors[k].department == juniors[min(k, len(juniors) - 1)].department:
                    seniors[k], seniors[k + 1] = seniors[k + 1], seniors[k]
            published = min(spec.start - 12, -3)
            for k in range(self._pair_count(p, sides)):
                pair = Pair(
                    id=ids[len(self.pairs)],
                    program=p,
                    mentor=juniors[k],
                    mentee=seniors[k],
                    shape=pair_shape(spec.status, k),
                    created=self.at(published, 10 + rng.random() * 6),
                )
                self._plan_window(pair, spec)
                live = pair.shape != "dissolved"
                pair.mentor.matched = pair.mentee.matched = live
                self.pairs.append(pair)

    @staticmethod
    def _pair_count(p: int, sides: dict[str, list[Person]]) -> int:
        approved = [sum(x.status == APPROVED for x in sides[s]) for s in (Side.JUNIOR, Side.SENIOR)]
        pairs = min(approved)
        return pairs * 4 // 5 if PROGRAMS[p].status == MATCHING else pairs

    def _plan_window(self, pair: Pair, spec: ProgramSpec) -> None:
        """The days in which the pair meets; none for pairs that are not live yet."""
        rng = self.rng
        pair.start = spec.start
        if pair.shape in ("proposed", "confirmed"):
            pair.end = pair.start - 1
        elif pair.shape == "dissolved":
            last = min(spec.end, 0) - 14
            pair.ended = rng.randint(spec.start + 28, last)
            pair.end = pair.ended
        elif pair.shape == "at_risk":
            pair.end = -(settings.PAIR_INACTIVITY_DAYS + 1 + rng.randint(0, 40))
        elif spec.status == CLOSED:
            pair.end = spec.end - 1
        else:
            pair.end = FUTURE_DAYS

    def write_people(self) -> None:
        rng, org = self.rng, self.org_id
        accounts = [x for x in self.people if x.has_account]
        user_ids = self.writer.ids(User, len(accounts))
        membership_ids = self.writer.ids(Membership, len(accounts))
        for person, user_id, membership_id in zip(accounts, user_ids, membership_ids, strict=True):
            person.user_id, person.membership_id = user_id, membership_id
        users = self.writer.sink(
            User,
            "id password last_login is_superuser first_name last_name is_staff is_active "
            "date_joined email",
        )
        emails = self.writer.sink(EmailAddress, "user_id email verified primary")
        memberships = self.writer.sink(
            Membership,
            "id organization_id user_id is_hr_admin is_sponsor is_participant created_at "
            "removed_at",
        )
        participants = self.writer.sink(
            Participant,
            "id organization_id program_id membership_id email first_name last_name side status "
            "department title level manager_email timezone availability bio training_done "
            "matched created_at status_changed_at",
        )
        offers = self.writer.sink(Participant.offers.through, "participant_id topic_id")
        wants = self.writer.sink(Participant.wants.through, "participant_id topic_id")
        completions = self.writer.sink(
            TrainingCompletion, "organization_id module_id participant_id completed_at"
        )
        objectives = self.writer.sink(
            LearningObjective,
            "organization_id participant_id topic_id success_criteria target_date "
            "baseline_rating progress final_rating created_at updated_at",
        )
        invitations = self.writer.sink(
            Invitation,
            "organization_id email role token_hash emailed_at invited_by_id created_at "
            "expires_at accepted_at accepted_by_id revoked_at",
        )
        zones, zone_weights = list(TIMEZONES), list(TIMEZONES.values())
        for person in self.people:
            spec = PROGRAMS[person.program]
            junior = person.side == Side.JUNIOR
            created = self.at(spec.start - 45, rng.random() * 24)
            if person.has_account:
                users.add(
                    person.user_id,
                    self.password_hash,
                    None,
                    False,
                    person.first_name,
                    person.last_name,
                    False,
                    True,
                    created - timedelta(days=1),
                    person.email,
                )
                emails.add(person.user_id, person.email, True, True)
                memberships.add(
                    person.membership_id, org, person.user_id, False, False, True, created, None
                )
            else:
                invited = self.at(-rng.randint(1, 10), 9)
                invitations.add(
                    org,
                    person.email,
                    Role.PARTICIPANT,
                    # The hash of a token nobody knows: the invitation counts as emailed.
                    hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
                    invited + timedelta(minutes=5),
                    self.admin.user_id,
                    invited,
                    invited + timedelta(days=14),
                    None,
                    None,
                    None,
                )
            level = rng.randint(1, 4) if junior else rng.randint(6, 12)
            title = JUNIOR_TITLES[level - 1] if junior else SENIOR_TITLES[min(3, (level - 6) // 2)]
            # Training is done by everyone approved, except, in the program still matching,
            # those not proposed a partner (most often: why they are not).
            trained = person.status == APPROVED and (spec.status != MATCHING or person.matched)
            participants.add(
                person.id,
                org,
                self.program_ids[person.program],
                person.membership_id,
                person.email,
                person.first_name,
                person.last_name,
                person.side,
                person.status,
                person.department,
                title,
                level,
                "",
                rng.choices(zones, zone_weights)[0],
                rng.choice(AVAILABILITY),
                "",
                trained,
                person.matched,
                created,
                created + timedelta(days=rng.randint(1, 20)),
            )
            topics = self.program_topics[person.program]
            offered = rng.sample(topics, 2 if junior else rng.randint(0, 1))
            wanted = rng.sample(topics, 1 if junior else 2)
            for name in offered:
                offers.add(person.id, self.topic_ids[name])
            for name in wanted:
                wants.add(person.id, self.topic_ids[name])
            if trained:
                for module_id, for_juniors, for_seniors in self.modules[person.program]:
                    if for_juniors if junior else for_seniors:
                        completions.add(org, module_id, person.id, created + timedelta(days=7))
            if person.status == APPROVED:
                self._objectives(person, spec, created, objectives)
        self.writer.flush()

    def _objectives(self, person: Person, spec: ProgramSpec, created: datetime, sink: Sink) -> None:
        rng = self.rng
        if spec.status == MATCHING:
            elapsed = 0.0
        else:
            elapsed = min(1.0, -spec.start / (spec.end - spec.start))
        for name in rng.sample(self.program_topics[person.program], rng.randint(1, 3)):
            baseline = rng.randint(1, 5)
            progress = round(min(100, max(0, elapsed * 100 + rng.gauss(0, 20))) / 5) * 5
            final = None
            if spec.status == CLOSED and rng.random() < 0.8:
                final = min(5, baseline + rng.choice((0, 1, 1, 2)))
            person.objectives.append((name, baseline, final))
            sink.add(
                self.org_id,
                person.id,
                self.topic_ids[name],
                f"Use {name.lower()} confidently in my own work",
                self.day(spec.end),
                baseline,
                0 if elapsed == 0 else progress,
                final,
                created + timedelta(days=10),
                created + timedelta(days=10),
            )

    # --- Pairs, meetings and session logs ----------------------------------------------------

    def meetings_and_logs(self) -> None:
        """``10 × participants`` meetings spread over the pairs in proportion to how long each
        has been meeting, evenly spaced (±1 day); a log for every past meeting that was not
        cancelled, and logs of sessions held without a booked meeting up to ``10 ×
        participants``."""
        rng, org = self.rng, self.org_id
        total = MEETINGS_PER_PARTICIPANT * self.participants
        meeting_pairs = [pair for pair in self.pairs if pair.end >= pair.start]
        counts = allocate(total, [pair.end - pair.start + 1 for pair in meeting_pairs])
        meeting_ids = iter(self.writer.ids(Meeting, total))
        meetings = self.writer.sink(
            Meeting,
            "id organization_id pairing_id starts_at duration_minutes location uid sequence "
            "created_by_id cancelled_at cancelled_by_id cancelled_by_side created_at updated_at",
        )
        # (pair, day, start, meeting id) of each session to log; no meeting for unbooked ones
        sessions: list[tuple[Pair, int, datetime | None, int | None]] = []
        serial = 0
        for pair, count in zip(meeting_pairs, counts, strict=True):
            span = pair.end - pair.start
            for i in range(count):
                day = pair.start + (2 * i + 1) * span // (2 * count) + rng.randint(-1, 1)
                day = min(max(day, pair.start), pair.end)
                if day == 0:  # nothing today: past and future do not depend on the hour
                    day = 1 if pair.end >= 1 else -1
                starts = self.at(day, rng.randint(16, 35) / 2)
                users = (pair.mentor.user_id, pair.mentee.user_id)
                created = min(
                    starts - timedelta(days=rng.randint(2, 10)),
                    self.at(0, -rng.randint(1, 72)),
                )
                cancelled_at = cancelled_by = None
                cancelled_side = ""
                if serial % CANCEL_EVERY == CANCEL_EVERY // 2:
                    # Cancelled by one of the two, some hours before (or, for meetings still
                    # ahead, in the last two days).
                    cancelled_by = rng.choice(users)
                    cancelled_side = "junior" if cancelled_by == users[0] else "senior"
                    cancelled_at = (
                        starts - timedelta(hours=rng.randint(2, 72))
                        if day < 0
                        else self.at(0, -rng.randint(1, 48))
                    )
                    cancelled_at = max(cancelled_at, created + timedelta(hours=1))
                serial += 1
                meeting_id = next(meeting_ids)
                meetings.add(
                    meeting_id,
                    org,
                    pair.id,
                    starts,
                    rng.choice((30, 45, 60, 60, 60, 90)),
                    rng.choice(LOCATIONS),
                    f"meeting-{uuid.uuid4()}@reverse-mentoring",
                    0,
                    rng.choice(users),
                    cancelled_at,
                    cancelled_by,
                    cancelled_side,
                    created,
                    cancelled_at or created,
                )
                if day < 0 and cancelled_at is None:
                    sessions.append((pair, day, starts, meeting_id))
        # Sessions held without a booked meeting make up the rest of the logs, before each
        # pair's last meeting (so the last meeting is still when the pair last met).
        last_session: dict[int, int] = {}
        for pair, day, _, _ in sessions:
            last_session[pair.id] = day
        eligible = [
            pair
            for pair in meeting_pairs
            if pair.id in last_session and last_session[pair.id] - pair.start >= 2
        ]
        extra = LOGS_PER_PARTICIPANT * self.participants - len(sessions)
        for _ in range(max(0, extra)):
            pair = rng.choice(eligible)
            sessions.append((pair, rng.randint(pair.start, last_session[pair.id] - 1), None, None))
        sessions.sort(key=lambda s: (s[0].id, s[1]))
        self._write_logs(sessions)
        self._write_pairs()

    def _write_logs(self, sessions: list[tuple[Pair, int, datetime | None, int | None]]) -> None:
        rng, org = self.rng, self.org_id
        log_ids = self.writer.ids(SessionLog, len(sessions))
        logs = self.writer.sink(
            SessionLog,
            "id organization_id pairing_id author_id meeting_id date minutes taught learned "
            "shared_notes private_notes created_at",
        )
        log_topics = self.writer.sink(SessionLog.topics.through, "sessionlog_id topic_id")
        # The surveys offered right after a log (see feedback.services.after_session_invitation)
        # are gathered here: {(program, template key, week): {participant id: (person, when)}}.
        self.offers: dict[tuple[int, str, int], dict[int, tuple[Person, datetime]]] = defaultdict(
            dict
        )
        authored: set[tuple[int, int]] = set()
        turn: dict[int, int] = defaultdict(int)
        for log_id, (pair, day, starts, meeting_id) in zip(log_ids, sessions, strict=True):
            if meeting_id is not None:
                # Booked sessions are logged by each side in turn.
                mentor_writes = turn[pair.id] % 2 == 0
                turn[pair.id] += 1
            else:
                mentor_writes = rng.random() < 0.5
            author = pair.mentor if mentor_writes else pair.mentee
            start = starts or self.at(day, rng.randint(16, 35) / 2)
            created = min(start + timedelta(minutes=rng.randint(60, 360)), self.at(0))
            taught, learned = rng.choice(TAUGHT), rng.choice(LEARNED)
            logs.add(
                log_id,
                org,
                pair.id,
                author.id,
                meeting_id,
                self.day(day),
                rng.randint(30, 90),
                taught if mentor_writes else learned,
                learned if mentor_writes else taught,
                "Next time: try it together on a real task." if rng.random() < 0.3 else "",
                "Ask about the reorganisation." if rng.random() < 0.05 else "",
                created,
            )
            for name in rng.sample(self.program_topics[pair.program], rng.randint(1, 2)):
                log_topics.add(log_id, self.topic_ids[name])
            # As in session_log_create: the pair last met on the day of its latest log.
            met = self.at(day, 12)
            if pair.last_met_at is None or met > pair.last_met_at:
                pair.last_met_at = met
            first = (pair.id, author.id) not in authored
            authored.add((pair.id, author.id))
            key = "pairing-fit" if first else "post-session"
            week = -day // 7
            self.offers[(pair.program, key, week)].setdefault(author.id, (author, created))

    def _write_pairs(self) -> None:
        org, admin = self.org_id, self.admin.user_id
        pairings = self.writer.sink(
            Pairing,
            "id organization_id program_id mentor_id mentee_id status score explanation manual "
            "mentor_accepted_at mentee_accepted_at created_at last_met_at "
            "mentor_exit_requested_at mentee_exit_requested_at",
        )
        events = self.writer.sink(
            PairingEvent, "organization_id pairing_id status actor_id note confidential created_at"
        )
        rng = self.rng
        for pair in self.pairs:
            reasons = {
                "pair_made": 2.0,
                "topic_fit": round(rng.uniform(0, 4), 3),
                "reverse_topic_fit": round(rng.uniform(0, 1), 3),
                "different_department": 1.0,
                "timezone_overlap": round(rng.uniform(0.5, 1), 3),
                "availability_overlap": round(rng.uniform(0, 1), 3),
            }
            live = pair.shape not in ("proposed", "confirmed")
            confirmed = pair.created + timedelta(days=2)
            activated = pair.created + timedelta(days=3)
            pairings.add(
                pair.id,
                org,
                self.program_ids[pair.program],
                pair.mentor.id,
                pair.mentee.id,
                pair.status,
                round(sum(reasons.values()), 3),
                reasons,
                False,
                pair.created + timedelta(days=1) if pair.shape != "proposed" else None,
                activated if live else None,
                pair.created,
                pair.last_met_at,
                None,
                None,
            )
            history = [(Pairing.Status.PROPOSED, admin, "", pair.created)]
            if pair.shape != "proposed":
                history.append((Pairing.Status.CONFIRMED, pair.mentee.user_id, "", confirmed))
            if live:
                history.append((Pairing.Status.ACTIVE, pair.mentee.user_id, "", activated))
            if pair.ended is not None:
                history.append(
                    (Pairing.Status.DISSOLVED, admin, "No-fault exit.", self.at(pair.ended, 15))
                )
            for status, actor, note, when in history:
                events.add(org, pair.id, status, actor, note, False, when)

    # --- Feedback ------------------------------------------------------------------------------

    def feedback(self) -> list[int]:
        """Monthly check-ins in every program that ran (the latest still open), the surveys
        offered after session logs (a round a week), the end-of-program survey of the closed
        program, and a few concerns. Returns the ids of the closed surveys."""
        feedback_services.templates_ensure_builtin(organization=self.organization)
        self.versions: dict[str, int] = {}
        self.questions: dict[str, list[Question]] = defaultdict(list)
        for question in Question.objects.select_related("version__template").order_by(
            "version__template__builtin_key", "position"
        ):
            key = question.version.template.builtin_key
            self.versions[key] = question.version_id
            self.questions[key].append(question)
        # Each scale's values with cumulative weights, for rng.choices.
        self.scales: dict[int, tuple[list[Any], list[int]]] = {}
        for question in (q for questions in self.questions.values() for q in questions):
            if question.kind == Question.Kind.LIKERT:
                values, weights = LIKERT
            elif question.kind == Question.Kind.NPS:
                values, weights = NPS
            elif question.kind == Question.Kind.SINGLE:
                values = tuple(question.choices)
                weights = tuple(CHOICE_WEIGHTS.get(c, 1) for c in values)
            else:
                continue
            self.scales[question.pk] = (list(values), list(itertools.accumulate(weights)))
        self.cycles: list[Cycle] = []
        self._plan_check_ins()
        self._plan_offered()
        ids = iter(self.writer.ids(FeedbackCycle, len(self.cycles)))
        for cycle in self.cycles:
            cycle.id = next(ids)
        self._write_cycles()
        self._concerns()
        return [c.id for c in self.cycles if c.closed]

    def _approved(self, p: int) -> list[Person]:
        sides = self.by_program[p]
        return [x for x in sides[Side.JUNIOR] + sides[Side.SENIOR] if x.status == APPROVED]

    def _plan_check_ins(self) -> None:
        for p, spec in enumerate(PROGRAMS):
            if spec.status == MATCHING:
                continue
            invited = [(person, None) for person in self._approved(p)]
            # Every four weeks from two weeks after the start; the latest opened two days ago
            # (or, in the closed program, two days before it closed).
            latest = -2 if spec.status == ACTIVE else spec.end - 2
            for day in reversed(range(latest, spec.start + 13, -28)):
                self.cycles.append(
                    Cycle(0, p, "monthly-check-in", self.at(day, 9), 7, day <= -7, invited)
                )
            if spec.status == CLOSED:
                self.cycles.append(
                    Cycle(0, p, "end-of-program", self.at(spec.end, 16), 14, True, invited)
                )

    def _plan_offered(self) -> None:
        """One round a week per program and template, like after_session_invitation's: week 0
        (the last six days and today) is still open."""
        for (p, key, week), offered in self.offers.items():
            opened = self.at(-7 * week - 6, 8)
            self.cycles.append(Cycle(0, p, key, opened, 7, week > 0, list(offered.values())))

    def _write_cycles(self) -> None:
        rng, org = self.rng, self.org_id
        cycles = self.writer.sink(
            FeedbackCycle,
            "id organization_id program_id version_id series_id title audience repeat_weeks "
            "open_days remind_after_days anonymous on_demand opens_at status opened_at "
            "closed_at created_at",
        )
        invitations = self.writer.sink(
            SurveyInvitation, "organization_id cycle_id participant_id sent_at reminded_at answered"
        )
        self.responses = self.writer.sink(
            SurveyResponse,
            "id organization_id cycle_id submitted_on side department attributed_to_id",
        )
        self.answers = self.writer.sink(
            Answer, "id organization_id response_id question_id number text choices"
        )
        self.pending = self.writer.sink(
            PendingResponse, "id organization_id cycle_id side department payload"
        )
        self.ratings = self.writer.sink(
            TopicRating, "id organization_id cycle_id question_id topic_name rating side department"
        )
        series: dict[tuple[int, str], int] = {}
        for cycle in self.cycles:
            key = cycle.key
            on_demand = key in ("post-session", "pairing-fit")
            recurring = key == "monthly-check-in"
            head = series.setdefault((cycle.program, key), cycle.id) if recurring else cycle.id
            closes = cycle.opened_at + timedelta(days=cycle.open_days)
            cycles.add(
                cycle.id,
                org,
                self.program_ids[cycle.program],
                self.versions[key],
                head if head != cycle.id else None,
                self.questions[key][0].version.template.name,
                FeedbackCycle.Audience.BOTH,
                4 if recurring else 0,
                cycle.open_days,
                REMIND_AFTER_DAYS[key],
                key != "pairing-fit",
                on_demand,
                cycle.opened_at,
                FeedbackCycle.Status.CLOSED if cycle.closed else FeedbackCycle.Status.OPEN,
                cycle.opened_at,
                closes if cycle.closed else None,
                cycle.opened_at - timedelta(days=1 if recurring else 0),
            )
            percent = ANSWERED_PERCENT[key]
            candidates = cycle.invited
            if not cycle.closed and recurring:
                percent = OPEN_CHECK_IN_ANSWERED_PERCENT
                # The benchmark participant still has the open check-in to answer.
                candidates = [x for x in candidates if x[0] is not self.benchmark_person]
            answered = rng.sample(candidates, len(cycle.invited) * percent // 100)
            answered_ids = {person.id for person, _ in answered}
            for person, offered in cycle.invited:
                # Closing a survey erases when invitations were sent and reminded (see
                # cycles_dispatch); surveys offered after a log are marked both at once.
                sent = None if cycle.closed else offered or cycle.opened_at
                reminded = sent if on_demand else None
                invitations.add(org, cycle.id, person.id, sent, reminded, person.id in answered_ids)
            self._answers(cycle, answered, closes.date())

    def _answers(
        self, cycle: Cycle, answered: list[tuple[Person, datetime | None]], closing: date
    ) -> None:
        """The responses of ``answered``: anonymous ones dated the closing day and in random
        order, with no link to anyone; attributed ones by name, dated when given. Answers to
        an open anonymous survey wait as pending submissions, as in response_submit."""
        rng, org = self.rng, self.org_id
        questions = self.questions[cycle.key]
        attributed = cycle.key == "pairing-fit"
        every = TEXT_EVERY[cycle.key]
        pool: list[tuple[Any, ...]] = []
        # Plain tuples: hashing model instances (by pk) a million times shows in the profile.
        scales = [(q.pk, q.kind, self.scales.get(q.pk)) for q in questions]
        for n, (person, offered) in enumerate(answered):
            values: list[tuple[int, Any]] = []
            for pk, kind, scale in scales:
                if scale is not None:
                    values.append((pk, rng.choices(scale[0], cum_weights=scale[1])[0]))
                elif kind == Question.Kind.TEXT and n % every == 0:
                    values.append((pk, rng.choice(COMMENTS)))
                elif kind == Question.Kind.OBJECTIVE_RATINGS:
                    for topic, baseline, final in person.objectives:
                        rating = final or min(5, baseline + 1)
                        pool.append((pk, topic, rating, person.side, person.department))
            if not cycle.closed and not attributed:
                payload = {str(pk): value for pk, value in values}
                self.pending.add(
                    uuid.uuid4(), org, cycle.id, person.side, person.department, payload
                )
                continue
            response = uuid.uuid4()
            day = closing
            if attributed and offered is not None:
                day = min(offered.date() + timedelta(days=rng.randint(0, 1)), self.day(0))
            self.responses.add(
                response,
                org,
                cycle.id,
                day,
                person.side,
                person.department,
                person.id if attributed else None,
            )
            for pk, value in values:
                number = value if isinstance(value, int) else None
                text = value if isinstance(value, str) else ""
                self.answers.add(uuid.uuid4(), org, response, pk, number, text, [])
        # Topic ratings stand alone (see TopicRating): shuffled, so nothing ties them together.
        rng.shuffle(pool)
        for row in pool:
            self.ratings.add(uuid.uuid4(), org, cycle.id, *row)

    def _concerns(self) -> None:
        rng, org = self.rng, self.org_id
        concerns = self.writer.sink(
            Concern, "organization_id participant_id kind text created_at resolved_at"
        )
        people = [
            x for p, spec in enumerate(PROGRAMS) if spec.status == ACTIVE for x in self._approved(p)
        ]
        for n, person in enumerate(rng.sample(people, max(4, self.participants // 1000))):
            kind, text = CONCERNS[n % len(CONCERNS)]
            created = self.at(-rng.randint(3, 30), rng.randint(8, 18))
            resolved = created + timedelta(days=2) if n % 4 == 3 else None
            concerns.add(org, person.id, kind, text, created, resolved)


class Command(BaseCommand):
    help = (
        "Build a large, deterministic organisation for benchmarks (default: 'bench', 20,000 "
        "participants). Every account's password is printed at the end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="bench", help="Slug of the organisation to create.")
        parser.add_argument(
            "--participants",
            type=int,
            default=20_000,
            help="Participants; pairs, meetings, logs and answers grow in proportion.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="Password of every seeded account."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the organisation first if it exists, with everything it owns.",
        )

    def handle(
        self,
        *args: Any,
        org: str,
        participants: int,
        seed: int,
        password: str,
        replace: bool,
        **options: Any,
    ) -> None:
        try:
            validate_slug(org)
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from exc
        if participants < MIN_PARTICIPANTS:
            raise CommandError(f"--participants must be at least {MIN_PARTICIPANTS}.")
        started = time.perf_counter()
        write = self.stdout.write
        with transaction.atomic():
            existing = Organization.objects.filter(slug=org).first()
            if existing is not None and not replace:
                raise CommandError(
                    f"An organisation with the slug '{org}' already exists. Pass another --org, "
                    "or --replace to delete it and everything it owns, then seed it again."
                )
            write(f"Seeding '{org}' with {participants:,} participants (seed {seed}):")
            if existing is not None:
                t = time.perf_counter()
                delete_organization(existing)
                write(f"  {'deleted the old one':<22} {time.perf_counter() - t:6.1f} s")
            if User.objects.filter(email__iendswith=f"@{org}.example").exists():
                raise CommandError(
                    f"Accounts under @{org}.example exist outside the organisation '{org}'. "
                    "Choose another --org."
                )
            seeder = Seeder(
                slug=org, participants=participants, seed=seed, password=password, out=write
            )
            organization = seeder.run()
            t = time.perf_counter()
        # Foreign keys are deferred: PostgreSQL checks every new row's here, most of the commit.
        write(f"  {'commit':<22} {time.perf_counter() - t:6.1f} s")
        if connection.vendor == "postgresql":
            # Fresh planner statistics: autovacuum would analyse the new rows only later, and
            # until then the planner guesses (the dashboards' joins ran 40 times slower).
            t = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            write(f"  {'analyse':<22} {time.perf_counter() - t:6.1f} s")
        t = time.perf_counter()
        counts = table_counts(organization)
        write(f"  {'count':<22} {time.perf_counter() - t:6.1f} s")
        write("Rows:")
        for table, count in counts.items():
            write(f"  {table:<34} {count:>10,}")
        total = time.perf_counter() - started
        write(self.style.SUCCESS(f"Done in {total:.1f} s: /o/{org}/"))
        write(f"  password of every account: {password}")
        write(
            f"  admin@{org}.example (HR admin), sponsor@{org}.example (sponsor of every program),"
        )
        write(f"  participant@{org}.example (a junior in {PROGRAMS[0].name!r}, with a live pair)")


def table_counts(organization: Organization) -> dict[str, int]:
    """Rows per table of the organisation (its tenant tables, accounts and link tables)."""
    counts: dict[str, int] = {}
    with tenant_scope(organization):
        for model in _tenant_models():
            counts[model._meta.db_table] = model.objects.count()
            for m2m in model._meta.local_many_to_many:
                through = m2m.remote_field.through
                column = m2m.m2m_field_name()
                counts[through._meta.db_table] = through.objects.filter(
                    **{f"{column}__organization": organization}
                ).count()
    users = User.objects.filter(memberships__organization=organization)
    counts[User._meta.db_table] = users.count()
    counts[EmailAddress._meta.db_table] = EmailAddress.objects.filter(user__in=users).count()
    return dict(sorted(counts.items()))
