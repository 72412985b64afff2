"""The pairs: who is paired with whom, how each pair fares (its shape), the window of days in
which it meets, and the pairings with their history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from mentorship.frame.seeding.context import Context
from mentorship.frame.seeding.people import APPROVED, People, Person
from mentorship.frame.seeding.programs import Programs
from mentorship.frame.seeding.shapes import ACTIVE, CLOSED, MATCHING, ProgramSpec
from pairings import reminders
from pairings.models import Pairing, PairingEvent
from programs.models import Side

FUTURE_DAYS = 28  # live pairs have meetings booked up to four weeks ahead


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


@dataclass(slots=True)
class Pair:
    """A pair as planned: its shape, its window of days and, once logged, when it last met."""

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
    last_meeting_at: datetime | None = None  # the start of its latest meeting held

    @property
    def status(self) -> str:
        if self.shape in ("proposed", "confirmed", "dissolved"):
            return self.shape
        return Pairing.Status.ACTIVE


def pairs_plan(ctx: Context, people: People) -> list[Pair]:
    """Approved juniors and seniors paired in order (seniors shuffled, then swapped with the
    next to avoid pairs within a department); the program still matching has proposals for
    four in five of them."""
    rng = ctx.rng
    specs = ctx.programs
    pair_count = sum(_pair_count(specs[p], s) for p, s in enumerate(people.by_program))
    ids = ctx.writer.ids(Pairing, pair_count)
    pairs: list[Pair] = []
    for p, sides in enumerate(people.by_program):
        spec = specs[p]
        juniors = [x for x in sides[Side.JUNIOR] if x.status == APPROVED]
        seniors = [x for x in sides[Side.SENIOR] if x.status == APPROVED]
        rng.shuffle(seniors)
        for k in range(len(seniors) - 1):
            if seniors[k].department == juniors[min(k, len(juniors) - 1)].department:
                seniors[k], seniors[k + 1] = seniors[k + 1], seniors[k]
        published = min(spec.start - 12, -3)
        for k in range(_pair_count(spec, sides)):
            pair = Pair(
                id=ids[len(pairs)],
                program=p,
                mentor=juniors[k],
                mentee=seniors[k],
                shape=pair_shape(spec.status, k),
                created=ctx.at(published, 10 + rng.random() * 6),
            )
            _plan_window(ctx, pair, spec)
            live = pair.shape != "dissolved"
            pair.mentor.matched = pair.mentee.matched = live
            pairs.append(pair)
    return pairs


def _pair_count(spec: ProgramSpec, sides: dict[str, list[Person]]) -> int:
    approved = [sum(x.status == APPROVED for x in sides[s]) for s in (Side.JUNIOR, Side.SENIOR)]
    pairs = min(approved)
    return pairs * 4 // 5 if spec.status == MATCHING else pairs


def _plan_window(ctx: Context, pair: Pair, spec: ProgramSpec) -> None:
    """The days in which the pair meets; none for pairs that are not live yet."""
    rng = ctx.rng
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


def _quiet_check_at(ctx: Context, pair: Pair, activated: datetime) -> datetime:
    """When the inactivity pass first looks at an active pair: the day it could first have
    gone quiet, counted from its latest activity as the pass counts it (a log, a meeting held,
    turning active), as ``quiet_check_rearm`` sets it after each. For a pair quiet for longer
    already, that day is past: the next pass nudges it (and tells HR after twice as long).
    Other pairs are looked at once they turn active: the run's moment, as the column's
    default."""
    if pair.status != Pairing.Status.ACTIVE:
        return ctx.now
    marks = [m for m in (pair.last_met_at, pair.last_meeting_at, activated) if m is not None]
    return max(marks) + timedelta(days=reminders.inactivity_days())


def pairs_write(ctx: Context, pairs: list[Pair], *, programs: Programs, admin: int) -> None:
    """The pairings and their history (proposed, confirmed, active, dissolved), once the session
    logs have set when each pair last met; ``admin`` (a user id) proposed them all."""
    org = ctx.org_id
    pairings = ctx.writer.sink(
        Pairing,
        "id organization_id program_id mentor_id mentee_id status score explanation manual "
        "mentor_accepted_at mentee_accepted_at created_at last_met_at "
        "mentor_exit_requested_at mentee_exit_requested_at quiet_check_at quiet_check_days",
    )
    events = ctx.writer.sink(
        PairingEvent, "organization_id pairing_id status actor_id note confidential created_at"
    )
    rng = ctx.rng
    for pair in pairs:
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
            programs.ids[pair.program],
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
            _quiet_check_at(ctx, pair, activated),
            # The inactivity days the check was reckoned with, as the pass stores them.
            reminders.inactivity_days() if pair.status == Pairing.Status.ACTIVE else None,
        )
        history = [(Pairing.Status.PROPOSED, admin, "", pair.created)]
        if pair.shape != "proposed":
            history.append((Pairing.Status.CONFIRMED, pair.mentee.user_id, "", confirmed))
        if live:
            history.append((Pairing.Status.ACTIVE, pair.mentee.user_id, "", activated))
        if pair.ended is not None:
            history.append(
                (Pairing.Status.DISSOLVED, admin, "No-fault exit.", ctx.at(pair.ended, 15))
            )
        for status, actor, note, when in history:
            events.add(org, pair.id, status, actor, note, False, when)
