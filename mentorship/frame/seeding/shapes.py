"""The shapes of a seeded organisation: its table of programs (name, status, first and last
day) and how much happens in it per participant. ``LARGE`` is the one big organisation of
``--participants``; ``SMALL`` is each of the ``--orgs`` small ones, which run fewer and younger
programs and, so that background dispatchers find work spread over many organisations, also
hold a survey scheduled ahead and meetings whose first reminder falls due within the hour."""

from __future__ import annotations

from dataclasses import dataclass

from programs.models import Program

ACTIVE, MATCHING, CLOSED = Program.Status.ACTIVE, Program.Status.MATCHING, Program.Status.CLOSED


@dataclass(frozen=True)
class ProgramSpec:
    name: str
    status: str
    start: int  # first day, relative to today (negative: in the past)
    end: int  # last day; for the closed program, the day it closed


@dataclass(frozen=True)
class Shape:
    programs: tuple[ProgramSpec, ...]
    meetings_per_participant: int
    logs_per_participant: int
    # Place the two departments smaller than k by hand (see people.TINY_DEPARTMENTS): in an
    # organisation of a few dozen people most departments are that small already.
    tiny_departments: bool
    min_concerns: int  # concerns raised: one per thousand participants, at least this many
    # In each program still matching, its first monthly check-in is scheduled (not open yet),
    # as an HR admin sets it up ahead: the cycles pass has a future opening to find.
    scheduled_check_ins: bool = False
    # One live pair in this many (0: none) has a meeting booked 24 hours and 1 to 60 minutes
    # from the minute of the run, so its first reminder falls due within the next hour.
    soon_meeting_every: int = 0


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
LARGE = Shape(
    programs=PROGRAMS,
    meetings_per_participant=10,
    logs_per_participant=10,
    tiny_departments=True,
    min_concerns=4,
)

# A small organisation's first cohort, four months in; a second one, two months in; the next
# cohort being matched. Younger programs than the large organisation's, so fewer meetings and
# logs per person: about one meeting a pair every two weeks, as there. (Younger also means fewer
# weekly rounds of the surveys offered after logs, which summarising at closing costs most.)
SMALL_PROGRAMS: tuple[ProgramSpec, ...] = (
    ProgramSpec("Digital fluency", ACTIVE, -112, 84),
    ProgramSpec("AI at work", ACTIVE, -56, 98),
    ProgramSpec("Next cohort", MATCHING, 14, 196),
)
SMALL = Shape(
    programs=SMALL_PROGRAMS,
    meetings_per_participant=2,
    logs_per_participant=2,
    tiny_departments=False,
    min_concerns=1,
    scheduled_check_ins=True,
    soon_meeting_every=4,
)
