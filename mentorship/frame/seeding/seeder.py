"""The build, stage by stage. Each organisation's stages share its one random generator: their
order here is part of what the seed means (the same seed gives the same rows).

The large organisation is built stage by stage, each timed and reported. The small ones are
built one after the other into one shared writer (their rows go out in large batches), then,
once every row is written, each is summarised in its own scope: two timed stages for all."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from django.contrib.auth.hashers import make_password

from feedback.summaries import summarize_cycles
from mentorship import services
from mentorship.frame.seeding.context import Context
from mentorship.frame.seeding.organizations import staff_create
from mentorship.frame.seeding.pairs import pairs_plan, pairs_write
from mentorship.frame.seeding.people import people_plan, people_write
from mentorship.frame.seeding.programs import programs_create
from mentorship.frame.seeding.rows import Writer
from mentorship.frame.seeding.sessions import meetings_and_logs
from mentorship.frame.seeding.shapes import LARGE, SMALL
from mentorship.frame.seeding.surveys import concerns_create, surveys_create
from mentorship.models import Organization
from mentorship.tenancy import tenant_scope
from pairings import activity
from programs import tallies

Out = Callable[[str], None]
Stage = Callable[[str], AbstractContextManager[list[str]]]


def organization_seed(
    *, slug: str, participants: int, seed: int, password: str, now: datetime, out: Out
) -> Organization:
    """Build the large organisation and everything in it, in its scope; ``out`` reports each
    stage."""
    ctx = Context(
        organization=_organization_create(slug),
        shape=LARGE,
        participants=participants,
        seed=seed,
        # One hash for every account: hashing is slow by design, and there are thousands.
        password_hash=make_password(password),
        now=now,
        writer=Writer(),
    )

    def stage(name: str) -> AbstractContextManager[list[str]]:
        return _reported(ctx.writer, out, name)

    with tenant_scope(ctx.organization):
        closed = _write(ctx, stage)
        with stage("statistics") as details:
            ctx.writer.analyse()
            details.append("of the tables written")
        _finish(ctx, closed, stage)
    return ctx.organization


def small_organizations_seed(
    *, slugs: list[str], size: int, seed: int, password: str, now: datetime, out: Out
) -> list[Organization]:
    """One small organisation of ``size`` participants per slug, each in its own scope with
    its own random generator, drawn from ``seed`` and its position in ``slugs``: the same seed
    gives each the same rows, whatever the large organisation and the other small ones."""
    writer, password_hash = Writer(), make_password(password)
    built: list[tuple[Context, list[int]]] = []
    with _reported(writer, out, "small organisations") as details:
        for position, slug in enumerate(slugs, start=1):
            ctx = Context(
                organization=_organization_create(slug),
                shape=SMALL,
                participants=size,
                seed=f"{seed}:small:{position}",
                password_hash=password_hash,
                now=now,
                writer=writer,
            )
            with tenant_scope(ctx.organization):
                built.append((ctx, _write(ctx, _quiet)))
            if not writer.copy:
                # Without sequences (SQLite), the ids drawn for rows still buffered are taken
                # again by the next organisation's accounts, made through the ORM: write first.
                writer.flush()
        details.append(f"{len(slugs):,} × {size:,} participants")
    with _reported(writer, out, "their summaries, totals") as details:
        writer.analyse()
        for ctx, closed in built:
            with tenant_scope(ctx.organization):
                _finish(ctx, closed, _quiet)
        details.append(f"{sum(len(closed) for _, closed in built):,} closed surveys")
    return [ctx.organization for ctx, _ in built]


def _organization_create(slug: str) -> Organization:
    name = f"{slug.replace('-', ' ').title()} Corp"
    return services.organization_create(slug=slug, name=name, mfa_required=False)


@contextmanager
def _reported(writer: Writer, out: Out, name: str) -> Iterator[list[str]]:
    """Times a stage, writes what it buffered, and reports it with the details it gathered."""
    started, writing = time.perf_counter(), writer.seconds
    details: list[str] = []
    yield details
    writer.flush()
    seconds = time.perf_counter() - started
    writing = writer.seconds - writing
    out(f"  {name:<22} {seconds:6.1f} s   {', '.join(details)} (writing {writing:.1f} s)")


@contextmanager
def _quiet(name: str) -> Iterator[list[str]]:
    """A stage of a small organisation: neither reported nor written at its end (the shared
    writer writes when its batches are full, and once all organisations are built)."""
    yield []


def _write(ctx: Context, stage: Stage) -> list[int]:
    """Every row of the organisation but its summaries, drawing from the one random generator
    in this order. Returns the ids of its closed surveys. Rows buffered by one stage may still
    be unwritten in the next: none reads them back (foreign keys are checked at commit)."""
    with stage("organisation, programs") as details:
        staff = staff_create(ctx)
        programs = programs_create(ctx, sponsor=staff.sponsor)
        details.append(f"{len(ctx.programs)} programs")
    with stage("people") as details:
        people = people_plan(ctx)
        pairs = pairs_plan(ctx, people)
        people_write(ctx, people, staff=staff, programs=programs)
        details.append(f"{len(people.everyone):,} participants")
    with stage("pairs, meetings, logs") as details:
        # The logs set when each pair last met, which its row holds: logs first.
        offers = meetings_and_logs(ctx, pairs, programs=programs)
        pairs_write(ctx, pairs, programs=programs, admin=staff.admin.user_id)
        details.append(f"{len(pairs):,} pairs")
    with stage("feedback") as details:
        cycles = surveys_create(ctx, people=people, programs=programs, offers=offers)
        concerns_create(ctx, people)
        details.append(f"{len(cycles):,} surveys")
    return [c.id for c in cycles if c.closed]


def _finish(ctx: Context, closed: list[int], stage: Stage) -> None:
    """What is counted from the written rows: closed surveys' summaries, weekly totals."""
    with stage("survey summaries") as details:
        # Their answers per question and group, and release plans. The counts of who was
        # invited and who answered are written with each survey (see surveys._write_cycles).
        summarize_cycles(cycle_ids=closed)
        details.append(f"{len(closed):,} closed surveys")
    with stage("weekly activity totals") as details:
        # What session_log_create keeps in step log by log, recounted once for the bulk.
        activity.rebuild(organization_id=ctx.org_id)
        # And the dashboards' live totals of people, objectives and pairs (programs.tallies).
        tallies.rebuild(organization_id=ctx.org_id)
        details.append("sessions and topics per week, people, objectives and pairs")
