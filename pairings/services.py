"""Writes of the pairings app: matching runs and their edits, publishing, pair life.

Everything runs inside the organisation's scope. The engine itself (``pairings.matching``)
knows nothing of the database; this module turns a program into its input and its output
back into rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mentorship import services as kernel
from mentorship.models import AuditEvent, Membership, User
from pairings import activity, matching
from pairings.models import MatchRun, Pairing, PairingEvent, SessionLog
from pairings.selectors import EXIT_FIELDS, EXIT_NOTE, LIVE_STATUSES, pairing_side_of
from programs.models import Participant, Program, Side

# --- From the database to the engine -------------------------------------------------------------


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
            excluded = "The application is not approved yet."
        elif program.training_required and not p.training_done:
            excluded = "Mentor training is not complete (required by this program)."
        elif capacity - live[p.pk] <= 0:
            excluded = "Already paired in this program."
        return matching.Candidate(
            id=p.pk,
            email=p.email,
            level=p.level,
            department=p.department,
            manager_email=p.manager_email,
            timezone=p.timezone,
            offers=frozenset(str(t.pk) for t in p.offers.all()),
            wants=frozenset(str(t.pk) for t in p.wants.all()),
            availability=p.availability,
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
    return matching.match(juniors=juniors, seniors=seniors, rules=rules, weights=weights)


# --- Proposals (match runs) ----------------------------------------------------------------------


def _check_matching(program: Program) -> None:
    # Active programs too: after a dissolved pair, HR matches the people who are free again.
    if program.status not in (Program.Status.MATCHING, Program.Status.ACTIVE):
        raise ValidationError(
            "Matching runs while the program is in the matching state (or active, to re-pair)."
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
    from pairings.tasks import compute_match_run

    compute_match_run.delay_on_commit(organization_id=program.organization_id, run_id=run.pk)
    return run


def _participant_names(program: Program) -> dict[int, str]:
    """Full names by participant id, in one query."""
    return {
        pk: f"{first} {last}".strip()
        for pk, first, last in program.participants.values_list("pk", "first_name", "last_name")
    }


def match_run_compute(*, run: MatchRun) -> MatchRun:
    """Run the engine for a recorded proposal and store its result. Idempotent."""
    if run.status != MatchRun.Status.RUNNING:
        return run
    result = run_matching(
        program=run.program, weights=run.weights, locked=run.locked, removed=run.removed
    )
    data = result.to_dict()
    names = _participant_names(run.program)
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


def _latest_done(run: MatchRun) -> None:
    latest = run.program.match_runs.order_by("-created_at", "-id").first()
    if run.status != MatchRun.Status.DONE or latest is None or latest.pk != run.pk:
        raise ValidationError("This proposal is no longer the latest one. Open the latest.")


# Checked against the program as it is (matching_input, without a proposal's removals), a
# "removed" pair is one this program already has live or declined.
PAIR_RULE_WORDS = {
    **matching.RULE_WORDS,
    "removed": "are already paired, or were declined, in this program",
}


def _rule_words(rule_names: list[str], rules: matching.Rules) -> str:
    return " and ".join(
        PAIR_RULE_WORDS[rule].format(gap=rules.min_level_gap) for rule in rule_names
    )


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
    names = _participant_names(run.program)
    pairs = [(p["junior_id"], p["senior_id"]) for p in run.result.get("pairs", [])]
    uses = Counter(person for pair in pairs for person in pair)
    problems = []
    for person, count in sorted(uses.items()):
        candidate = candidates.get(person)
        name = names.get(person) or "Someone"
        if candidate is None:
            problems.append(f"{name} is no longer an approved participant.")
        elif candidate.excluded:
            problems.append(f"{name}: {candidate.excluded}")
        elif count > candidate.capacity:
            problems.append(f"{name} has room for {candidate.capacity} more pair(s), not {count}.")
    broken = matching.rules_broken(juniors=juniors, seniors=seniors, rules=rules, pairs=pairs)
    for (junior_id, senior_id), rule_names in broken.items():
        problems.append(
            f"{names[junior_id]} and {names[senior_id]} {_rule_words(rule_names, rules)}."
        )
    if problems:
        raise ValidationError(
            [*problems, "The program changed since this proposal: propose pairs again."]
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
            raise ValidationError("Only a proposed pair can be locked.")
        locked.add(lock)
    if remove is not None:
        locked.discard(remove)
        removed.add(remove)
    if swap is not None:
        (j1, s1), (j2, s2) = swap
        if (j1, s1) not in proposed or (j2, s2) not in proposed or j1 == j2:
            raise ValidationError("Choose two different proposed pairs to swap.")
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
        raise ValidationError("Choose an approved junior and an approved senior of this program.")
    for person in (junior, senior):
        if person.excluded:
            raise ValidationError(f"{person.email}: {person.excluded}")
    broken = matching.rules_broken(
        juniors=[junior], seniors=[senior], rules=rules, pairs=[(junior_id, senior_id)]
    )
    if broken:
        raise ValidationError(
            f"{junior.email} and {senior.email} cannot be paired. They "
            f"{_rule_words(broken[(junior_id, senior_id)], rules)}."
        )


def match_run_publish(*, run: MatchRun, actor: User) -> list[Pairing]:
    """Turn the proposal into pairings (proposed); each senior is asked to confirm."""
    program = run.program
    with transaction.atomic():
        # Lock the program: a proposal started at the same moment cannot be published too.
        Program.objects.select_for_update().filter(pk=program.pk).first()
        _check_matching(program)
        _latest_done(run)
        # Lock the proposal's people before checking them: a withdrawal or removal committing
        # meanwhile is then either seen by the check or made after the pairs exist.
        people_ids = {p[k] for p in run.result.get("pairs", []) for k in ("junior_id", "senior_id")}
        list(Participant.objects.select_for_update().filter(pk__in=people_ids).values_list("pk"))
        _check_still_valid(run)
        claimed = MatchRun.objects.filter(pk=run.pk, status=MatchRun.Status.DONE).update(
            status=MatchRun.Status.PUBLISHED
        )
        if claimed != 1:
            raise ValidationError("This proposal was already published.")
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
        Participant.objects.filter(
            pk__in=[p.mentor_id for p in pairings] + [p.mentee_id for p in pairings]
        ).update(matched=True)
        kernel.audit_record(
            organization=program.organization,
            action=AuditEvent.Action.PAIRINGS_PUBLISHED,
            summary=f"{len(pairings)} pairs published in {program.name}",
            actor=actor,
        )
        for pairing in pairings:
            junior = pairing.mentor.membership
            if junior is not None and junior.is_active:
                kernel.notification_send(
                    organization=program.organization,
                    recipient=junior.user,
                    subject=f"You are proposed as reverse mentor in {program.name}",
                    body=f"Your proposed mentee is {pairing.mentee.full_name}. Read and accept "
                    "the agreement; the pair starts once they confirm.",
                    url=f"/o/{program.organization.slug}/pairs/{pairing.pk}/",
                )
            senior = pairing.mentee.membership
            if senior is not None and senior.is_active:
                kernel.notification_send(
                    organization=program.organization,
                    recipient=senior.user,
                    subject=f"Your reverse mentor in {program.name}",
                    body=f"You are proposed to pair with {pairing.mentor.full_name}. "
                    "Please confirm the pairing.",
                    url=f"/o/{program.organization.slug}/pairs/{pairing.pk}/",
                )
    return pairings


# --- Pair life -----------------------------------------------------------------------------------


def _event(
    pairing: Pairing, actor: User | None, note: str = "", confidential: bool = False
) -> None:
    PairingEvent.objects.create(
        organization=pairing.organization,
        pairing=pairing,
        status=pairing.status,
        actor=actor,
        note=note,
        confidential=confidential,
    )


def _set_status(pairing: Pairing, status: str, actor: User | None, **kwargs: Any) -> Pairing:
    pairing.status = status
    pairing.save(update_fields=["status"])
    _event(pairing, actor, **kwargs)
    return pairing


def _activate_if_ready(pairing: Pairing, actor: User) -> Pairing:
    """A pair goes live once the senior confirmed and both accepted the agreement (compare-and-
    set, so two partners acting at the same moment activate it once)."""
    pairing.refresh_from_db(fields=["status", "mentor_accepted_at", "mentee_accepted_at"])
    if pairing.mentor_accepted_at and pairing.mentee_accepted_at:
        moved = Pairing.objects.filter(pk=pairing.pk, status=Pairing.Status.CONFIRMED).update(
            status=Pairing.Status.ACTIVE
        )
        if moved:
            pairing.status = Pairing.Status.ACTIVE
            _event(pairing, actor)
    return pairing


def pairing_confirm(*, pairing: Pairing, membership: Membership, confirm: bool) -> Pairing:
    """The senior confirms (or declines) the proposed pairing before it goes live."""
    if pairing.mentee.membership_id != membership.pk:
        raise ValidationError("Only the senior of the pair confirms it.")
    with transaction.atomic():
        new = Pairing.Status.CONFIRMED if confirm else Pairing.Status.DECLINED
        moved = Pairing.objects.filter(pk=pairing.pk, status=Pairing.Status.PROPOSED).update(
            status=new
        )
        if not moved:
            raise ValidationError("This pairing is not waiting for confirmation.")
        pairing.status = new
        _event(pairing, membership.user)
        partner = pairing.mentor.membership
        if not confirm:
            _release(pairing)
        if partner is not None and partner.is_active:
            kernel.notification_send(
                organization=pairing.organization,
                recipient=partner.user,
                subject=(
                    f"{pairing.mentee.full_name} confirmed your pairing"
                    if confirm
                    else f"Your proposed pairing in {pairing.program.name} will not go ahead"
                ),
                body=(
                    "Accept the program's agreement, if you have not yet, and schedule your "
                    "first session."
                    if confirm
                    else "HR admins will look for another partner for you."
                ),
                url=f"/o/{pairing.organization.slug}/pairs/{pairing.pk}/",
            )
        return _activate_if_ready(pairing, membership.user) if confirm else pairing


def pairing_accept_agreement(*, pairing: Pairing, membership: Membership) -> Pairing:
    """Each side accepts the program's agreement; with both, a confirmed pair becomes active.
    Only the acting side's field is written, so two acceptances at once both count."""
    if pairing.mentor.membership_id == membership.pk:
        field = "mentor_accepted_at"
    elif pairing.mentee.membership_id == membership.pk:
        field = "mentee_accepted_at"
    else:
        raise ValidationError("Only the two partners accept the agreement.")
    with transaction.atomic():
        Pairing.objects.filter(
            pk=pairing.pk,
            status__in=(Pairing.Status.PROPOSED, Pairing.Status.CONFIRMED),
            **{f"{field}__isnull": True},
        ).update(**{field: timezone.now()})
        pairing.refresh_from_db(fields=["status", "mentor_accepted_at", "mentee_accepted_at"])
        if not getattr(pairing, field):
            raise ValidationError("The agreement is accepted before the pairing starts.")
        return _activate_if_ready(pairing, membership.user)


