"""Meetings and session logs: meetings spread over each pair's window, one in 20 cancelled (and,
in small organisations, a few whose first reminder falls due within the hour); a log for every
past meeting that went ahead and for sessions held without a booked meeting; and, from the
logs, the surveys offered right after them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from mentorship.frame.seeding.context import Context
from mentorship.frame.seeding.pairs import FUTURE_DAYS, Pair
from mentorship.frame.seeding.people import Person
from mentorship.frame.seeding.programs import Programs
from mentorship.frame.seeding.rows import random_uuid
from pairings import due, reminders
from pairings.models import Meeting, SessionLog

CANCEL_EVERY = 20  # every 20th meeting (in creation order) is cancelled: 5 %

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

# The surveys offered right after a log (see feedback.services.after_session), by
# (program, template key, week): {participant id: (person, when offered)}.
Offers = dict[tuple[int, str, int], dict[int, tuple[Person, datetime]]]
# A session to log: (pair, day, start, meeting id); no meeting for sessions not booked.
Session = tuple[Pair, int, datetime | None, int | None]


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights``, exactly (largest remainders first)."""
    whole = sum(weights)
    shares = [divmod(total * w, whole) for w in weights]
    counts = [q for q, _ in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: -shares[i][1])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def meetings_and_logs(ctx: Context, pairs: list[Pair], *, programs: Programs) -> Offers:
    """The shape's meetings per participant (10 in the large organisation) spread over the
    pairs in proportion to how long each has been meeting, evenly spaced (±1 day), and the
    meetings due for a reminder soon; a log for every past meeting that was not cancelled, and
    logs of sessions held without a booked meeting up to the shape's logs per participant.
    Returns the surveys offered after the logs."""
    rng, org = ctx.rng, ctx.org_id
    total = ctx.shape.meetings_per_participant * ctx.participants
    meeting_pairs = [pair for pair in pairs if pair.end >= pair.start]
    counts = allocate(total, [pair.end - pair.start + 1 for pair in meeting_pairs])
    every = ctx.shape.soon_meeting_every
    soon = [pair for pair in meeting_pairs if pair.end == FUTURE_DAYS][::every] if every else []
    meeting_ids = iter(ctx.writer.ids(Meeting, total + len(soon)))
    meetings = ctx.writer.sink(
        Meeting,
        "id organization_id pairing_id starts_at duration_minutes location uid sequence "
        "created_by_id cancelled_at cancelled_by_id cancelled_by_side created_at updated_at "
        "next_due_at",
    )
    sessions: list[Session] = []
    serial = 0
    for pair, count in zip(meeting_pairs, counts, strict=True):
        span = pair.end - pair.start
        for i in range(count):
            day = pair.start + (2 * i + 1) * span // (2 * count) + rng.randint(-1, 1)
            day = min(max(day, pair.start), pair.end)
            if day == 0:  # nothing today: past and future do not depend on the hour
                day = 1 if pair.end >= 1 else -1
            starts = ctx.at(day, rng.randint(16, 35) / 2)
            users = (pair.mentor.user_id, pair.mentee.user_id)
            created = min(
                starts - timedelta(days=rng.randint(2, 10)),
                ctx.at(0, -rng.randint(1, 72)),
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
                    else ctx.at(0, -rng.randint(1, 48))
                )
                cancelled_at = max(cancelled_at, created + timedelta(hours=1))
            serial += 1
            meeting_id = next(meeting_ids)
            minutes, place = rng.choice((30, 45, 60, 60, 60, 90)), rng.choice(LOCATIONS)
            meetings.add(
                meeting_id,
                org,
                pair.id,
                starts,
                minutes,
                place,
                f"meeting-{random_uuid()}@reverse-mentoring",
                0,
                rng.choice(users),
                cancelled_at,
                cancelled_by,
                cancelled_side,
                created,
                cancelled_at or created,
                _next_due(ctx, programs, pair, starts, minutes, cancelled=cancelled_at is not None),
            )
            if day < 0 and cancelled_at is None:
                sessions.append((pair, day, starts, meeting_id))
                if pair.last_meeting_at is None or starts > pair.last_meeting_at:
                    pair.last_meeting_at = starts
    for pair in soon:
        # 24 hours and 1 to 60 minutes ahead: the 24-hour reminder falls due within the hour.
        starts = ctx.minute + timedelta(hours=24, minutes=rng.randint(1, 60))
        created = ctx.minute - timedelta(hours=rng.randint(1, 48))
        meetings.add(
            next(meeting_ids),
            org,
            pair.id,
            starts,
            60,
            rng.choice(LOCATIONS),
            f"meeting-{random_uuid()}@reverse-mentoring",
            0,
            pair.mentor.user_id,
            None,
            None,
            "",
            created,
            created,
            _next_due(ctx, programs, pair, starts, 60, cancelled=False),
        )
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
    extra = ctx.shape.logs_per_participant * ctx.participants - len(sessions)
    for _ in range(max(0, extra)):
        pair = rng.choice(eligible)
        sessions.append((pair, rng.randint(pair.start, last_session[pair.id] - 1), None, None))
    sessions.sort(key=lambda s: (s[0].id, s[1]))
    return _write_logs(ctx, sessions, programs)


