"""Active pairs on the dashboards: how many, how many met lately, how many are at risk, and the
quietest at risk by name, for any number of pairs at the cost of a few hundred rows; and the rule
of "at risk" that the dashboards, the HR home page and the digest share (:func:`at_risk`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Sum
from django.utils import formats
from django.utils.translation import gettext as _

from feedback.models import Concern
from pairings.models import PairHour, Pairing
from pairings.tallies import hour_bounds, hour_of
from programs.models import Participant

ACTIVE_DAYS = 30
AT_RISK_LISTED = 50
NAME_FIELDS = ("first_name", "last_name", "email")  # what a participant's name is made of


@dataclass
class AtRisk:
    """One pair listed at risk, as the dashboard and its CSV show it: flat values, not model
    instances (fifty pairs with their people and program would be two hundred objects)."""

    pk: int
    program: str
    junior: str
    senior: str
    reasons: list[str]


@dataclass
class PairFigures:
    per_program: dict[int, int]  # active pairs
    active: int
    met_recently: int
    at_risk_count: int
    at_risk: list[AtRisk] = field(default_factory=list)
    closed_quiet: int = 0  # pairs the program closed after inactivity (not only active ones)


def pair_department(department: str | None) -> Q:
    """A pair belongs to a department when either partner does. Joined: only ever asked of
    the few pairs listed, walked in order (an IN list of the department's people would be
    built from all of them first)."""
    if department is None:
        return Q()
    return Q(mentor__department=department) | Q(mentee__department=department)


def pair_figures(
    *, program_ids: list[int], department: str | None, now: datetime, named: bool
) -> PairFigures:
    """Active pairs of these programs (of the department's people, given one), met lately, at
    risk: whole hours from the live totals (``PairHour``), and from the pairs themselves only
    the two hours the thresholds cut through and the pairs with an open concern; then, for HR
    admins (``named``), the quietest at risk by name."""
    recent_since = now - timedelta(days=ACTIVE_DAYS)
    quiet_since = now - timedelta(days=settings.PAIR_INACTIVITY_DAYS)
    hours = PairHour.objects.filter(program_id__in=program_ids)
    if department is not None:
        hours = hours.filter(everyone=False, department=department)
    else:
        hours = hours.filter(everyone=True)
    # Per program: active, met recently, at risk, and of those at risk how many never met.
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in (
        hours.values("program_id")
        .annotate(
            n=Sum("pairs"),
            recent=Sum("pairs", filter=Q(met=True, hour__gt=hour_of(recent_since))),
            stale=Sum("pairs", filter=Q(hour__lt=hour_of(quiet_since))),
            unmet=Sum("pairs", filter=Q(met=False, hour__lt=hour_of(quiet_since))),
        )
        .order_by()
    ):
        figures = (row["n"], row["recent"] or 0, row["stale"] or 0, row["unmet"] or 0)
        _plus(counts[row["program_id"]], *figures)
    # The two hours the thresholds cut through, and the pairs with an open concern, from the
    # pairs themselves: a few hundred rows, each counted in Python (a join to their people
    # would make the planner read every participant).
    recent_hour, quiet_hour = hour_bounds(recent_since), hour_bounds(quiet_since)
    concerned = set(
        Concern.objects.filter(resolved_at__isnull=True).values_list("participant_id", flat=True)
    )
    rows = list(
        Pairing.objects.filter(program_id__in=program_ids, status=Pairing.Status.ACTIVE)
        .filter(
            Q(last_met_at__gte=recent_hour[0], last_met_at__lt=recent_hour[1])
            | Q(last_met_at__gte=quiet_hour[0], last_met_at__lt=quiet_hour[1])
            | Q(
                last_met_at__isnull=True,
                created_at__gte=quiet_hour[0],
                created_at__lt=quiet_hour[1],
            )
            | Q(mentor_id__in=concerned)
            | Q(mentee_id__in=concerned)
        )
        .values_list("program_id", "mentor_id", "mentee_id", "last_met_at", "created_at")
    )
    if department is not None:
        chosen = set(
            Participant.objects.filter(
                pk__in={pk for row in rows for pk in row[1:3]}, department=department
            ).values_list("pk", flat=True)
        )
        rows = [row for row in rows if row[1] in chosen or row[2] in chosen]
    for program_id, mentor_id, mentee_id, last_met_at, created_at in rows:
        quiet = last_met_at or created_at  # as _at_risk_condition: never met, since paired
        stale = quiet < quiet_since
        recent = last_met_at is not None and recent_since <= last_met_at < recent_hour[1]
        edge = stale and quiet >= quiet_hour[0]  # the whole hours before are counted
        concern = not stale and (mentor_id in concerned or mentee_id in concerned)
        risky = edge or concern
        _plus(counts[program_id], 0, recent, risky, risky and last_met_at is None)
    figures = PairFigures(
        per_program={pk: n for pk, (n, *_) in counts.items() if n},
        active=sum(n for n, *_ in counts.values()),
        met_recently=sum(recent for _, recent, *_ in counts.values()),
        at_risk_count=sum(risky for _, _, risky, _ in counts.values()),
        closed_quiet=closed_quiet(program_ids=program_ids, department=department),
    )
    if not named or not figures.at_risk_count:
        return figures
    # Quietest first: those that never met (by age), then by their last meeting; each part
    # walks its index in that order and stops at the number listed. Only what the list and its
    # CSV show is read (names, program, when they last met), as plain values.
    shown = [
        "pk",
        "last_met_at",
        "mentor_id",
        "mentee_id",
        "program__name",
        *(f"{who}__{name}" for who in ("mentor", "mentee") for name in NAME_FIELDS),
    ]
    pairs = Pairing.objects.filter(program_id__in=program_ids, status=Pairing.Status.ACTIVE).filter(
        pair_department(department)
    )
    # Each part is read only when it has pairs to list (the counts above say how many).
    # The rule of :func:`at_risk`, with the people with an open concern read above.
    risky_pairs = _at_risk_condition(quiet_since, concerned)
    unmet = min(sum(n for *_, n in counts.values()), AT_RISK_LISTED)
    listed: list[dict] = []
    if unmet:
        never = pairs.filter(risky_pairs, last_met_at__isnull=True).order_by("pk")
        listed += never.values(*shown)[:unmet]
    if unmet < AT_RISK_LISTED:
        met = pairs.filter(risky_pairs, last_met_at__isnull=False).order_by("last_met_at", "pk")
        listed += met.values(*shown)[: AT_RISK_LISTED - unmet]
    figures.at_risk = [
        AtRisk(
            pk=row["pk"],
            program=row["program__name"],
            junior=_name(row, "mentor"),
            senior=_name(row, "mentee"),
            reasons=_reasons(
                row["last_met_at"],
                row["mentor_id"] in concerned or row["mentee_id"] in concerned,
                quiet_since,
            ),
        )
        for row in listed
    ]
    return figures


def closed_quiet(*, program_ids: list[int], department: str | None) -> int:
    """Pairs of these programs (of the department's people, given one) that the program closed
    after inactivity (``Program.close_quiet_after_days``): ended pairs, counted as they stand,
    like the active pairs. One count through the (program, status) index: ended pairs are few
    beside the active ones, and closing for inactivity is rarer still."""
    return (
        Pairing.objects.filter(
            program_id__in=program_ids, status=Pairing.Status.DISSOLVED, end_reason="inactivity"
        )
        .filter(pair_department(department))
        .count()
    )


def _plus(total: list[int], *values: int) -> None:
    for i, value in enumerate(values):
        total[i] += value


def at_risk(pairs: QuerySet[Pairing], now: datetime) -> QuerySet[Pairing]:
    """The pairs at risk among ``pairs``: quiet for ``PAIR_INACTIVITY_DAYS`` (or never met and
    paired that long ago), or with an unresolved concern from either partner. The one rule of
    the dashboards, the HR home page and the digest; annotates ``concern``."""
    quiet_since = now - timedelta(days=settings.PAIR_INACTIVITY_DAYS)
    return pairs.annotate(concern=ExpressionWrapper(_open_concern(), BooleanField())).filter(
        _at_risk_condition(quiet_since)
    )


def _open_concern(concerned: set[int] | None = None) -> Q:
    """Either partner has an unresolved concern: those people as a subquery, or as the ids a
    caller has already read (``concerned``), which keeps the statement simple."""
    ids = (
        Concern.objects.filter(resolved_at__isnull=True).values("participant_id")
        if concerned is None
        else concerned
    )
    return Q(mentor__in=ids) | Q(mentee__in=ids)


def _at_risk_condition(quiet_since: datetime, concerned: set[int] | None = None) -> Q:
    stale = Q(last_met_at__lt=quiet_since) | Q(last_met_at__isnull=True, created_at__lt=quiet_since)
    return stale | _open_concern(concerned)


def _name(row: dict, who: str) -> str:
    """A participant's name as ``Participant.full_name`` gives it, from a row of values."""
    first, last, email = (row[f"{who}__{name}"] for name in NAME_FIELDS)
    return f"{first} {last}".strip() or email


def at_risk_reasons(pairing: Pairing, now: datetime) -> list[str]:
    """Why a pair from :func:`at_risk` is listed, in words."""
    quiet_since = now - timedelta(days=settings.PAIR_INACTIVITY_DAYS)
    return _reasons(pairing.last_met_at, getattr(pairing, "concern", False), quiet_since)


def _reasons(last_met_at: datetime | None, concern: bool, quiet_since: datetime) -> list[str]:
    reasons = []
    if last_met_at is None or last_met_at < quiet_since:
        if last_met_at is None:
            # Translators: why a pair is at risk (a list item on the dashboards and the digest).
            reasons.append(_("never met"))
        else:
            # Translators: why a pair is at risk; %(date)s is a day such as "07 Dec 2026".
            reasons.append(
                _("last met %(date)s") % {"date": formats.date_format(last_met_at, "d M Y")}
            )
    if concern:
        # Translators: why a pair is at risk (a list item on the dashboards and the digest).
        reasons.append(_("an open concern"))
    return reasons
