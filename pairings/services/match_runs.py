"""Writes of match runs: proposals started, edited by HR and published as pairings.

Everything runs inside the organisation's scope. A proposal is recorded here and computed by the
task ``compute_match_run`` (``pairings.match_computation``), after commit (eager in tests).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from mentorship import services as kernel
from mentorship.events.models import EventType
from mentorship.i18n import recipient_language
from mentorship.models import AuditEvent, User
from mentorship.web import tenant_url
from pairings import matching, selectors
from pairings.match_computation import matching_input, participant_names
from pairings.models import MatchRun, Pairing, PairingEvent
from pairings.services.webhooks import pairs_emit
from pairings.tasks import compute_match_run
from programs.models import Participant, Program
from programs.services.webhooks import participants_emit
from programs.tallies import tally_track


def _check_matching(program: Program) -> None:
    # Active programs too: after a dissolved pair, HR matches the people who are free again.
    if program.status not in (Program.Status.MATCHING, Program.Status.ACTIVE):
        raise ValidationError(
            _("Matching runs while the program is in the matching state (or active, to re-pair).")
        )


def match_run_start(
    *,
    program: Program,
    actor: User | None,
    weights: Mapping[str, Any] | None = None,
    locked: Iterable[Iterable[int]] = (),
    removed: Iterable[Iterable[int]] = (),
) -> MatchRun:
    """Record a proposal to compute; the work runs in a task after commit (eager in tests)."""
    _check_matching(program)
    run = MatchRun.objects.create(
        organization=program.organization,
        program=program,
        created_by=actor,
        weights=matching.clean_weights(weights),
        locked=[list(map(int, p)) for p in locked],
        removed=[list(map(int, p)) for p in removed],
    )
    compute_match_run.delay_on_commit(organization_id=program.organization_id, run_id=run.pk)
    return run


def _latest_done(run: MatchRun) -> None:
    latest = selectors.match_run_latest(program=run.program)
    if run.status != MatchRun.Status.DONE or latest is None or latest.pk != run.pk:
        raise ValidationError(_("This proposal is no longer the latest one. Open the latest."))


# Checked against the program as it is (matching_input, without a proposal's removals), a
# "removed" pair is one this program already has live or declined.
PAIR_RULE_WORDS = {
    **matching.RULE_WORDS,
    # Translators: what two people have in common that keeps them apart, after "they".
    "removed": gettext_noop("are already paired, or were declined, in this program"),
}


def _rule_words(rule_names: list[str], rules: matching.Rules) -> str:
    """The rules broken, as one phrase in the active language ("a and b and c")."""
    words = [gettext(PAIR_RULE_WORDS[rule]).format(gap=rules.min_level_gap) for rule in rule_names]
    phrase = words[0]
    for more in words[1:]:
        # Translators: two reasons that keep two people apart, joined.
        phrase = _("%(first)s and %(second)s") % {"first": phrase, "second": more}
    return phrase


def _check_still_valid(run: MatchRun) -> None:
    """Refuse to publish a proposal that no longer holds.

    Between *Propose pairs* and *Publish* an HR admin may withdraw or remove someone, pair them
    by hand, or edit a level, department or manager. Publishing the old proposal would then
    pair someone no longer in the program, over their capacity, twice, or against the rules.
    So the people and every pair are checked again against the program as it is now (the same
    inputs as a new proposal); every problem is named, and nothing is written.
    """
    juniors, seniors, rules = matching_input(program=run.program)
    candidates = {c.id: c for c in (*juniors, *seniors)}
    names = participant_names(run.program)
    pairs = [(p["junior_id"], p["senior_id"]) for p in run.result.get("pairs", [])]
    uses = Counter(person for pair in pairs for person in pair)
    problems = []
    for person, count in sorted(uses.items()):
        candidate = candidates.get(person)
        name = names.get(person) or _("Someone")
        if candidate is None:
            problems.append(_("%(name)s is no longer an approved participant.") % {"name": name})
        elif candidate.excluded:
            problems.append(f"{name}: {candidate.excluded}")
        elif count > candidate.capacity:
            problems.append(
                _("%(name)s has room for %(room)s more pair(s), not %(count)s.")
                % {"name": name, "room": candidate.capacity, "count": count}
            )
    broken = matching.rules_broken(juniors=juniors, seniors=seniors, rules=rules, pairs=pairs)
    for (junior_id, senior_id), rule_names in broken.items():
        problems.append(
            # Translators: %(rules)s is one or more reasons, e.g. "work in the same department".
            _("%(junior)s and %(senior)s %(rules)s.")
            % {
                "junior": names[junior_id],
                "senior": names[senior_id],
                "rules": _rule_words(rule_names, rules),
            }
        )
    if problems:
        raise ValidationError(
            [*problems, _("The program changed since this proposal: propose pairs again.")]
        )


def _pair_set(run: MatchRun) -> set[tuple[int, int]]:
    return {(p["junior_id"], p["senior_id"]) for p in run.result.get("pairs", [])}


def match_run_edit(
    *,
    run: MatchRun,
    actor: User,
    lock: tuple[int, int] | None = None,
    remove: tuple[int, int] | None = None,
    swap: tuple[tuple[int, int], tuple[int, int]] | None = None,
    add: tuple[int, int] | None = None,
    weights: Mapping[str, Any] | None = None,
) -> MatchRun:
    """An HR edit of the latest proposal: a new run that keeps what HR fixed and re-solves the
    rest. Locks and manual pairs are kept as they are; removed pairs never come back."""
    _check_matching(run.program)
    _latest_done(run)
    locked = {tuple(p) for p in run.locked}
    removed = {tuple(p) for p in run.removed}
    proposed = _pair_set(run)
    if lock is not None:
        if lock not in proposed:
            raise ValidationError(_("Only a proposed pair can be locked."))
        locked.add(lock)
    if remove is not None:
        locked.discard(remove)
        removed.add(remove)
    if swap is not None:
        (j1, s1), (j2, s2) = swap
        if (j1, s1) not in proposed or (j2, s2) not in proposed or j1 == j2:
            raise ValidationError(_("Choose two different proposed pairs to swap."))
        for new in ((j1, s2), (j2, s1)):
            _ensure_allowed(run.program, *new)
        locked -= {(j1, s1), (j2, s2)}
        locked |= {(j1, s2), (j2, s1)}
    if add is not None:
        _ensure_allowed(run.program, *add)
        locked = {p for p in locked if p[0] != add[0] and p[1] != add[1]} | {add}
    return match_run_start(
        program=run.program,
        actor=actor,
        weights=weights if weights is not None else run.weights,
        locked=sorted(locked),
        removed=sorted(removed),
    )


def _ensure_allowed(program: Program, junior_id: int, senior_id: int) -> None:
    """A pair made by hand still obeys the hard rules; say which one it breaks."""
    juniors, seniors, rules = matching_input(program=program)
    junior = next((c for c in juniors if c.id == junior_id), None)
    senior = next((c for c in seniors if c.id == senior_id), None)
    if junior is None or senior is None:
        raise ValidationError(
            _("Choose an approved junior and an approved senior of this program.")
        )
    for person in (junior, senior):
        if person.excluded:
            raise ValidationError(f"{person.email}: {person.excluded}")
    broken = matching.rules_broken(
        juniors=[junior], seniors=[senior], rules=rules, pairs=[(junior_id, senior_id)]
    )
    if broken:
        raise ValidationError(
            # Translators: %(rules)s is one or more reasons, e.g. "work in the same department".
            _("%(junior)s and %(senior)s cannot be paired. They %(rules)s.")
            % {
                "junior": junior.email,
                "senior": senior.email,
                "rules": _rule_words(broken[(junior_id, senior_id)], rules),
            }
        )


def match_run_publish(*, run: MatchRun, actor: User) -> list[Pairing]:
    """Turn the proposal into pairings (proposed); each senior is asked to confirm."""
    program = run.program
    with tally_track() as tally:
        # Lock the program: a proposal started at the same moment cannot be published too.
        Program.objects.select_for_update().filter(pk=program.pk).first()
        _check_matching(program)
        _latest_done(run)
        # Lock the proposal's people before checking them: a withdrawal or removal committing
        # meanwhile is then either seen by the check or made after the pairs exist.
        people_ids = {p[k] for p in run.result.get("pairs", []) for k in ("junior_id", "senior_id")}
        tally.track(people_ids)  # locks them, and counts them for the dashboards
        _check_still_valid(run)
        claimed = MatchRun.objects.filter(pk=run.pk, status=MatchRun.Status.DONE).update(
            status=MatchRun.Status.PUBLISHED
        )
        if claimed != 1:
            raise ValidationError(_("This proposal was already published."))
        people = {p.pk: p for p in program.participants.select_related("membership__user")}
        pairings = Pairing.objects.bulk_create(
            Pairing(
                organization=program.organization,
                program=program,
                mentor=people[p["junior_id"]],
                mentee=people[p["senior_id"]],
                score=p["score"],
                explanation=p["reasons"],
                manual=p["locked"],
            )
            for p in run.result.get("pairs", [])
        )
        PairingEvent.objects.bulk_create(
            PairingEvent(organization=program.organization, pairing=p, status=p.status, actor=actor)
            for p in pairings
        )
        newly_matched = list(
            Participant.objects.filter(
                pk__in=[p.mentor_id for p in pairings] + [p.mentee_id for p in pairings],
                matched=False,
            ).values_list("pk", flat=True)
        )
        Participant.objects.filter(pk__in=newly_matched).update(
            matched=True, updated_at=timezone.now()
        )
        # "matched" is part of what the API shows of a participant.
        participants_emit(
            organization=program.organization,
            event_type=EventType.PARTICIPANT_UPDATED,
            participant_ids=newly_matched,
        )
        kernel.audit_record(
            organization=program.organization,
            action=AuditEvent.Action.PAIRINGS_PUBLISHED,
            summary=f"{len(pairings)} pairs published in {program.name}",
            actor=actor,
        )
        pairs_emit(
            organization=program.organization,
            event_type=EventType.PAIRING_PROPOSED,
            pairing_ids=[p.pk for p in pairings],
        )
        for pairing in pairings:
            junior = pairing.mentor.membership
            if junior is not None and junior.is_active:
                with recipient_language(junior.user, program.organization):
                    subject = _("You are proposed as reverse mentor in %(program)s") % {
                        "program": program.name
                    }
                    body = _(
                        "Your proposed mentee is %(name)s. Read and accept the agreement; the "
                        "pair starts once they confirm."
                    ) % {"name": pairing.mentee.full_name}
                kernel.notification_send(
                    organization=program.organization,
                    recipient=junior.user,
                    subject=subject,
                    body=body,
                    url=tenant_url(program.organization, "pair_detail", pairing_id=pairing.pk),
                )
            senior = pairing.mentee.membership
            if senior is not None and senior.is_active:
                with recipient_language(senior.user, program.organization):
                    subject = _("Your reverse mentor in %(program)s") % {"program": program.name}
                    body = _(
                        "You are proposed to pair with %(name)s. Please confirm the pairing."
                    ) % {"name": pairing.mentor.full_name}
                kernel.notification_send(
                    organization=program.organization,
                    recipient=senior.user,
                    subject=subject,
                    body=body,
                    url=tenant_url(program.organization, "pair_detail", pairing_id=pairing.pk),
                )
    return pairings
