"""Linking complaints: which identifiers are evidence, and the connected groups they make.

    result = link(occurrences, listed=warninglists.suppression, hubs=HubPolicy())
    result.groups            # [[seq, seq, …], …]: complaints linked, two or more each
    result.suppressed        # {(type, value): reason}: identifiers that link nothing

Pure functions over ``(complaint, type, value)`` triples; no database. Two complaints are
linked when they name the same normalized identifier, and a network is a connected group.
Identifiers that are not evidence link nothing:

- **listed**: a warning list names them — a free e-mail provider's domain, a bank's helpline,
  India's 1930 cyber-crime helpline, a big brand's own domain (MISP's lists and the node's);
- **hubs**: an identifier in at least ``min_complaints`` complaints whose complaints fall, by
  their *other* identifiers, into at least ``min_groups`` separate groups — a number victims of
  many unrelated frauds mention (a courier's customer-care line, a payment app's help desk).
  A fraud's own identifier is named by its own victims, whose other identifiers agree, so it
  stays: a UPI id that 5,000 victims paid, with nothing else in common, is one network.

The groups are found with a union-find over complaints (path halving, union by size).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

Key = tuple[str, str]
"""An identifier: ``(STIX type, canonical value)``."""

T = TypeVar("T", bound=Hashable)

DEFAULT_MIN_COMPLAINTS: Final = 25
DEFAULT_MIN_GROUPS: Final = 5


@dataclass(frozen=True)
class HubPolicy:
    """When an identifier common to many complaints is a hub rather than evidence."""

    min_complaints: int = DEFAULT_MIN_COMPLAINTS
    """Only an identifier in at least this many complaints may be a hub."""
    min_groups: int = DEFAULT_MIN_GROUPS
    """… and only if its complaints fall in at least this many otherwise unrelated groups."""


class UnionFind(Generic[T]):
    """Disjoint sets of hashable items::

    sets = UnionFind[int]()
    sets.union(1, 2); sets.union(2, 3)
    sets.find(3) == sets.find(1)      # True
    """

    def __init__(self) -> None:
        self._parent: dict[T, T] = {}
        self._size: dict[T, int] = {}

    def add(self, item: T) -> None:
        """Make ``item`` a set of its own if it is not in one."""
        if item not in self._parent:
            self._parent[item] = item
            self._size[item] = 1

    def find(self, item: T) -> T:
        """The representative of ``item``'s set (``item`` is added if new)."""
        parent = self._parent
        if item not in parent:
            self.add(item)
            return item
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: T, b: T) -> T:
        """Join the sets of ``a`` and ``b``; return the representative."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return root_a
        if self._size[root_a] < self._size[root_b]:
            root_a, root_b = root_b, root_a
        self._parent[root_b] = root_a
        self._size[root_a] += self._size.pop(root_b)
        return root_a

    def size(self, item: T) -> int:
        """How many items are in ``item``'s set."""
        return self._size[self.find(item)]

    def groups(self) -> list[list[T]]:
        """Every set, as a list of its items."""
        members: dict[T, list[T]] = defaultdict(list)
        for item in self._parent:
            members[self.find(item)].append(item)
        return list(members.values())


@dataclass
class Linkage:
    """What :func:`link` found."""

    groups: list[list[int]] = field(default_factory=list)
    """Linked complaints, two or more per group, each group and its members sorted."""
    suppressed: dict[Key, str] = field(default_factory=dict)
    """Identifiers named by two or more complaints that link nothing, and why."""
    linking: dict[Key, list[int]] = field(default_factory=dict)
    """Identifiers that link, and the complaints naming each."""


def occurrences_by_key(occurrences: Iterable[tuple[int, str, str]]) -> dict[Key, list[int]]:
    """``(complaint, type, value)`` triples grouped by identifier, each complaint once."""
    by_key: dict[Key, list[int]] = defaultdict(list)
    seen: set[tuple[int, str, str]] = set()
    for occurrence in occurrences:
        if occurrence not in seen:
            seen.add(occurrence)
            by_key[(occurrence[1], occurrence[2])].append(occurrence[0])
    return by_key


def link(
    occurrences: Iterable[tuple[int, str, str]],
    listed: Callable[[str, str], str | None],
    hubs: HubPolicy = HubPolicy(),
) -> Linkage:
    """Link complaints by the identifiers they share; see the module for what does not link."""
    by_key = occurrences_by_key(occurrences)
    result = Linkage()
    shared = {key: seqs for key, seqs in by_key.items() if len(seqs) > 1}
    candidates: list[Key] = []
    evidence: list[Key] = []
    for key, seqs in shared.items():
        reason = listed(*key)
        if reason is not None:
            result.suppressed[key] = reason
        elif len(seqs) >= hubs.min_complaints:
            candidates.append(key)
        else:
            evidence.append(key)
    sets = UnionFind[int]()
    for key in evidence:
        _join(sets, shared[key])
    for key in candidates:
        groups = {sets.find(seq) for seq in shared[key] if sets.size(seq) > 1}
        if len(groups) >= hubs.min_groups:
            result.suppressed[key] = hub_reason(len(shared[key]), len(groups), hubs)
        else:
            evidence.append(key)
    for key in candidates:
        if key not in result.suppressed:
            _join(sets, shared[key])
    result.linking = {key: sorted(shared[key]) for key in evidence}
    result.groups = sorted(
        (sorted(group) for group in sets.groups() if len(group) > 1), key=lambda g: g[0]
    )
    return result


def hub_reason(complaints: int, groups: int, hubs: HubPolicy) -> str:
    """Why an identifier named in ``complaints`` complaints of ``groups`` groups is a hub."""
    return (
        f"named in {complaints} complaints of {groups} otherwise unrelated groups (a hub: at "
        f"least {hubs.min_complaints} complaints in at least {hubs.min_groups} groups)"
    )


def _join(sets: UnionFind[int], seqs: Sequence[int]) -> None:
    first = seqs[0]
    for seq in seqs[1:]:
        sets.union(first, seq)


def chain(
    linking: dict[Key, list[int]], start: int, goal: int
) -> list[tuple[int, Key, int]] | None:
    """The shortest chain of shared identifiers from complaint ``start`` to ``goal``:
    ``[(complaint, identifier, next complaint), …]``, or ``None`` if they are not linked."""
    if start == goal:
        return []
    keys_of: dict[int, list[Key]] = defaultdict(list)
    for key, seqs in linking.items():
        for seq in seqs:
            keys_of[seq].append(key)
    came_from: dict[int, tuple[int, Key]] = {}
    frontier = [start]
    visited = {start}
    used: set[Key] = set()
    while frontier:
        following: list[int] = []
        for seq in frontier:
            for key in sorted(keys_of.get(seq, ())):
                if key in used:
                    continue
                used.add(key)
                for other in linking[key]:
                    if other in visited:
                        continue
                    visited.add(other)
                    came_from[other] = (seq, key)
                    if other == goal:
                        return _path(came_from, start, goal)
                    following.append(other)
        frontier = following
    return None


def _path(
    came_from: dict[int, tuple[int, Key]], start: int, goal: int
) -> list[tuple[int, Key, int]]:
    steps: list[tuple[int, Key, int]] = []
    node = goal
    while node != start:
        previous, key = came_from[node]
        steps.append((previous, key, node))
        node = previous
    return steps[::-1]
