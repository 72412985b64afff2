"""The matching engine, on its own: optimal, within every hard rule, explained."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pairings.matching import CRITERIA, Candidate, Rules, match

TOPICS = ["ai", "social", "data", "collab"]
ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Tokyo"]
MORNINGS = tuple((day, "09:00", "12:00") for day in range(5))
AVAILABILITY = [
    (),
    ((1, "09:00", "12:00"), (3, "09:00", "12:00")),
    MORNINGS,
    ((2, "13:00", "17:00"),),
    ((0, "17:00", "20:00"),),
]


@st.composite
def people(draw, side: str, n: int, max_capacity: int) -> list[Candidate]:
    out = []
    for i in range(n):
        out.append(
            Candidate(
                id=i + (0 if side == "junior" else 1000),
                email=f"{side}{i}@x.test",
                level=draw(st.integers(1, 9)),
                department=draw(st.sampled_from(["", "Sales", "Tech", "Finance"])),
                manager_email=draw(
                    st.sampled_from(
                        [
                            "",
                            *[f"junior{k}@x.test" for k in range(3)],
                            *[f"senior{k}@x.test" for k in range(3)],
                        ]
                    )
                ),
                timezone=draw(st.sampled_from(ZONES)),
                offers=frozenset(draw(st.lists(st.sampled_from(TOPICS), max_size=3))),
                wants=frozenset(draw(st.lists(st.sampled_from(TOPICS), max_size=3))),
                weekly_availability=draw(st.sampled_from(AVAILABILITY)),
                capacity=draw(st.integers(1, max_capacity)),
                excluded=draw(st.sampled_from(["", "", "", "Training not done."])),
            )
        )
    return out


@st.composite
def instances(draw, max_people: int = 4, both_sides_multi: bool = False):
    nj = draw(st.integers(0, max_people))
    ns = draw(st.integers(0, max_people))
    multi_side = draw(st.sampled_from(["junior", "senior"]))
    juniors = draw(people("junior", nj, 2 if multi_side == "junior" or both_sides_multi else 1))
    seniors = draw(people("senior", ns, 2 if multi_side == "senior" or both_sides_multi else 1))
    managers = {c.email: c.manager_email for c in (*juniors, *seniors) if c.manager_email}
    previous = frozenset(
        (j.email, s.email)
        for j in juniors
        for s in seniors
        if draw(st.booleans()) and draw(st.booleans())
    )
    rules = Rules(
        min_level_gap=draw(st.integers(0, 3)),
        exclude_reporting_line=draw(st.booleans()),
        exclude_same_department=draw(st.booleans()),
        allow_repairing=draw(st.booleans()),
        managers=managers,
        previous_pairs=previous,
        reference_day=date(2027, 1, 15),
    )
    weights = {c: draw(st.floats(0, 5)) for c in CRITERIA}
    return juniors, seniors, rules, weights


def chain(managers: dict[str, str], email: str) -> set[str]:
    seen: set[str] = set()
    current = managers.get(email, "")
    while current and current not in seen and current != email:
        seen.add(current)
        current = managers.get(current, "")
    return seen


def allowed(j: Candidate, s: Candidate, rules: Rules) -> bool:
    """The hard rules, written again independently of the engine."""
    if j.excluded or s.excluded or s.level - j.level < rules.min_level_gap:
        return False
    if rules.exclude_reporting_line and (
        s.email in chain(dict(rules.managers), j.email)
        or j.email in chain(dict(rules.managers), s.email)
    ):
        return False
    if (
        rules.exclude_same_department
        and j.department
        and j.department.lower() == s.department.lower()
    ):
        return False
    return rules.allow_repairing or (j.email, s.email) not in rules.previous_pairs


def brute_force_best(juniors, seniors, rules, score) -> float:
    candidates = [(j, s) for j in juniors for s in seniors if allowed(j, s, rules)]
    best = 0.0
    for size in range(len(candidates) + 1):
        for chosen in itertools.combinations(candidates, size):
            jc, sc = {}, {}
            ok = True
            for j, s in chosen:
                jc[j.id] = jc.get(j.id, 0) + 1
                sc[s.id] = sc.get(s.id, 0) + 1
                if jc[j.id] > j.capacity or sc[s.id] > s.capacity:
                    ok = False
                    break
            if ok:
                best = max(best, sum(score[(j.id, s.id)] for j, s in chosen))
    return best


@settings(max_examples=150, deadline=None)
@given(instances(max_people=4))
def test_the_solution_is_optimal_against_brute_force(instance) -> None:
    juniors, seniors, rules, weights = instance
    result = match(juniors=juniors, seniors=seniors, rules=rules, weights=weights)
    # Every pair's score, taken from a run where all pairs are visible through explanations.
    everyone = [(j, s) for j in juniors for s in seniors if allowed(j, s, rules)]
    score = {}
    for j, s in everyone:
        single = match(
            juniors=[Candidate(**{**j.__dict__, "capacity": 1})],
            seniors=[Candidate(**{**s.__dict__, "capacity": 1})],
            rules=rules,
            weights=weights,
        )
        score[(j.id, s.id)] = single.pairs[0].score if single.pairs else 0.0
    assert result.total_score == pytest.approx(
        brute_force_best(juniors, seniors, rules, score), abs=1e-2
    )
    assert result.greedy_total_score <= result.total_score + 1e-6


@settings(max_examples=300, deadline=None)
@given(instances(max_people=6, both_sides_multi=True))
def test_no_hard_rule_is_ever_broken(instance) -> None:
    juniors, seniors, rules, weights = instance
    result = match(juniors=juniors, seniors=seniors, rules=rules, weights=weights)
    by_id = {c.id: c for c in (*juniors, *seniors)}
    seen = set()
    for pair in result.pairs:
        j, s = by_id[pair.junior_id], by_id[pair.senior_id]
        assert allowed(j, s, rules), (j, s)
        assert (j.id, s.id) not in seen  # never the same two people twice
        seen.add((j.id, s.id))
        assert sum(pair.reasons.values()) == pytest.approx(pair.score, abs=1e-2)
    for person in (*juniors, *seniors):
        side = "junior_id" if person in juniors else "senior_id"
        assert sum(getattr(p, side) == person.id for p in result.pairs) <= person.capacity
    # Everyone left out says why.
    paired = {p.junior_id for p in result.pairs} | {p.senior_id for p in result.pairs}
    left_out = {u.id for u in result.unmatched}
    assert paired | left_out == {c.id for c in (*juniors, *seniors)}
    assert all(u.reason for u in result.unmatched)


def person(id: int, email: str, level: int, **kw) -> Candidate:
    return Candidate(id=id, email=email, level=level, **kw)


def test_explanations_and_reasons_speak_plainly() -> None:
    juniors = [
        person(1, "j1@x", 2, offers=frozenset({"ai"}), department="Sales", manager_email="s1@x"),
        person(2, "j2@x", 8),
    ]
    seniors = [
        person(11, "s1@x", 8, wants=frozenset({"ai"}), department="Tech", manager_email="s2@x"),
        person(12, "s2@x", 9, wants=frozenset({"ai"}), department="Tech"),
        person(13, "s3@x", 7, wants=frozenset({"ai"}), excluded="Training not done."),
    ]
    rules = Rules(min_level_gap=2, managers={"j1@x": "s1@x", "s1@x": "s2@x"})
    result = match(juniors=juniors, seniors=seniors, rules=rules)
    assert result.pairs == []  # j1 reports to s1, who reports to s2; j2 is too senior
    reasons = {u.email: u.reason for u in result.unmatched}
    assert reasons["j1@x"] == "No senior fits the rules: of 2, 2 are in the same reporting line."
    assert "2 do not have a seniority gap of at least 2" in reasons["j2@x"]
    assert reasons["s3@x"] == "Training not done."


def test_each_pair_carries_each_criterion() -> None:
    result = match(
        juniors=[
            person(
                1,
                "j@x",
                1,
                offers=frozenset({"ai", "data"}),
                department="A",
                timezone="Europe/Paris",
                weekly_availability=((1, "09:00", "12:00"),),
            )
        ],
        seniors=[
            person(
                2,
                "s@x",
                5,
                wants=frozenset({"ai"}),
                department="B",
                timezone="Europe/Paris",
                weekly_availability=((1, "09:00", "12:00"),),
            )
        ],
        rules=Rules(),
    )
    [pair] = result.pairs
    assert set(pair.reasons) == set(CRITERIA)
    assert pair.reasons["topic_fit"] == 4.0 and pair.reasons["different_department"] == 1.0
    assert pair.reasons["availability_overlap"] == 1.0 and pair.reasons["timezone_overlap"] == 1.0


def test_time_zone_overlap_follows_daylight_saving() -> None:
    j = [person(1, "j@x", 1, timezone="Europe/London")]
    s = [person(2, "s@x", 5, timezone="America/New_York")]
    winter = match(juniors=j, seniors=s, rules=Rules(reference_day=date(2027, 1, 15)))
    gap_weeks = match(juniors=j, seniors=s, rules=Rules(reference_day=date(2027, 3, 20)))
    assert winter.pairs[0].reasons["timezone_overlap"] == pytest.approx(3 / 8)  # 5 h apart
    assert gap_weeks.pairs[0].reasons["timezone_overlap"] == pytest.approx(4 / 8)  # 4 h apart


def test_weights_change_the_proposal() -> None:
    juniors = [
        person(1, "j1@x", 1, offers=frozenset({"ai"}), department="Tech"),
        person(2, "j2@x", 1, department="Sales"),
    ]
    seniors = [person(11, "s1@x", 5, wants=frozenset({"ai"}), department="Sales")]
    by_topic = match(
        juniors=juniors,
        seniors=seniors,
        rules=Rules(),
        weights={"topic_fit": 5, "different_department": 0},
    )
    by_department = match(
        juniors=juniors,
        seniors=seniors,
        rules=Rules(),
        weights={"topic_fit": 0, "different_department": 5},
    )
    assert by_topic.pairs[0].junior_id == 1
    assert by_department.pairs[0].junior_id == 1  # j1 is also the one from another department
    same_dept_rule = match(
        juniors=juniors,
        seniors=seniors,
        rules=Rules(exclude_same_department=True),
        weights={"topic_fit": 0},
    )
    assert same_dept_rule.pairs[0].junior_id == 1


def test_locked_and_removed_pairs_are_respected() -> None:
    juniors = [person(1, "j1@x", 1, offers=frozenset({"ai"})), person(2, "j2@x", 1)]
    seniors = [person(11, "s1@x", 5, wants=frozenset({"ai"})), person(12, "s2@x", 5)]
    free = match(juniors=juniors, seniors=seniors, rules=Rules())
    assert {(p.junior_id, p.senior_id) for p in free.pairs} == {(1, 11), (2, 12)}
    swapped = match(juniors=juniors, seniors=seniors, rules=Rules(locked=((1, 12),)))
    assert {(p.junior_id, p.senior_id, p.locked) for p in swapped.pairs} == {
        (1, 12, True),
        (2, 11, False),
    }
    removed = match(juniors=juniors, seniors=seniors, rules=Rules(removed=frozenset({(1, 11)})))
    assert (1, 11) not in {(p.junior_id, p.senior_id) for p in removed.pairs}
    previous = match(
        juniors=juniors, seniors=seniors, rules=Rules(previous_pairs=frozenset({("j1@x", "s1@x")}))
    )
    assert (1, 11) not in {(p.junior_id, p.senior_id) for p in previous.pairs}
    again = match(
        juniors=juniors,
        seniors=seniors,
        rules=Rules(previous_pairs=frozenset({("j1@x", "s1@x")}), allow_repairing=True),
    )
    assert (1, 11) in {(p.junior_id, p.senior_id) for p in again.pairs}


def test_several_mentors_per_senior() -> None:
    juniors = [person(i, f"j{i}@x", 1, department=f"D{i}") for i in range(1, 4)]
    seniors = [person(11, "s1@x", 6, capacity=2), person(12, "s2@x", 6)]
    result = match(juniors=juniors, seniors=seniors, rules=Rules())
    assert sum(p.senior_id == 11 for p in result.pairs) == 2
    assert len(result.pairs) == 3


@settings(max_examples=80, deadline=None)
@given(instances(max_people=3, both_sides_multi=True))
def test_the_solution_is_optimal_when_both_sides_take_several_partners(instance) -> None:
    test_the_solution_is_optimal_against_brute_force.hypothesis.inner_test(instance)


def _overlap(junior: Candidate, senior: Candidate, day: date = date(2027, 1, 15)) -> float:
    [pair] = match(juniors=[junior], seniors=[senior], rules=Rules(reference_day=day)).pairs
    return pair.reasons["availability_overlap"]


def test_availability_overlap_is_the_share_of_common_utc_hours() -> None:
    """The overlap coefficient of the UTC week: 2 hours shared of the 3 the junior gives (the
    one who gives less)."""
    j = person(1, "j@x", 1, weekly_availability=((0, "09:00", "12:00"),))
    s = person(2, "s@x", 5, weekly_availability=((0, "10:00", "14:00"), (6, "22:00", "24:00")))
    assert _overlap(j, s) == round(2 / 3, 3)
    same = person(2, "s@x", 5, weekly_availability=((0, "09:00", "12:00"),))
    assert _overlap(j, same) == 1.0
    other_day = person(2, "s@x", 5, weekly_availability=((1, "09:00", "12:00"),))
    assert _overlap(j, other_day) == 0.0


def test_unknown_availability_counts_half() -> None:
    j = person(1, "j@x", 1, weekly_availability=MORNINGS)
    assert _overlap(j, person(2, "s@x", 5)) == 0.5
    assert _overlap(person(1, "j@x", 1), person(2, "s@x", 5)) == 0.5
    broken = person(2, "s@x", 5, weekly_availability=(("x", "9", "y"),))
    assert _overlap(j, broken) == 0.5


def test_availability_is_compared_in_utc_with_each_zone() -> None:
    """London mornings are New York's small hours: same local hours, no overlap; New York's
    morning is London's afternoon, which overlaps; daylight saving moves it."""
    london = person(1, "j@x", 1, timezone="Europe/London", weekly_availability=MORNINGS)
    new_york = person(2, "s@x", 5, timezone="America/New_York", weekly_availability=MORNINGS)
    assert _overlap(london, new_york) == 0.0
    afternoons = tuple((day, "14:00", "17:00") for day in range(5))
    london_pm = person(1, "j@x", 1, timezone="Europe/London", weekly_availability=afternoons)
    assert _overlap(london_pm, new_york) == 1.0
    # In the weeks when only the United States has changed its clocks, they are 4 hours apart.
    assert _overlap(london_pm, new_york, date(2027, 3, 20)) == round(10 / 15, 3)


def test_a_few_hours_inside_the_others_score_fully_and_zones_are_exact() -> None:
    """Generous hours are never punished: one hour inside the other's forty scores 1, above the
    ½ of an empty grid. Kathmandu (UTC+5:45) meets UTC to the quarter hour."""
    week = tuple((day, "09:00", "17:00") for day in range(5))
    generous = person(1, "j@x", 1, weekly_availability=week)
    assert (
        _overlap(generous, person(2, "s@x", 5, weekly_availability=((1, "10:00", "11:00"),))) == 1
    )
    kathmandu = person(
        1, "j@x", 1, timezone="Asia/Kathmandu", weekly_availability=((0, "09:00", "10:00"),)
    )
    # 09:00–10:00 in Kathmandu is 03:15–04:15 UTC: a quarter hour shared with 04:00–05:00.
    utc = person(2, "s@x", 5, timezone="UTC", weekly_availability=((0, "04:00", "05:00"),))
    assert _overlap(kathmandu, utc) == 0.25
