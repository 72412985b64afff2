"""The k-anonymity rule on its own: no shown figure, alone or by subtraction, describes fewer
than k people."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.anonymity import MIN_K, may_show, may_show_subset, shown_groups, summarize

groups = st.dictionaries(st.text(min_size=1, max_size=6), st.integers(0, 30), max_size=8)


@settings(max_examples=500, deadline=None)
@given(groups, st.integers(0, 10))
def test_no_breakdown_reveals_a_group_smaller_than_k(breakdown: dict[str, int], k: int) -> None:
    k_used = max(MIN_K, k)
    shown = shown_groups(breakdown, k)
    for name, visible in shown.items():
        if visible:
            assert breakdown[name] >= k_used
    hidden = sum(n for name, n in breakdown.items() if not shown[name])
    # Total minus the shown groups describes the hidden ones: never fewer than k of them.
    assert hidden == 0 or hidden >= k_used or not any(shown.values())


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 10))
def test_a_filter_and_its_complement_both_reach_k(subset: int, extra: int, k: int) -> None:
    population = subset + extra
    if may_show_subset(subset, population, k):
        assert subset >= max(MIN_K, k)
        assert extra == 0 or extra >= max(MIN_K, k)


def test_k_is_never_below_three() -> None:
    assert not may_show(2, 1) and may_show(3, 1)


def test_a_lone_small_group_pulls_the_next_smallest_into_hiding() -> None:
    shown = shown_groups({"Sales": 10, "Tech": 6, "Legal": 2}, 5)
    assert shown == {"Sales": True, "Tech": False, "Legal": False}


def test_nps_and_averages() -> None:
    summary = summarize([10, 9, 8, 7, 6, 0], scale=range(0, 11), nps=True)
    assert summary.count == 6 and summary.nps == 0.0
    likert = summarize([5, 4, 4, 2], scale=range(1, 6))
    assert likert.average == 3.75 and likert.distribution == {1: 0, 2: 1, 3: 0, 4: 2, 5: 1}