def pairing_request_exit(*, pairing: Pairing, membership: Membership, note: str = "") -> Pairing:
    """A confidential, no-fault exit request: HR admins are told; the partner is not, and the
    pair carries on as it was (meetings, reminders) until HR dissolves it. Each side has its own
    request, so the second partner to ask is recorded too and never learns of the first; the
    compare-and-set makes a repeated or double-submitted request a no-op that says so."""
    side = pairing_side_of(pairing=pairing, membership=membership)
    if not side:
        raise ValidationError("Only the two partners can ask to end the pairing.")
    field = EXIT_FIELDS[side]
    with transaction.atomic():
        claimed = Pairing.objects.filter(
            pk=pairing.pk, status__in=LIVE_STATUSES, **{f"{field}__isnull": True}
        ).update(**{field: timezone.now()})
        pairing.refresh_from_db(fields=["status", *EXIT_FIELDS.values()])
        if not claimed and getattr(pairing, field):
            raise ValidationError("You already asked to end this pairing; HR will be in touch.")
        if not claimed:
            raise ValidationError("This pairing is not running.")
        _event(
            pairing,
            membership.user,
            note=f"{EXIT_NOTE} {note}".strip()[:500],
            confidential=True,
        )
        both = pairing.mentor_exit_requested_at and pairing.mentee_exit_requested_at
        # Never to the partners themselves, HR admins though they may be: the request is
        # confidential from the other partner.
        partners = [p.membership_id for p in (pairing.mentor, pairing.mentee) if p.membership_id]
        for hr in (
            Membership.objects.filter(is_hr_admin=True, removed_at__isnull=True)
            .exclude(pk__in=partners)
            .select_related("user")
        ):
            kernel.notification_send(
                organization=pairing.organization,
                recipient=hr.user,
                subject=f"A pair in {pairing.program.name} asks to end",
                body=(
                    "Both partners have now asked, each in confidence, for a no-fault exit."
                    if both
                    else "One partner asked, in confidence, for a no-fault exit."
                )
                + " Open the pair to dissolve it and, if you wish, pair them again.",
                url=f"/o/{pairing.organization.slug}/pairs/{pairing.pk}/",
            )
    return pairing


