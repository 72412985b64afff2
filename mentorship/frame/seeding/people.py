"""The participants: who they are (program, side, department, status), their accounts or
invitations, training, offered and wanted topics, and learning objectives."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress

from mentorship.frame.seeding.context import Context
from mentorship.frame.seeding.organizations import Staff
from mentorship.frame.seeding.programs import Programs
from mentorship.frame.seeding.rows import Sink
from mentorship.frame.seeding.shapes import CLOSED, MATCHING, ProgramSpec
from mentorship.models import Invitation, Membership, Role, User
from programs.availability import parse_legacy
from programs.models import LearningObjective, Participant, Side, TrainingCompletion

APPROVED, APPLIED = Participant.Status.APPROVED, Participant.Status.APPLIED
WITHDRAWN = Participant.Status.WITHDRAWN

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
# ...and, in the large organisation, two tiny ones placed by hand (program, side, index within
# the side): fewer than k people in the whole organisation, so their figures are always withheld.
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
# (weekly hours, availability note): most people give hours, a few only a note, as after the
# migration from the free text.
WEEKS: tuple[tuple[list[list[object]], str], ...] = (
    *(
        (parse_legacy(text) or [], "")
        for text in (
            "Tue/Thu mornings",
            "Wed afternoons",
            "Mon/Wed mornings",
            "Fridays",
            "weekdays 9-12",
            "Mon-Thu 14:00-17:00",
        )
    ),
    ([], "Flexible"),
)


def participant_status(index: int) -> str:
    """The status of the ``index``-th person of a side of a program (in enrolment order): one
    in fifty applied and not decided yet, one in fifty withdrew, the others are approved."""
    if index % 50 == 7:
        return APPLIED
    if index % 50 == 8:
        return WITHDRAWN
    return APPROVED


def program_sizes(participants: int, programs: int) -> list[int]:
    """Participants per program: an even split, the first programs taking the remainder."""
    base, extra = divmod(participants, programs)
    return [base + (1 if p < extra else 0) for p in range(programs)]


@dataclass(slots=True)
class Person:
    """A participant as planned; ids are drawn before any row is written."""

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
class People:
    """Every participant planned, by program and side."""

    everyone: list[Person]
    by_program: list[dict[str, list[Person]]]  # each program's people, by side
    # The participant account for benchmarks: a junior of the first program, in a healthy pair
    # (pair 0), with meetings ahead and the open check-in still to answer.
    benchmark: Person

    def approved(self, p: int) -> list[Person]:
        """The approved people of program ``p``, juniors first."""
        sides = self.by_program[p]
        return [x for x in sides[Side.JUNIOR] + sides[Side.SENIOR] if x.status == APPROVED]


def people_plan(ctx: Context) -> People:
    """Everyone, in memory: each program's people split in juniors and seniors, with their
    department, status and whether they have an account yet."""
    rng = ctx.rng
    ids = ctx.writer.ids(Participant, ctx.participants)
    departments, weights = list(DEPARTMENTS), list(DEPARTMENTS.values())
    tiny = TINY_DEPARTMENTS if ctx.shape.tiny_departments else {}
    everyone: list[Person] = []
    by_program: list[dict[str, list[Person]]] = []
    for p, size in enumerate(program_sizes(ctx.participants, len(ctx.programs))):
        sides: dict[str, list[Person]] = {Side.JUNIOR: [], Side.SENIOR: []}
        for side, count in ((Side.JUNIOR, size // 2), (Side.SENIOR, size - size // 2)):
            for index in range(count):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                department = rng.choices(departments, weights)[0]
                status = participant_status(index)
                person = Person(
                    id=ids[len(everyone)],
                    program=p,
                    side=side,
                    status=status,
                    email=f"{first}.{last}.{len(everyone) + 1}@{ctx.slug}.example".lower(),
                    first_name=first,
                    last_name=last,
                    department=tiny.get((p, side, index), department),
                    # People imported into the newest program are invited; one in three
                    # has not signed up yet. Everyone else has an account.
                    has_account=not (
                        ctx.programs[p].status == MATCHING and status == APPROVED and index % 3 == 2
                    ),
                )
                sides[side].append(person)
                everyone.append(person)
        by_program.append(sides)
    benchmark = by_program[0][Side.JUNIOR][0]
    benchmark.email = f"participant@{ctx.slug}.example"
    return People(everyone=everyone, by_program=by_program, benchmark=benchmark)


def people_write(ctx: Context, people: People, *, staff: Staff, programs: Programs) -> None:
    """Accounts (or invitations), participants, their topics, training and objectives."""
    rng, org = ctx.rng, ctx.org_id
    accounts = [x for x in people.everyone if x.has_account]
    user_ids = ctx.writer.ids(User, len(accounts))
    membership_ids = ctx.writer.ids(Membership, len(accounts))
    for person, user_id, membership_id in zip(accounts, user_ids, membership_ids, strict=True):
        person.user_id, person.membership_id = user_id, membership_id
    users = ctx.writer.sink(
        User,
        "id password last_login is_superuser first_name last_name is_staff is_active "
        "date_joined email",
    )
    emails = ctx.writer.sink(EmailAddress, "user_id email verified primary")
    memberships = ctx.writer.sink(
        Membership,
        "id organization_id user_id is_hr_admin is_sponsor is_participant created_at removed_at",
    )
    participants = ctx.writer.sink(
        Participant,
        "id organization_id program_id membership_id email first_name last_name side status "
        "department title level manager_email timezone weekly_availability availability bio "
        "training_done "
        "matched created_at status_changed_at",
    )
    offers = ctx.writer.sink(Participant.offers.through, "participant_id topic_id")
    wants = ctx.writer.sink(Participant.wants.through, "participant_id topic_id")
    completions = ctx.writer.sink(
        TrainingCompletion, "organization_id module_id participant_id completed_at"
    )
    objectives = ctx.writer.sink(
        LearningObjective,
        "organization_id participant_id topic_id success_criteria target_date "
        "baseline_rating progress final_rating created_at updated_at",
    )
    invitations = ctx.writer.sink(
        Invitation,
        "organization_id email role token_hash emailed_at invited_by_id created_at "
        "expires_at accepted_at accepted_by_id revoked_at",
    )
    zones, zone_weights = list(TIMEZONES), list(TIMEZONES.values())
    for person in people.everyone:
        spec = ctx.programs[person.program]
        junior = person.side == Side.JUNIOR
        created = ctx.at(spec.start - 45, rng.random() * 24)
        if person.has_account:
            users.add(
                person.user_id,
                staff.password_hash,
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
            invited = ctx.at(-rng.randint(1, 10), 9)
            invitations.add(
                org,
                person.email,
                Role.PARTICIPANT,
                # The hash of a token nobody knows: the invitation counts as emailed.
                hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
                invited + timedelta(minutes=5),
                staff.admin.user_id,
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
        week, note = rng.choice(WEEKS)
        participants.add(
            person.id,
            org,
            programs.ids[person.program],
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
            week,
            note,
            "",
            trained,
            person.matched,
            created,
            created + timedelta(days=rng.randint(1, 20)),
        )
        topics = programs.topics[person.program]
        offered = rng.sample(topics, 2 if junior else rng.randint(0, 1))
        wanted = rng.sample(topics, 1 if junior else 2)
        for name in offered:
            offers.add(person.id, programs.topic_ids[name])
        for name in wanted:
            wants.add(person.id, programs.topic_ids[name])
        if trained:
            for module_id, for_juniors, for_seniors in programs.modules[person.program]:
                if for_juniors if junior else for_seniors:
                    completions.add(org, module_id, person.id, created + timedelta(days=7))
        if person.status == APPROVED:
            _objectives(ctx, person, spec, created, objectives, programs)


def _objectives(
    ctx: Context,
    person: Person,
    spec: ProgramSpec,
    created: datetime,
    sink: Sink,
    programs: Programs,
) -> None:
    """One to three objectives of ``person``, progressing with the program's elapsed time;
    final ratings in the closed program (kept on the person for the end-of-program survey)."""
    rng = ctx.rng
    elapsed = 0.0  # the share of the program gone by
    if spec.status != MATCHING:
        elapsed = min(1.0, -spec.start / (spec.end - spec.start))
    for name in rng.sample(programs.topics[person.program], rng.randint(1, 3)):
        baseline = rng.randint(1, 5)
        progress = round(min(100, max(0, elapsed * 100 + rng.gauss(0, 20))) / 5) * 5
        final = None
        if spec.status == CLOSED and rng.random() < 0.8:
            final = min(5, baseline + rng.choice((0, 1, 1, 2)))
        person.objectives.append((name, baseline, final))
        sink.add(
            ctx.org_id,
            person.id,
            programs.topic_ids[name],
            f"Use {name.lower()} confidently in my own work",
            ctx.day(spec.end),
            baseline,
            0 if elapsed == 0 else progress,
            final,
            created + timedelta(days=10),
            created + timedelta(days=10),
        )
