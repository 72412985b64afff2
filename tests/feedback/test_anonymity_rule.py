"""The threshold and the aggregates on their own (the release rule: test_disclosure.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.anonymity import MIN_K, may_show, summarize
from feedback.disclosure import EVERYONE, cell, release

groups = st.dictionaries(st.text(min_size=1, max_size=6), st.integers(0, 30), max_size=8)


@settings(max_examples=500, deadline=None)
@given(groups, st.integers(0, 10))
def test_no_breakdown_reveals_a_group_smaller_than_k(breakdown: dict[str, int], k: int) -> None:
    k_used = max(MIN_K, k)
    shown = release({cell(department=name): n for name, n in breakdown.items()}, k)
    for name, n in breakdown.items():
        if ("department", name) in shown:
            assert n >= k_used
    hidden = sum(n for name, n in breakdown.items() if ("department", name) not in shown)
    # Total minus the shown groups describes the hidden ones: never fewer than k of them.
    assert hidden == 0 or hidden >= k_used or EVERYONE not in shown


def test_k_is_never_below_three() -> None:
    assert not may_show(2, 1) and may_show(3, 1)


def test_a_lone_small_group_pulls_the_next_smallest_into_hiding() -> None:
    shown = release(
        {cell(department="Sales"): 10, cell(department="Tech"): 6, cell(department="Legal"): 2}, 5
    )
    assert shown == {EVERYONE, ("department", "Sales")}


def test_nps_and_averages() -> None:
    summary = summarize([10, 9, 8, 7, 6, 0], scale=range(0, 11), nps=True)
    assert summary.count == 6 and summary.nps == 0.0
    likert = summarize([5, 4, 4, 2], scale=range(1, 6))
    assert likert.average == 3.75 and likert.distribution == {1: 0, 2: 1, 3: 0, 4: 2, 5: 1}