def _release(pairing: Pairing) -> None:
    """The two people are free for matching again unless they have other live pairs."""
    for participant_id in (pairing.mentor_id, pairing.mentee_id):
        still = (
            Pairing.objects.filter(status__in=LIVE_STATUSES)
            .exclude(pk=pairing.pk)
            .filter(program=pairing.program)
            .filter(Q(mentor_id=participant_id) | Q(mentee_id=participant_id))
            .exists()
        )
        if not still:
            Participant.objects.filter(pk=participant_id).update(matched=False)


def pairing_dissolve(*, pairing: Pairing, actor: User, note: str = "") -> Pairing:
    if pairing.status in (Pairing.Status.DISSOLVED, Pairing.Status.DECLINED):
        raise ValidationError("This pairing has already ended.")
    from pairings.meetings import meetings_cancel_upcoming

    with transaction.atomic():
        _release(pairing)
        _set_status(pairing, Pairing.Status.DISSOLVED, actor, note=note[:500])
        meetings_cancel_upcoming(pairing=pairing, actor=actor)
        for person in (pairing.mentor, pairing.mentee):
            if person.membership is not None and person.membership.is_active:
                kernel.notification_send(
                    organization=pairing.organization,
                    recipient=person.membership.user,
                    subject=f"Your pairing in {pairing.program.name} has ended",
                    body="HR admins ended the pairing, with no fault on anyone. Upcoming "
                    "meetings were cancelled. HR may propose a new partner.",
                    url=f"/o/{pairing.organization.slug}/pairs/",
                )
        kernel.audit_record(
            organization=pairing.organization,
            action=AuditEvent.Action.PAIRING_DISSOLVED,
            summary=f"Pair {pairing.mentor.email} / {pairing.mentee.email} dissolved",
            actor=actor,
        )
    return pairing


