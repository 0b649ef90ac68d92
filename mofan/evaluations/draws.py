"""Reproducible random draws (双随机、一公开) and review-group assignment. Pure: plain data in,
plain data out; no database.

Reproducibility. Every draw is a function of its inputs and a recorded seed, so anyone holding
the published seed and the list of units/reviewers can repeat it and get the same result:

* `rng_for(seed, purpose)` seeds a `random.Random` with the integer value of
  SHA-256(f"{purpose}:{seed}") (never `hash()`, which is salted per process).
* The draws below use only `Random.random()`, the one method whose output sequence Python
  guarantees across versions for a given seed; integers, shuffles and choices are derived from
  it here (`_below`, `_shuffle`), not through `randrange`/`shuffle`/`sample`, whose algorithms
  may change between Python releases.
* Inputs are sorted (by id) before the generator is used, so the order in which the caller lists
  units, groups or candidates does not matter; only the set and the seed do.
* Each kind of draw uses its own purpose ("assign", "reviewers", "inspectors", or the caller's
  purpose for a sample), so one seed can drive several independent draws of a campaign.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from django.utils.translation import gettext as _

T = TypeVar("T")

_FLOAT_BITS = 53  # Random.random() returns k / 2**53 for an integer k
_FLOAT_SCALE = 1 << _FLOAT_BITS


class DrawError(ValueError):
    """The draw cannot be made as asked; the message (Chinese) is shown to the committee."""


@dataclass(frozen=True)
class Candidate:
    """Someone or something that can be drawn: a unit, a reviewer, an inspector. `home_unit_id`
    is the unit a person belongs to (None for outside experts); `stratum` groups candidates for
    stratified sampling (e.g. a unit category)."""

    id: int
    home_unit_id: int | None
    stratum: str = ""


@dataclass(frozen=True)
class GroupSpec:
    """A review group: its id and the home units of its members (conflict of interest)."""

    id: int
    member_home_units: frozenset[int]


# --- the generator ----------------------------------------------------------------------------


def make_seed() -> str:
    """A fresh random seed to record with a draw (16 hex digits)."""
    return secrets.token_hex(8)


def rng_for(seed: str, purpose: str) -> random.Random:
    """A generator determined by (seed, purpose) alone, the same on every machine and Python."""
    digest = hashlib.sha256(f"{purpose}:{seed}".encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _below(rng: random.Random, n: int) -> int:
    """A uniform integer in [0, n) from `rng.random()` only (exact: rejection sampling over the
    53 bits of each float)."""
    if not 0 < n <= _FLOAT_SCALE:
        raise ValueError(f"n out of range: {n}")
    if n == 1:
        return 0
    limit = _FLOAT_SCALE - _FLOAT_SCALE % n
    while True:
        k = int(rng.random() * _FLOAT_SCALE)
        if k < limit:
            return k % n


def _shuffle(rng: random.Random, items: list[T]) -> None:
    """Fisher–Yates shuffle in place, driven by `_below`."""
    for i in range(len(items) - 1, 0, -1):
        j = _below(rng, i + 1)
        items[i], items[j] = items[j], items[i]


def _choice(rng: random.Random, items: Sequence[T]) -> T:
    return items[_below(rng, len(items))]


def _sample(rng: random.Random, items: Sequence[T], n: int) -> list[T]:
    """n distinct items, uniformly (partial Fisher–Yates over a copy)."""
    pool = list(items)
    for i in range(n):
        j = i + _below(rng, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:n]


# --- assigning units to review groups ---------------------------------------------------------


def assign_units(
    *,
    unit_ids: Sequence[int],
    groups: Sequence[GroupSpec],
    seed: str,
    method: Literal["balanced", "random"],
) -> dict[int, int]:
    """Map each unit id to a review group id.

    A unit is never assigned to a group that has a member whose home unit is that unit
    (conflict of interest); a unit with no such group raises `DrawError`.

    * "random": in ascending unit order, each unit goes to a uniformly random eligible group.
    * "balanced": the units (sorted, then shuffled by the seeded generator) are dealt one by one
      to the least-loaded eligible group, ties broken by the generator. When conflicts make every
      eligible group of a unit heavier than some other group, earlier units are shifted along an
      alternating path (unit → another of its eligible groups → …) to the lightest group that
      can be reached, so the result is an optimal semi-matching: group sizes differ by at most 1
      whenever any conflict-free assignment allows it, and otherwise the spread is the smallest
      possible (the largest group is as small, and the smallest as large, as conflicts allow).

    The result depends only on the sets of units and groups (with their members' home units), the
    method and the seed: never on the order of the input sequences.
    """
    if method not in ("balanced", "random"):
        raise ValueError(f"unknown assignment method: {method!r}")
    units = sorted(unit_ids)
    if len(set(units)) != len(units):
        raise DrawError(_("单位名单中有重复的单位，无法分配。"))
    if not units:
        return {}
    specs = sorted(groups, key=lambda g: g.id)
    group_ids = [g.id for g in specs]
    if not group_ids:
        raise DrawError(_("尚未组建评审组，无法分配单位。"))
    if len(set(group_ids)) != len(group_ids):
        raise DrawError(_("评审组编号重复，无法分配。"))
    homes = {g.id: g.member_home_units for g in specs}

    def eligible(unit: int) -> list[int]:
        return [gid for gid in group_ids if unit not in homes[gid]]

    for unit in units:
        if not eligible(unit):
            raise DrawError(
                _("单位（编号 %(unit)s）在每个评审组中都有本单位的评审人员，没有可回避的评审组。")
                % {"unit": unit}
            )

    rng = rng_for(seed, "assign")
    if method == "random":
        return {unit: _choice(rng, eligible(unit)) for unit in units}
    order = list(units)
    _shuffle(rng, order)
    return _balanced(order, group_ids, eligible, rng)


def _balanced(
    order: Sequence[int],
    group_ids: Sequence[int],
    eligible: Callable[[int], list[int]],
    rng: random.Random,
) -> dict[int, int]:
    """Harvey et al.'s ASM2: each new unit is placed by an augmenting path to the least-loaded
    group reachable from it; the final assignment is an optimal semi-matching."""
    members: dict[int, dict[int, None]] = {gid: {} for gid in group_ids}  # insertion-ordered sets
    where: dict[int, int] = {}
    cache: dict[int, list[int]] = {}

    def elig(unit: int) -> list[int]:
        if unit not in cache:
            cache[unit] = eligible(unit)
        return cache[unit]

    for unit in order:
        direct = elig(unit)
        lightest = min(len(members[g]) for g in group_ids)
        best = min(len(members[g]) for g in direct)
        if best == lightest:
            target = _choice(rng, [g for g in direct if len(members[g]) == best])
            members[target][unit] = None
            where[unit] = target
            continue
        # Breadth-first search over groups: from a group, any unit in it may move to another of
        # its eligible groups. Stop at the first group as light as the lightest overall.
        parent: dict[int, tuple[int, int] | None] = {g: None for g in direct}
        queue = deque(direct)
        target = min(direct, key=lambda g: len(members[g]))  # first lightest in BFS order
        while queue:
            gid = queue.popleft()
            if len(members[gid]) < len(members[target]):
                target = gid
                if len(members[gid]) == lightest:
                    break
            for moved in members[gid]:
                for nxt in elig(moved):
                    if nxt not in parent:
                        parent[nxt] = (gid, moved)
                        queue.append(nxt)
        # Shift the units along the path, then place the new unit at its start.
        node = target
        step = parent[node]
        while step is not None:
            prev, moved = step
            del members[prev][moved]
            members[node][moved] = None
            where[moved] = node
            node = prev
            step = parent[node]
        members[node][unit] = None
        where[unit] = node
    return {unit: where[unit] for unit in sorted(where)}


# --- samples: spot checks, inspectors, reviewers ----------------------------------------------


def allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Split n across strata in proportion to their sizes by the largest-remainder (Hamilton)
    method: each stratum gets floor(n × size / total); the seats left go one each to the strata
    with the largest remainders, ties to the larger stratum, then to the stratum name in
    ascending order. Deterministic; no stratum gets more than its size (n ≤ total)."""
    total = sum(sizes.values())
    if n < 0 or any(size < 0 for size in sizes.values()):
        raise DrawError(_("抽取数量不能为负数。"))
    if n > total:
        raise DrawError(
            _("可抽取的对象不足：需要抽取 %(n)s 个，只有 %(m)s 个可选。") % {"n": n, "m": total}
        )
    if total == 0:
        return {name: 0 for name in sizes}
    shares = {name: divmod(n * size, total) for name, size in sizes.items()}
    result = {name: whole for name, (whole, _rest) in shares.items()}
    left = n - sum(result.values())
    by_remainder = sorted(sizes, key=lambda name: (-shares[name][1], -sizes[name], name))
    for name in by_remainder[:left]:
        result[name] += 1
    return result


def draw_sample(
    *,
    candidates: Sequence[Candidate],
    n: int,
    seed: str,
    purpose: str,
    strata: bool = False,
    exclude: Collection[int] = (),
) -> list[int]:
    """n distinct candidate ids drawn uniformly at random (excluded ids never), sorted.

    With `strata=True`, n is first split across the candidates' strata in proportion to the
    number of drawable candidates in each (`allocate`), then each stratum is sampled in
    ascending stratum order with the same generator. Raises `DrawError` when fewer than n
    candidates can be drawn."""
    if n < 0:
        raise DrawError(_("抽取数量不能为负数。"))
    ids = [c.id for c in candidates]
    if len(set(ids)) != len(ids):
        raise DrawError(_("候选名单中有重复的对象，无法抽取。"))
    excluded = set(exclude)
    pool = sorted((c for c in candidates if c.id not in excluded), key=lambda c: c.id)
    if n > len(pool):
        raise DrawError(
            _("可抽取的对象不足：需要抽取 %(n)s 个，只有 %(m)s 个可选。") % {"n": n, "m": len(pool)}
        )
    rng = rng_for(seed, purpose)
    if not strata:
        return sorted(_sample(rng, [c.id for c in pool], n))
    by_stratum: dict[str, list[int]] = {}
    for c in pool:
        by_stratum.setdefault(c.stratum, []).append(c.id)
    quotas = allocate({name: len(members) for name, members in by_stratum.items()}, n)
    chosen: list[int] = []
    for name in sorted(by_stratum):
        chosen.extend(_sample(rng, by_stratum[name], quotas[name]))
    return sorted(chosen)


def draw_inspectors(
    *,
    inspectors: Sequence[Candidate],
    n: int,
    seed: str,
    avoid_units: Collection[int],
) -> list[int]:
    """n inspectors drawn at random (purpose "inspectors"), never one whose home unit is among
    `avoid_units` (the units they would inspect), sorted."""
    avoid = set(avoid_units)
    conflicted = [
        i.id for i in inspectors if i.home_unit_id is not None and i.home_unit_id in avoid
    ]
    free = len({i.id for i in inspectors}) - len(set(conflicted))
    if n > free:
        raise DrawError(
            _("可抽取的检查人员不足：需要 %(n)s 名，回避被检查单位后只有 %(m)s 名。")
            % {"n": n, "m": free}
        )
    return draw_sample(
        candidates=inspectors, n=n, seed=seed, purpose="inspectors", exclude=conflicted
    )


def pick_reviewers(
    *,
    reviewers: Sequence[Candidate],
    groups: int,
    per_group: int,
    seed: str,
) -> list[list[int]]:
    """Draw reviewers at random into `groups` groups of `per_group` (purpose "reviewers"): the
    pool (sorted by id) is shuffled and dealt in order; the first id of each list is the group
    leader. Raises `DrawError` when the pool is too small."""
    if groups < 1 or per_group < 1:
        raise DrawError(_("评审组数量和每组人数都至少为 1。"))
    ids = sorted(r.id for r in reviewers)
    if len(set(ids)) != len(ids):
        raise DrawError(_("评审人员名单中有重复的人员，无法抽取。"))
    need = groups * per_group
    if need > len(ids):
        raise DrawError(
            _("评审人员不足：组建 %(g)s 个评审组、每组 %(p)s 人需要 %(n)s 人，库中只有 %(m)s 人。")
            % {"g": groups, "p": per_group, "n": need, "m": len(ids)}
        )
    chosen = _sample(rng_for(seed, "reviewers"), ids, need)
    return [chosen[i * per_group : (i + 1) * per_group] for i in range(groups)]
