"""Computing a match run: a program turned into the engine's input, and the engine's output
stored on the run.

The engine itself (``pairings.matching``) knows nothing of the database; this module turns a
program into its input and its output back into the run's result. The task
``pairings.tasks.compute_match_run`` executes :func:`match_run_compute`; the match-run services
(``pairings.services.match_runs``) enqueue that task and check HR's edits against the same
input. This module imports neither, so the chain runs one way: services → tasks → here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _

from mentorship.i18n import recipient_language
from pairings import matching
from pairings.models import MatchRun, Pairing
from pairings.selectors import LIVE_STATUSES
from programs.models import Participant, Program, Side


def matching_input(
    *,
    program: Program,
    locked: Iterable[Iterable[int]] = (),
    removed: Iterable[Iterable[int]] = (),
) -> tuple[list[matching.Candidate], list[matching.Candidate], matching.Rules]:
    """The program's people and rules as the engine sees them. A constant number of queries."""
    people = list(
        program.participants.filter(
            status__in=[Participant.Status.APPROVED, Participant.Status.APPLIED]
        ).prefetch_related("offers", "wants")
    )
    live = Counter()
    for mentor_id, mentee_id in Pairing.objects.filter(
        program=program, status__in=LIVE_STATUSES
    ).values_list("mentor_id", "mentee_id"):
        live[mentor_id] += 1
        live[mentee_id] += 1

    def candidate(p: Participant) -> matching.Candidate:
        capacity = (
            program.mentees_per_mentor if p.side == Side.JUNIOR else program.mentors_per_mentee
        )
        excluded = ""
        if p.status == Participant.Status.APPLIED:
            excluded = _("The application is not approved yet.")
        elif program.training_required and not p.training_done:
            excluded = _("Mentor training is not complete (required by this program).")
        elif capacity - live[p.pk] <= 0:
            excluded = _("Already paired in this program.")
        return matching.Candidate(
            id=p.pk,
            email=p.email,
            level=p.level,
            department=p.department,
            manager_email=p.manager_email,
            timezone=p.timezone,
            offers=frozenset(str(t.pk) for t in p.offers.all()),
            wants=frozenset(str(t.pk) for t in p.wants.all()),
            weekly_availability=tuple(tuple(r) for r in p.weekly_availability or ()),
            capacity=max(0, capacity - live[p.pk]),
            excluded=excluded,
        )

    juniors = [candidate(p) for p in people if p.side == Side.JUNIOR]
    seniors = [candidate(p) for p in people if p.side == Side.SENIOR]
    # Reporting lines come from everyone the organisation knows, not only this program.
    managers = {
        email.lower(): manager.lower()
        for email, manager in Participant.objects.exclude(manager_email="").values_list(
            "email", "manager_email"
        )
    }
    previous = frozenset(
        (mentor.lower(), mentee.lower())
        for mentor, mentee in Pairing.objects.exclude(status=Pairing.Status.DECLINED)
        .exclude(program=program, status__in=LIVE_STATUSES)
        .values_list("mentor__email", "mentee__email")
    )
    # This program's live and declined pairs are never proposed again, whatever the rules say.
    blocked = set(
        Pairing.objects.filter(
            program=program, status__in=(*LIVE_STATUSES, Pairing.Status.DECLINED)
        ).values_list("mentor_id", "mentee_id")
    )
    rules = matching.Rules(
        min_level_gap=program.min_level_gap,
        exclude_reporting_line=program.exclude_reporting_line,
        exclude_same_department=program.exclude_same_department,
        allow_repairing=program.allow_repairing,
        managers=managers,
        previous_pairs=previous,
        locked=tuple((int(j), int(s)) for j, s in locked),
        removed=frozenset((int(j), int(s)) for j, s in removed) | frozenset(blocked),
        reference_day=program.start_date,
    )
    return juniors, seniors, rules


def run_matching(
    *,
    program: Program,
    weights: Mapping[str, Any] | None = None,
    locked: Iterable[Iterable[int]] = (),
    removed: Iterable[Iterable[int]] = (),
) -> matching.MatchResult:
    juniors, seniors, rules = matching_input(program=program, locked=locked, removed=removed)
    return matching.match(
        juniors=juniors,
        seniors=seniors,
        rules=rules,
        weights=weights,
        gettext=gettext,
        ngettext=ngettext,
    )


def participant_names(program: Program) -> dict[int, str]:
    """Full names by participant id, in one query."""
    return {
        pk: f"{first} {last}".strip()
        for pk, first, last in program.participants.values_list("pk", "first_name", "last_name")
    }


def match_run_compute(*, run: MatchRun) -> MatchRun:
    """Run the engine for a recorded proposal and store its result. Idempotent. The reasons
    why people are left out are stored in the language of the HR admin who asked for it."""
    if run.status != MatchRun.Status.RUNNING:
        return run
    with recipient_language(run.created_by, run.program.organization):
        result = run_matching(
            program=run.program, weights=run.weights, locked=run.locked, removed=run.removed
        )
    data = result.to_dict()
    names = participant_names(run.program)
    for pair in data["pairs"]:
        pair["junior_name"] = names.get(pair["junior_id"], "")
        pair["senior_name"] = names.get(pair["senior_id"], "")
    for person in data["unmatched"]:
        person["name"] = names.get(person["id"], "")
    # Compare-and-set: a duplicate delivery of the task does not overwrite a published run.
    MatchRun.objects.filter(pk=run.pk, status=MatchRun.Status.RUNNING).update(
        status=MatchRun.Status.DONE, result=data, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run