# --- Session logs ---------------------------------------------------------------------------------


class LikelyDuplicate(ValidationError):
    """A session of this pair is already logged for that day; the author may still save."""


def session_log_create(
    *,
    pairing: Pairing,
    author: Participant,
    date: Any,
    minutes: int,
    topics: Iterable[Any] = (),
    progress: Mapping[int, int] | None = None,
    taught: str = "",
    learned: str = "",
    shared_notes: str = "",
    private_notes: str = "",
    confirm_duplicate: bool = False,
) -> SessionLog:
    """Log a session of the pair. ``progress`` maps the author's objectives touched to their
    progress now (0-100). The same pair on the same day is flagged unless confirmed."""
    if author.pk not in (pairing.mentor_id, pairing.mentee_id):
        raise ValidationError("Only the two partners log their sessions.")
    if pairing.status not in (Pairing.Status.ACTIVE, Pairing.Status.CONFIRMED):
        raise ValidationError("Sessions are logged once the pairing has started.")
    from pairings.meetings import zone_named

    if date > timezone.now().astimezone(zone_named(author.timezone)).date():
        raise ValidationError({"date": "A session is logged after it happened."})
    if not confirm_duplicate:
        same_day = (
            SessionLog.objects.filter(pairing=pairing, date=date).select_related("author").first()
        )
        if same_day is not None:
            raise LikelyDuplicate(
                f"{same_day.author.full_name} already logged a session of this pair on "
                f"{date:%d %B %Y}. If this is a different session, tick “This is another "
                "session” and save again."
            )
    progress_by_id = {int(k): int(v) for k, v in (progress or {}).items()}
    touched = [o for o in author.objectives.all() if o.pk in progress_by_id]
    with transaction.atomic():
        log = SessionLog.objects.create(
            organization=pairing.organization,
            pairing=pairing,
            author=author,
            date=date,
            minutes=minutes,
            taught=taught,
            learned=learned,
            shared_notes=shared_notes,
            private_notes=private_notes,
        )
        topics = list(topics)
        log.topics.set(topics)
        log.objectives.set(touched)
        activity.record_session(log=log, topics=topics)
        for objective in touched:
            objective.progress = max(0, min(100, progress_by_id[objective.pk]))
            objective.save(update_fields=["progress", "updated_at"])
        met = datetime.combine(date, time(12), tzinfo=UTC)
        if pairing.last_met_at is None or pairing.last_met_at < met:
            Pairing.objects.filter(pk=pairing.pk).update(last_met_at=met)
    return log
