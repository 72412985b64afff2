"""The build, stage by stage, each timed and reported. The stages share one random generator:
their order here is part of what the seed means (the same seed gives the same rows)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from feedback.models import FeedbackCycle, SurveyInvitation
from feedback.summaries import summarize_cycles
from mentorship import services
from mentorship.frame.seeding.context import Context
from mentorship.frame.seeding.organizations import staff_create
from mentorship.frame.seeding.pairs import pairs_plan, pairs_write
from mentorship.frame.seeding.people import people_plan, people_write
from mentorship.frame.seeding.programs import PROGRAMS, programs_create
from mentorship.frame.seeding.sessions import meetings_and_logs
from mentorship.frame.seeding.surveys import concerns_create, surveys_create
from mentorship.models import Organization
from mentorship.tenancy import tenant_scope
from pairings import activity


def organization_seed(
    *, slug: str, participants: int, seed: int, password: str, out: Callable[[str], None]
) -> Organization:
    """Build the organisation and everything in it, in its scope; ``out`` reports each stage."""
    name = f"{slug.replace('-', ' ').title()} Corp"
    organization = services.organization_create(slug=slug, name=name, mfa_required=False)
    ctx = Context(
        organization=organization, participants=participants, seed=seed, password=password
    )
    with tenant_scope(organization):
        _build(ctx, out)
    return organization


@contextmanager
def _stage(ctx: Context, out: Callable[[str], None], name: str) -> Iterator[list[str]]:
    """Times a stage, writes what it buffered, and reports it with the details it gathered."""
    writer = ctx.writer
    started, writing = time.perf_counter(), writer.seconds
    details: list[str] = []
    yield details
    writer.flush()
    seconds = time.perf_counter() - started
    writing = writer.seconds - writing
    out(f"  {name:<22} {seconds:6.1f} s   {', '.join(details)} (writing {writing:.1f} s)")


def _build(ctx: Context, out: Callable[[str], None]) -> None:
    """Each stage draws from the one random generator, in this order; each writes its rows
    before the next begins (foreign keys are checked at commit)."""
    with _stage(ctx, out, "organisation, programs") as details:
        staff = staff_create(ctx)
        programs = programs_create(ctx, sponsor=staff.sponsor)
        details.append(f"{len(PROGRAMS)} programs")
    with _stage(ctx, out, "people") as details:
        people = people_plan(ctx)
        pairs = pairs_plan(ctx, people)
        people_write(ctx, people, staff=staff, programs=programs)
        details.append(f"{len(people.everyone):,} participants")
    with _stage(ctx, out, "pairs, meetings, logs") as details:
        # The logs set when each pair last met, which its row holds: logs first.
        offers = meetings_and_logs(ctx, pairs, programs=programs)
        pairs_write(ctx, pairs, programs=programs, admin=staff.admin.user_id)
        details.append(f"{len(pairs):,} pairs")
    with _stage(ctx, out, "feedback") as details:
        cycles = surveys_create(ctx, people=people, programs=programs, offers=offers)
        concerns_create(ctx, people)
        details.append(f"{len(cycles):,} surveys")
    with _stage(ctx, out, "survey summaries") as details:
        closed = [c.id for c in cycles if c.closed]
        summarize_cycles(cycle_ids=closed)
        # As closing does (see cycles_dispatch): counted first, then who answered an
        # anonymous survey is forgotten.
        SurveyInvitation.objects.filter(
            cycle__status=FeedbackCycle.Status.CLOSED, cycle__anonymous=True, answered=True
        ).update(answered=False)
        details.append(f"{len(closed):,} closed surveys")
    with _stage(ctx, out, "weekly activity totals") as details:
        # What session_log_create keeps in step log by log, recounted once for the bulk.
        activity.rebuild(organization_id=ctx.org_id)
        details.append("sessions and topics per week")
