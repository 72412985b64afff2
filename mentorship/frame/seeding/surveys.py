"""Surveys and what people answered: monthly check-ins in every program that ran (the latest
still open; in small organisations, the first of each program still matching scheduled), the
surveys offered after session logs (a round a week), the end-of-program survey of the closed
program with its topic ratings; and a few concerns."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

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
from feedback.services.templates import templates_ensure_builtin
from mentorship.frame.seeding.context import Context
from mentorship.frame.seeding.people import People, Person
from mentorship.frame.seeding.programs import Programs
from mentorship.frame.seeding.rows import random_uuid
from mentorship.frame.seeding.sessions import Offers
from mentorship.frame.seeding.shapes import ACTIVE, CLOSED, MATCHING

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


@dataclass(slots=True)
class Cycle:
    """A survey as planned (``key``: its built-in template), its id drawn once all are planned."""

    id: int
    program: int
    key: str
    opened_at: datetime
    open_days: int
    closed: bool
    # invited people, with when the survey was offered (on-demand surveys only)
    invited: list[tuple[Person, datetime | None]] = field(default_factory=list)
    scheduled: bool = False  # not open yet: ``opened_at`` is when it opens


def surveys_create(
    ctx: Context, *, people: People, programs: Programs, offers: Offers
) -> list[Cycle]:
    """Every survey with its invitations, responses (or pending submissions while it is open
    and anonymous), answers and topic ratings."""
    return _Surveys(ctx, people, programs).create(offers)


class _Surveys:
    """The built-in surveys' questions, and the tables the surveys are written to."""

    def __init__(self, ctx: Context, people: People, programs: Programs) -> None:
        self.ctx, self.people, self.programs = ctx, people, programs
        templates_ensure_builtin(organization=ctx.organization)
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
        writer = ctx.writer
        self.cycle_rows = writer.sink(
            FeedbackCycle,
            "id organization_id program_id version_id series_id title audience repeat_weeks "
            "open_days remind_after_days anonymous on_demand opens_at status opened_at "
            "closed_at created_at closed_invited closed_answered next_due_at",
        )
        self.invitations = writer.sink(
            SurveyInvitation, "organization_id cycle_id participant_id sent_at reminded_at answered"
        )
        self.responses = writer.sink(
            SurveyResponse,
            "id organization_id cycle_id submitted_on side department attributed_to_id",
        )
        self.answers = writer.sink(
            Answer, "id organization_id response_id question_id number text choices"
        )
        self.pending = writer.sink(
            PendingResponse, "id organization_id cycle_id side department payload"
        )
        self.ratings = writer.sink(
            TopicRating, "id organization_id cycle_id question_id topic_name rating side department"
        )

    def create(self, offers: Offers) -> list[Cycle]:
        self._plan_check_ins()
        self._plan_offered(offers)
        ids = iter(self.ctx.writer.ids(FeedbackCycle, len(self.cycles)))
        for cycle in self.cycles:
            cycle.id = next(ids)
        self._write_cycles()
        return self.cycles

    def _plan_check_ins(self) -> None:
        for p, spec in enumerate(self.ctx.programs):
            if spec.status == MATCHING:
                if self.ctx.shape.scheduled_check_ins:
                    # The first round, two weeks after the start, as below.
                    opens = self.ctx.at(spec.start + 14, 9)
                    self.cycles.append(
                        Cycle(0, p, "monthly-check-in", opens, 7, False, scheduled=True)
                    )
                continue
            invited = [(person, None) for person in self.people.approved(p)]
            # Every four weeks from two weeks after the start; the latest opened two days ago
            # (or, in the closed program, two days before it closed).
            latest = -2 if spec.status == ACTIVE else spec.end - 2
            for day in reversed(range(latest, spec.start + 13, -28)):
                self.cycles.append(
                    Cycle(0, p, "monthly-check-in", self.ctx.at(day, 9), 7, day <= -7, invited)
                )
            if spec.status == CLOSED:
                self.cycles.append(
                    Cycle(0, p, "end-of-program", self.ctx.at(spec.end, 16), 14, True, invited)
                )

    def _plan_offered(self, offers: Offers) -> None:
        """One round a week per program and template, like after_session_invitation's: week 0
        (the last six days and today) is still open."""
        for (p, key, week), offered in offers.items():
            opened = self.ctx.at(-7 * week - 6, 8)
            self.cycles.append(Cycle(0, p, key, opened, 7, week > 0, list(offered.values())))

    def _write_cycles(self) -> None:
        rng, org = self.ctx.rng, self.ctx.org_id
        cycles, invitations = self.cycle_rows, self.invitations
        series: dict[tuple[int, str], int] = {}
        for cycle in self.cycles:
            key = cycle.key
            on_demand = key in ("post-session", "pairing-fit")
            recurring = key == "monthly-check-in"
            anonymous = key != "pairing-fit"
            head = series.setdefault((cycle.program, key), cycle.id) if recurring else cycle.id
            closes = cycle.opened_at + timedelta(days=cycle.open_days)
            answered: list[tuple[Person, datetime | None]] = []
            if not cycle.scheduled:  # nobody is invited before it opens
                percent = ANSWERED_PERCENT[key]
                candidates = cycle.invited
                if not cycle.closed and recurring:
                    percent = OPEN_CHECK_IN_ANSWERED_PERCENT
                    # The benchmark participant still has the open check-in to answer.
                    candidates = [x for x in candidates if x[0] is not self.people.benchmark]
                answered = rng.sample(candidates, len(cycle.invited) * percent // 100)
            status = FeedbackCycle.Status.OPEN
            if cycle.scheduled:
                status = FeedbackCycle.Status.SCHEDULED
            elif cycle.closed:
                status = FeedbackCycle.Status.CLOSED
            # When the cycles pass next has something to do (open it, remind, close it), as it
            # stores it after a pass: every invitation of an open survey is out already.
            next_due = FeedbackCycle(
                status=status,
                opens_at=cycle.opened_at,
                opened_at=None if cycle.scheduled else cycle.opened_at,
                open_days=cycle.open_days,
                remind_after_days=REMIND_AFTER_DAYS[key],
                on_demand=on_demand,
            ).due_after_pass(self.ctx.now)
            cycles.add(
                cycle.id,
                org,
                self.programs.ids[cycle.program],
                self.versions[key],
                head if head != cycle.id else None,
                self.questions[key][0].version.template.name,
                FeedbackCycle.Audience.BOTH,
                4 if recurring else 0,
                cycle.open_days,
                REMIND_AFTER_DAYS[key],
                anonymous,
                on_demand,
                cycle.opened_at,
                status,
                None if cycle.scheduled else cycle.opened_at,
                closes if cycle.closed else None,
                # A scheduled round was set up when its program was (see programs_create).
                self.ctx.at(self.ctx.programs[cycle.program].start - 60, 11)
                if cycle.scheduled
                else cycle.opened_at - timedelta(days=1 if recurring else 0),
                # Counted at closing, as summarize_cycles would count the invitations below
                # (it keeps counts it finds): then what closing forgets is never written.
                len(cycle.invited) if cycle.closed else None,
                len(answered) if cycle.closed else None,
                next_due,
            )
            answered_ids = {person.id for person, _ in answered}
            # Closing an anonymous survey forgets who answered (see cycles_dispatch).
            forgotten = cycle.closed and anonymous
            for person, offered in cycle.invited:
                # Closing a survey erases when invitations were sent and reminded (see
                # cycles_dispatch); surveys offered after a log are marked both at once.
                sent = None if cycle.closed else offered or cycle.opened_at
                reminded = sent if on_demand else None
                done = person.id in answered_ids and not forgotten
                invitations.add(org, cycle.id, person.id, sent, reminded, done)
            if answered:
                self._answers(cycle, answered, closes.date())

    def _answers(
        self, cycle: Cycle, answered: list[tuple[Person, datetime | None]], closing: date
    ) -> None:
        """The responses of ``answered``: anonymous ones dated the closing day and in random
        order, with no link to anyone; attributed ones by name, dated when given. Answers to
        an open anonymous survey wait as pending submissions, as in response_submit."""
        rng, org = self.ctx.rng, self.ctx.org_id
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
                    random_uuid(), org, cycle.id, person.side, person.department, payload
                )
                continue
            response = random_uuid()
            day = closing
            if attributed and offered is not None:
                day = min(offered.date() + timedelta(days=rng.randint(0, 1)), self.ctx.day(0))
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
                self.answers.add(random_uuid(), org, response, pk, number, text, [])
        # Topic ratings stand alone (see TopicRating): shuffled, so nothing ties them together.
        rng.shuffle(pool)
        for row in pool:
            self.ratings.add(random_uuid(), org, cycle.id, *row)


def concerns_create(ctx: Context, people: People) -> None:
    """A few concerns raised in the active programs, one in four resolved."""
    rng, org = ctx.rng, ctx.org_id
    concerns = ctx.writer.sink(
        Concern, "organization_id participant_id kind text created_at resolved_at"
    )
    active = [
        x
        for p, spec in enumerate(ctx.programs)
        if spec.status == ACTIVE
        for x in people.approved(p)
    ]
    count = max(ctx.shape.min_concerns, ctx.participants // 1000)
    for n, person in enumerate(rng.sample(active, count)):
        kind, text = CONCERNS[n % len(CONCERNS)]
        created = ctx.at(-rng.randint(3, 30), rng.randint(8, 18))
        resolved = created + timedelta(days=2) if n % 4 == 3 else None
        concerns.add(org, person.id, kind, text, created, resolved)
