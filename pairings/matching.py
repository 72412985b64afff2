"""The matching engine: a pure module (no ORM), so it can be tested and benchmarked alone.

Every junior × senior pair gets a score, the weighted sum of criteria each in [0, 1]:

- ``pair_made``: 1 for every pair the rules allow (its weight is what one more matched pair is
  worth, so the optimum does not leave people out for a marginally better score elsewhere);
- ``topic_fit``: the share of what the senior wants to learn that the junior offers;
- ``reverse_topic_fit``: the share of what the junior wants that the senior offers (learning
  runs both ways);
- ``different_department``: 1 across departments, 0 within one, ½ when unknown;
- ``timezone_overlap``: shared hours of a 9:00–17:00 working day, over 8;
- ``availability_overlap``: the time both people's weekly availability shares over the time of
  the one who gives less (the overlap coefficient |both| / min(|a|, |b|)), compared in UTC
  quarter hours of the week so that time zones count exactly (Kathmandu is UTC+5:45); ½ when
  either has none. A senior whose few hours all fall within the junior's scores 1: giving
  generous hours never scores below giving none.

Hard rules make a pair impossible: the senior must be at least ``min_level_gap`` levels above the
junior; neither may be in the other's reporting line (direct or indirect, from manager emails);
optionally not the same department; never a pair from before unless re-pairing is allowed;
never a pair an HR admin removed. People excluded up front (not approved, not trained) carry
their reason.

The solver maximises the total score with ``scipy.optimize.linear_sum_assignment`` over
capacities expanded as slots, which is exact whenever it pairs no two people twice. That can
only happen when both sides allow several partners; then the same problem is solved exactly
as a linear program (a bipartite b-matching, whose optimum is whole pairs).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from scipy.optimize import linear_sum_assignment, linprog
from scipy.sparse import coo_matrix

from programs.availability import WEEK_QUARTERS, quarters_of_week_utc

CRITERIA: tuple[str, ...] = (
    "pair_made",
    "topic_fit",
    "reverse_topic_fit",
    "different_department",
    "timezone_overlap",
    "availability_overlap",
)


def gettext_noop(message: str) -> str:
    """Marks ``message`` for translation (a pure module: Django's own cannot be imported here).
    Whoever shows it translates it (``django.utils.translation.gettext``)."""
    return message


def _same(message: str) -> str:
    return message


def _english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


# What writes the reasons of :func:`match`: English by default; the caller passes Django's
# ``gettext`` and ``ngettext`` to have them in the active language.
Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]

CRITERIA_LABELS: dict[str, str] = {
    "pair_made": gettext_noop("A pair is made"),
    "topic_fit": gettext_noop("The junior teaches what the senior wants"),
    "reverse_topic_fit": gettext_noop("The senior teaches what the junior wants"),
    "different_department": gettext_noop("Different departments"),
    "timezone_overlap": gettext_noop("Working hours overlap"),
    "availability_overlap": gettext_noop("Availability overlaps"),
}
DEFAULT_WEIGHTS: dict[str, float] = {
    "pair_made": 2.0,
    "topic_fit": 4.0,
    "reverse_topic_fit": 1.0,
    "different_department": 1.0,
    "timezone_overlap": 1.0,
    "availability_overlap": 1.0,
}
MAX_WEIGHT = 20.0


@dataclass(frozen=True)
class Candidate:
    id: int
    email: str
    level: int
    department: str = ""
    manager_email: str = ""
    timezone: str = "UTC"
    offers: frozenset[str] = frozenset()
    wants: frozenset[str] = frozenset()
    # [weekday, "HH:MM", "HH:MM"] ranges in ``timezone`` (``programs.availability``).
    weekly_availability: tuple[tuple[int, str, str], ...] = ()
    capacity: int = 1
    # Set when the person cannot be matched at all (not approved, training not done).
    excluded: str = ""


@dataclass(frozen=True)
class Rules:
    min_level_gap: int = 2
    exclude_reporting_line: bool = True
    exclude_same_department: bool = False
    allow_repairing: bool = False
    # email -> manager email, for everyone known in the organisation (not only this program).
    managers: Mapping[str, str] = field(default_factory=dict)
    # (junior email, senior email) of pairs made before in this organisation.
    previous_pairs: frozenset[tuple[str, str]] = frozenset()
    # (junior id, senior id) fixed by an HR admin, kept as they are.
    locked: tuple[tuple[int, int], ...] = ()
    # (junior id, senior id) an HR admin took out; never proposed again.
    removed: frozenset[tuple[int, int]] = frozenset()
    # The day whose clocks decide time-zone offsets (daylight saving differs over the year).
    reference_day: date | None = None


@dataclass(frozen=True)
class ProposedPair:
    junior_id: int
    senior_id: int
    junior_email: str
    senior_email: str
    score: float
    reasons: dict[str, float]
    locked: bool = False


@dataclass(frozen=True)
class Unmatched:
    id: int
    email: str
    side: str
    reason: str


@dataclass
class MatchResult:
    pairs: list[ProposedPair]
    unmatched: list[Unmatched]
    total_score: float
    greedy_total_score: float
    solver_seconds: float
    weights: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_score": round(self.total_score, 3),
            "greedy_total_score": round(self.greedy_total_score, 3),
            "solver_seconds": round(self.solver_seconds, 4),
            "weights": self.weights,
            "pairs": [asdict(p) for p in self.pairs],
            "unmatched": [asdict(u) for u in self.unmatched],
        }


def clean_weights(weights: Mapping[str, Any] | None) -> dict[str, float]:
    """Known criteria only, each a number from 0 to MAX_WEIGHT; missing ones take the default."""
    result = dict(DEFAULT_WEIGHTS)
    for name, value in (weights or {}).items():
        if name in result:
            result[name] = min(MAX_WEIGHT, max(0.0, float(value)))
    return result


# --- Criteria ------------------------------------------------------------------------------------


def availability_quarters(candidate: Candidate, day: date) -> frozenset[int]:
    """The UTC quarter hours of the week the person is available, with the offsets of ``day``'s
    week; empty when unknown (a malformed stored value counts as unknown, not as an error)."""
    try:
        return quarters_of_week_utc(candidate.weekly_availability, candidate.timezone, day)
    except (TypeError, ValueError, IndexError):
        return frozenset()


def _quarters_matrix(people: Sequence[Candidate], day: date) -> np.ndarray:
    # float32: counts up to 672 are exact, and the product of two 2,000-row matrices is twice
    # as fast as in float64.
    matrix = np.zeros((len(people), WEEK_QUARTERS), dtype=np.float32)
    for row, person in enumerate(people):
        quarters = availability_quarters(person, day)
        if quarters:
            matrix[row, list(quarters)] = 1.0
    return matrix


@cache
def utc_offset_hours(zone: str, day: date) -> float:
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
    offset = noon.utcoffset() or timedelta(0)
    return offset.total_seconds() / 3600


def _chains(managers: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Everyone above each person, following manager emails (cycles are cut)."""
    chains: dict[str, frozenset[str]] = {}
    for person in managers:
        seen: list[str] = []
        current = managers.get(person, "")
        while current and current not in seen and current != person:
            seen.append(current)
            current = managers.get(current, "")
        chains[person] = frozenset(seen)
    return chains


@dataclass
class _Matrices:
    allowed: np.ndarray  # bool, juniors × seniors
    scores: np.ndarray  # float, juniors × seniors (0 where not allowed)
    parts: dict[str, np.ndarray]  # criterion -> contribution matrix
    blocked: dict[str, np.ndarray]  # rule -> bool matrix of pairs that rule forbids


def _one_hot(sets: Sequence[frozenset[str]], vocabulary: dict[str, int]) -> np.ndarray:
    matrix = np.zeros((len(sets), max(1, len(vocabulary))), dtype=np.float64)
    for row, items in enumerate(sets):
        for item in items:
            matrix[row, vocabulary[item]] = 1.0
    return matrix


def _score(
    juniors: Sequence[Candidate],
    seniors: Sequence[Candidate],
    rules: Rules,
    weights: Mapping[str, float],
) -> _Matrices:
    nj, ns = len(juniors), len(seniors)
    topics = sorted({t for c in (*juniors, *seniors) for t in (*c.offers, *c.wants)})
    vocab = {t: i for i, t in enumerate(topics)}
    j_offers, j_wants = (
        _one_hot([c.offers for c in juniors], vocab),
        _one_hot([c.wants for c in juniors], vocab),
    )
    s_offers, s_wants = (
        _one_hot([c.offers for c in seniors], vocab),
        _one_hot([c.wants for c in seniors], vocab),
    )
    topic_fit = (j_offers @ s_wants.T) / np.maximum(1.0, s_wants.sum(axis=1))[None, :]
    reverse_fit = (s_offers @ j_wants.T).T / np.maximum(1.0, j_wants.sum(axis=1))[:, None]

    j_dept = np.array([c.department.strip().lower() for c in juniors], dtype=object)
    s_dept = np.array([c.department.strip().lower() for c in seniors], dtype=object)
    same_dept = j_dept[:, None] == s_dept[None, :]
    known_dept = (j_dept != "")[:, None] & (s_dept != "")[None, :]
    different = np.where(known_dept, (~same_dept).astype(float), 0.5)

    day = rules.reference_day or datetime.now(UTC).date()
    j_off = np.array([utc_offset_hours(c.timezone, day) for c in juniors])
    s_off = np.array([utc_offset_hours(c.timezone, day) for c in seniors])
    tz_overlap = np.clip(8.0 - np.abs(j_off[:, None] - s_off[None, :]), 0.0, 8.0) / 8.0

    j_slots, s_slots = _quarters_matrix(juniors, day), _quarters_matrix(seniors, day)
    both = (j_slots @ s_slots.T).astype(np.float64)
    # The overlap coefficient rather than Jaccard (|both| / |either|): with Jaccard a senior
    # giving one hour inside a junior's 40 scored 1/40, far below the ½ of giving nothing.
    smaller = np.minimum(j_slots.sum(axis=1)[:, None], s_slots.sum(axis=1)[None, :])
    known = smaller > 0
    availability = np.where(known, both / np.maximum(smaller, 1.0), 0.5)

    j_level = np.array([c.level for c in juniors])
    s_level = np.array([c.level for c in seniors])
    blocked: dict[str, np.ndarray] = {
        "level": (s_level[None, :] - j_level[:, None]) < rules.min_level_gap,
        "reporting_line": np.zeros((nj, ns), dtype=bool),
        "department": (same_dept & known_dept)
        if rules.exclude_same_department
        else np.zeros((nj, ns), dtype=bool),
        "previous": np.zeros((nj, ns), dtype=bool),
        "removed": np.zeros((nj, ns), dtype=bool),
    }
    j_index = {c.email: i for i, c in enumerate(juniors)}
    s_index = {c.email: k for k, c in enumerate(seniors)}
    if rules.exclude_reporting_line:
        chains = _chains(rules.managers)
        for i, junior in enumerate(juniors):
            for boss in chains.get(junior.email, ()):
                if boss in s_index:
                    blocked["reporting_line"][i, s_index[boss]] = True
        for k, senior in enumerate(seniors):
            for boss in chains.get(senior.email, ()):
                if boss in j_index:
                    blocked["reporting_line"][j_index[boss], k] = True
    if not rules.allow_repairing:
        for junior_email, senior_email in rules.previous_pairs:
            if junior_email in j_index and senior_email in s_index:
                blocked["previous"][j_index[junior_email], s_index[senior_email]] = True
    j_ids = {c.id: i for i, c in enumerate(juniors)}
    s_ids = {c.id: k for k, c in enumerate(seniors)}
    for junior_id, senior_id in rules.removed:
        if junior_id in j_ids and senior_id in s_ids:
            blocked["removed"][j_ids[junior_id], s_ids[senior_id]] = True

    allowed = np.ones((nj, ns), dtype=bool)
    for matrix in blocked.values():
        allowed &= ~matrix
    values = {
        "pair_made": np.ones((nj, ns)),
        "topic_fit": topic_fit,
        "reverse_topic_fit": reverse_fit,
        "different_department": different,
        "timezone_overlap": tz_overlap,
        "availability_overlap": availability,
    }
    parts = {name: weights[name] * values[name] for name in CRITERIA}
    scores = sum(parts.values(), np.zeros((nj, ns)))
    return _Matrices(
        allowed=allowed, scores=np.where(allowed, scores, 0.0), parts=parts, blocked=blocked
    )


# --- Solving --------------------------------------------------------------------------------------


def _solve_slots(
    scores: np.ndarray, allowed: np.ndarray, row_cap: np.ndarray, col_cap: np.ndarray
) -> list[tuple[int, int]]:
    """Optimal pairs (junior index, senior index) within capacities, without repeats."""
    rows = np.repeat(np.arange(len(row_cap)), row_cap)
    cols = np.repeat(np.arange(len(col_cap)), col_cap)
    if len(rows) == 0 or len(cols) == 0 or not allowed.any():
        return []
    slot_allowed = allowed[np.ix_(rows, cols)]
    cost = np.where(slot_allowed, -scores[np.ix_(rows, cols)], 0.0)
    r_idx, c_idx = linear_sum_assignment(cost)
    taken = [
        (int(rows[r]), int(cols[c]))
        for r, c in zip(r_idx, c_idx, strict=True)
        if slot_allowed[r, c]
    ]
    if len(set(taken)) == len(taken):
        return sorted(taken)
    # Two people with several slots each were paired twice through different slots: the slot
    # expansion cannot rule that out, so solve the capacitated problem exactly instead.
    return _solve_b_matching(scores, allowed, row_cap, col_cap)


def _solve_b_matching(
    scores: np.ndarray, allowed: np.ndarray, row_cap: np.ndarray, col_cap: np.ndarray
) -> list[tuple[int, int]]:
    """The optimum with capacities on both sides and each pair at most once, as a linear
    program. Its constraint matrix is that of a bipartite graph (totally unimodular), so the
    simplex method ends on a whole-number vertex: every pair is 0 or 1, and it is exact."""
    usable = allowed & (row_cap > 0)[:, None] & (col_cap > 0)[None, :]
    r, c = np.nonzero(usable)
    n = len(r)
    if n == 0:
        return []
    constraints = coo_matrix(
        (
            np.ones(2 * n),
            (np.concatenate([r, len(row_cap) + c]), np.concatenate([np.arange(n)] * 2)),
        ),
        shape=(len(row_cap) + len(col_cap), n),
    ).tocsr()
    solution = linprog(
        -scores[r, c],
        A_ub=constraints,
        b_ub=np.concatenate([row_cap, col_cap]).astype(float),
        bounds=(0, 1),
        method="highs-ds",
    )
    return sorted((int(r[k]), int(c[k])) for k in np.flatnonzero(solution.x > 0.5))


def greedy_total(
    scores: np.ndarray, allowed: np.ndarray, row_cap: np.ndarray, col_cap: np.ndarray
) -> float:
    """The baseline most tools use: take the best remaining pair until nobody fits."""
    rows_left, cols_left = row_cap.astype(int).copy(), col_cap.astype(int).copy()
    flat = np.flatnonzero(allowed.ravel())
    if flat.size == 0:
        return 0.0
    order = flat[np.argsort(-scores.ravel()[flat], kind="stable")]
    ncols = scores.shape[1]
    total, open_rows, open_cols = 0.0, int((rows_left > 0).sum()), int((cols_left > 0).sum())
    for index in order:
        if open_rows == 0 or open_cols == 0:
            break
        r, c = divmod(int(index), ncols)
        if rows_left[r] > 0 and cols_left[c] > 0:
            total += float(scores[r, c])
            rows_left[r] -= 1
            cols_left[c] -= 1
            open_rows -= rows_left[r] == 0
            open_cols -= cols_left[c] == 0
    return total


# Translators (of each): what two people, or a number of people, have in common that keeps
# them apart, after "they" or a count; keep {gap} as it is.
RULE_WORDS = {
    "level": gettext_noop("do not have a seniority gap of at least {gap}"),
    "reporting_line": gettext_noop("are in the same reporting line"),
    "department": gettext_noop("work in the same department"),
    "previous": gettext_noop("were paired before"),
    "removed": gettext_noop("were taken out by an HR admin"),
}


def rules_broken(
    *,
    juniors: Sequence[Candidate],
    seniors: Sequence[Candidate],
    rules: Rules,
    pairs: Iterable[tuple[int, int]],
) -> dict[tuple[int, int], list[str]]:
    """The hard rules (keys of :data:`RULE_WORDS`) each of ``pairs`` breaks, for the pairs that
    break any; pairs naming someone not among the candidates are the caller's to report.

    One vectorised pass over the people of ``pairs`` only, as :func:`match` does for everyone."""
    pairs = list(pairs)
    in_pairs_j = {j for j, _ in pairs}
    in_pairs_s = {s for _, s in pairs}
    juniors = [c for c in juniors if c.id in in_pairs_j]
    seniors = [c for c in seniors if c.id in in_pairs_s]
    if not juniors or not seniors:
        return {}
    blocked = _score(juniors, seniors, rules, clean_weights(None)).blocked
    j_ids = {c.id: i for i, c in enumerate(juniors)}
    s_ids = {c.id: k for k, c in enumerate(seniors)}
    broken: dict[tuple[int, int], list[str]] = {}
    for junior_id, senior_id in pairs:
        if junior_id in j_ids and senior_id in s_ids:
            cell = (j_ids[junior_id], s_ids[senior_id])
            names = [rule for rule, matrix in blocked.items() if matrix[cell]]
            if names:
                broken[(junior_id, senior_id)] = names
    return broken


def _no_fit_reason(
    side: str, counts: dict[str, int], total: int, gap: int, gettext: Gettext
) -> str:
    junior = side == "junior"  # then the other side, the one that does not fit, is senior
    if total == 0:
        return (
            gettext("There is no senior to match with.")
            if junior
            else gettext("There is no junior to match with.")
        )
    details = "; ".join(
        f"{n} {gettext(RULE_WORDS[rule]).format(gap=gap)}" for rule, n in counts.items() if n
    )
    values = {"total": total, "details": details}
    if junior:
        return gettext("No senior fits the rules: of %(total)s, %(details)s.") % values
    return gettext("No junior fits the rules: of %(total)s, %(details)s.") % values


def _fit_but_taken(side: str, n: int, ngettext: Ngettext) -> str:
    if side == "junior":
        text = ngettext(
            "%(count)s senior fit the rules, but each was paired with someone who fit them "
            "better (or had no room left).",
            "%(count)s seniors fit the rules, but each was paired with someone who fit them "
            "better (or had no room left).",
            n,
        )
    else:
        text = ngettext(
            "%(count)s junior fit the rules, but each was paired with someone who fit them "
            "better (or had no room left).",
            "%(count)s juniors fit the rules, but each was paired with someone who fit them "
            "better (or had no room left).",
            n,
        )
    return text % {"count": n}


def match(
    *,
    juniors: Sequence[Candidate],
    seniors: Sequence[Candidate],
    rules: Rules,
    weights: Mapping[str, Any] | None = None,
    gettext: Gettext = _same,
    ngettext: Ngettext = _english_plural,
) -> MatchResult:
    """Propose the pairs with the highest total score, explained, and say why anyone is left out
    (in words ``gettext`` and ``ngettext`` write: English by default)."""
    w = clean_weights(weights)
    unmatched: list[Unmatched] = [
        Unmatched(c.id, c.email, side, c.excluded)
        for side, people in (("junior", juniors), ("senior", seniors))
        for c in people
        if c.excluded
    ]
    juniors = [c for c in juniors if not c.excluded]
    seniors = [c for c in seniors if not c.excluded]
    m = _score(juniors, seniors, rules, w)
    row_cap = np.array([max(0, c.capacity) for c in juniors], dtype=int)
    col_cap = np.array([max(0, c.capacity) for c in seniors], dtype=int)

    j_ids = {c.id: i for i, c in enumerate(juniors)}
    s_ids = {c.id: k for k, c in enumerate(seniors)}
    fixed: list[tuple[int, int]] = []
    free = m.allowed.copy()
    for junior_id, senior_id in rules.locked:
        i, k = j_ids.get(junior_id), s_ids.get(senior_id)
        if i is None or k is None or (i, k) in fixed:
            continue
        fixed.append((i, k))
        row_cap[i] = max(0, row_cap[i] - 1)
        col_cap[k] = max(0, col_cap[k] - 1)
        free[i, k] = False  # already made: not a second time

    # The baseline gets the same fixed pairs, so the two totals compare like with like.
    fixed_total = sum(sum(float(m.parts[name][i, k]) for name in CRITERIA) for i, k in fixed)
    greedy = greedy_total(m.scores, free, row_cap, col_cap) + fixed_total
    started = time.perf_counter()
    solved = _solve_slots(m.scores, free, row_cap, col_cap)
    solver_seconds = time.perf_counter() - started

    pairs: list[ProposedPair] = []
    total = 0.0  # from unrounded scores; pairs show theirs rounded for reading
    for (i, k), locked in [*((p, True) for p in fixed), *((p, False) for p in solved)]:
        reasons = {name: round(float(m.parts[name][i, k]), 3) for name in CRITERIA}
        score = float(m.scores[i, k]) if m.allowed[i, k] else sum(reasons.values())
        total += score
        pairs.append(
            ProposedPair(
                juniors[i].id,
                seniors[k].id,
                juniors[i].email,
                seniors[k].email,
                round(score, 3),
                reasons,
                locked,
            )
        )
    matched_j = {p.junior_id for p in pairs}
    matched_s = {p.senior_id for p in pairs}
    for side, people, axis, matched in (
        ("junior", juniors, 1, matched_j),
        ("senior", seniors, 0, matched_s),
    ):
        fits = m.allowed.sum(axis=axis)
        for index, person in enumerate(people):
            if person.id in matched or person.capacity <= 0:
                continue
            if fits[index] == 0:
                counts = {
                    rule: int(matrix[index].sum() if axis == 1 else matrix[:, index].sum())
                    for rule, matrix in m.blocked.items()
                }
                pool = len(seniors) if side == "junior" else len(juniors)
                reason = _no_fit_reason(side, counts, pool, rules.min_level_gap, gettext)
            else:
                reason = _fit_but_taken(side, int(fits[index]), ngettext)
            unmatched.append(Unmatched(person.id, person.email, side, reason))
    return MatchResult(
        pairs=pairs,
        unmatched=unmatched,
        total_score=total,
        greedy_total_score=greedy,
        solver_seconds=solver_seconds,
        weights=w,
    )


def candidates_from(rows: Iterable[Mapping[str, Any]]) -> list[Candidate]:
    """Build candidates from plain dicts (used by the JSON fixtures of tests and benchmarks)."""
    return [
        Candidate(
            **{
                **row,
                "offers": frozenset(row.get("offers", ())),
                "wants": frozenset(row.get("wants", ())),
                "weekly_availability": tuple(tuple(r) for r in row.get("weekly_availability", ())),
            }
        )
        for row in rows
    ]
