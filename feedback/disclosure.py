"""The disclosure rule, a pure module (no ORM): which groups' figures may ever be released.

Checking each view on its own is not enough. Two views that are each safe can be combined:
"juniors" minus "department Ops" can be one person. So every release is drawn from one fixed
family of groups, the **release plan**, chosen once for the data it describes (a closed survey's
answers to one question; the people of the programs a dashboard counts):

- A group is a set of people described by one attribute: everyone, one side, one department,
  one program. A family of groups generates a set algebra; its **atoms** are the non-empty
  intersections of every group or its complement (for example "juniors of Ops", or "seniors in
  no released department").
- A family is valid when every atom holds at least k people. Any figure computed from a group
  of the family, and any sum or difference of such figures, whichever views, filters, exports,
  scopes or roles they come from, then describes a union of atoms: never fewer than k people.
- ``release`` starts from every candidate group and drops groups, the smallest first among
  those that would merge the smallest offending atom with a neighbour (complementary
  suppression), until the family is valid. When even "everyone" is too small, nothing is
  released.

A figure pooled over several surveys (or programs) adds up whole released groups of each, so
it is again a union of atoms of each survey. See ``tests/feedback/test_disclosure.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from feedback.anonymity import WITHHELD, effective_k, gettext_noop

# A group is (attribute, value); ("all", "") is everyone.
Group = tuple[str, str]
# A cell is a combination of attribute values, e.g. (("department", "Ops"), ("side", "junior")):
# people with the same values are indistinguishable to every group.
Cell = tuple[tuple[str, str], ...]

EVERYONE: Group = ("all", "")
NOT_RELEASED = gettext_noop(
    "Not shown for this group: with so few answers in it, or in what it leaves out of the "
    "other groups shown, someone could work out who said what."
)

__all__ = [
    "EVERYONE",
    "NOT_RELEASED",
    "WITHHELD",
    "Cell",
    "Group",
    "atoms",
    "cell",
    "contains",
    "decode",
    "encode",
    "release",
    "response_count_released",
    "small_atoms",
]


def cell(**values: str) -> Cell:
    """A cell from attribute values: ``cell(side="junior", department="Ops")``."""
    return tuple(sorted(values.items()))


def contains(group: Group, of: Cell) -> bool:
    """Whether the people of cell ``of`` belong to ``group``."""
    return group == EVERYONE or group in of


def atoms(cells: Mapping[Cell, int], family: Iterable[Group]) -> dict[frozenset[Group], int]:
    """The atoms of the algebra ``family`` generates over these people: people counted by the
    set of groups they belong to. The atom of people in no group of the family is included
    (its key is the empty set), since everyone minus the groups shown describes it."""
    family = list(family)
    result: dict[frozenset[Group], int] = defaultdict(int)
    for c, n in cells.items():
        if n:
            result[frozenset(g for g in family if contains(g, c))] += n
    return dict(result)


def small_atoms(
    cells: Mapping[Cell, int],
    family: Iterable[Group],
    k: int,
    *,
    fixed: Iterable[Group] = (),
) -> list[tuple[frozenset[Group], int]]:
    """Atoms of fewer than k people, smallest first. An atom that the ``fixed`` groups alone
    already isolate (a small program on its own dashboard) is not the family's doing and is
    not counted; nor is the atom of people in no group, when the family has no group at all."""
    k = effective_k(k)
    family = set(family)
    fixed = set(fixed) & family
    whole = atoms(cells, family)
    base = atoms(cells, fixed) if fixed else {}
    small = []
    for signature, n in whole.items():
        if n >= k or not family:
            continue
        if fixed and base.get(signature & fixed) == n:
            continue
        small.append((signature, n))
    return sorted(small, key=lambda item: (item[1], sorted(item[0])))


def release(
    cells: Mapping[Cell, int],
    k: int,
    *,
    candidates: Iterable[Group] | None = None,
    fixed: Iterable[Group] = (),
) -> frozenset[Group]:
    """The largest family this greedy finds, within ``candidates`` (by default everyone and
    every attribute value present), whose atoms all hold at least k people. ``fixed`` groups
    are never dropped (programs, which each have their own dashboard anyway)."""
    k = effective_k(k)
    if candidates is None:
        candidates = {EVERYONE} | {pair for c, n in cells.items() if n for pair in c}
    family = set(candidates) | set(fixed)
    fixed = set(fixed)
    size = {g: sum(n for c, n in cells.items() if contains(g, c)) for g in family}
    # Groups nobody belongs to describe nobody; they add nothing and are not released.
    family = {g for g in family if size[g] or g in fixed}
    while True:
        small = small_atoms(cells, family, k, fixed=fixed)
        if not small:
            return frozenset(family)
        droppable = family - fixed - {EVERYONE}
        if not droppable:
            # Only "everyone" is left and it is too small: nothing of it may be shown.
            return frozenset(fixed)
        signature, _ = small[0]
        present = atoms(cells, family)
        # A group whose removal merges the offending atom with a non-empty neighbour; else one
        # the atom lies in (sides: dropping one leaves the other to split it, so the next round
        # merges it); only then any group.
        helpful = [g for g in droppable if (signature ^ {g}) in present]
        inside = [g for g in droppable if g in signature]
        chosen = min(helpful or inside or droppable, key=lambda g: (size[g], g))
        family.discard(chosen)


def encode(family: Iterable[Group]) -> list[list[str]]:
    """A family as JSON (sorted, so a stored plan is stable)."""
    return [list(g) for g in sorted(family)]


def decode(stored: Iterable[Iterable[str]] | None) -> frozenset[Group]:
    return frozenset((str(a), str(v)) for a, v in (stored or []))


def response_count_released(*, invited: int, answered: int, k: int) -> bool:
    """Whether how many answered an anonymous survey may be shown. Who answered is each
    person's own: those invited split into two groups, those who answered and those who did
    not, and each must be none or at least k (so those invited are at least k): "2 of 2", or
    "11 of 12", would say what each, or the one, of a few known people did."""
    k = effective_k(k)
    rest = invited - answered
    return invited >= k and (answered == 0 or answered >= k) and (rest == 0 or rest >= k)