def _next_due(
    ctx: Context, programs: Programs, pair: Pair, starts: datetime, minutes: int, *, cancelled: bool
) -> datetime | None:
    """The moment the reminder pass next looks at the meeting, as ``meetings_rearm`` stores it
    for meetings written in bulk: none for a meeting cancelled or over for longer than the
    prompt window; else its first moment (a 24-hour reminder already past, or a prompt for a
    meeting just held, is due at once: nothing was sent yet)."""
    if cancelled or starts < ctx.now - due.LOG_PROMPT_WINDOW - reminders.MAX_MEETING:
        return None
    return due.meeting_first_due(
        starts_at=starts, duration_minutes=minutes, offsets_hours=programs.offsets[pair.program]
    )


def _write_logs(ctx: Context, sessions: list[Session], programs: Programs) -> Offers:
    """The logs of ``sessions`` (in pair and day order) with their topics; sets when each pair
    last met and gathers the surveys each log offers its author."""
    rng, org = ctx.rng, ctx.org_id
    log_ids = ctx.writer.ids(SessionLog, len(sessions))
    logs = ctx.writer.sink(
        SessionLog,
        "id organization_id pairing_id author_id meeting_id date minutes taught learned "
        "shared_notes private_notes created_at",
    )
    log_topics = ctx.writer.sink(SessionLog.topics.through, "sessionlog_id topic_id")
    offers: Offers = defaultdict(dict)
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
        start = starts or ctx.at(day, rng.randint(16, 35) / 2)
        created = min(start + timedelta(minutes=rng.randint(60, 360)), ctx.at(0))
        taught, learned = rng.choice(TAUGHT), rng.choice(LEARNED)
        logs.add(
            log_id,
            org,
            pair.id,
            author.id,
            meeting_id,
            ctx.day(day),
            rng.randint(30, 90),
            taught if mentor_writes else learned,
            learned if mentor_writes else taught,
            "Next time: try it together on a real task." if rng.random() < 0.3 else "",
            "Ask about the reorganisation." if rng.random() < 0.05 else "",
            created,
        )
        for name in rng.sample(programs.topics[pair.program], rng.randint(1, 2)):
            log_topics.add(log_id, programs.topic_ids[name])
        # As in session_log_create: the pair last met on the day of its latest log.
        met = ctx.at(day, 12)
        if pair.last_met_at is None or met > pair.last_met_at:
            pair.last_met_at = met
        first = (pair.id, author.id) not in authored
        authored.add((pair.id, author.id))
        key = "pairing-fit" if first else "post-session"
        week = -day // 7
        offers[(pair.program, key, week)].setdefault(author.id, (author, created))
    return offers
