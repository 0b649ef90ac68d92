"""The expert panel's pure rules: how the experts' scores of a candidate are aggregated, which
candidates still miss scores, and the labels of blind candidates. Plain data in, plain data out.

The aggregation rule (published with the panel): the arithmetic mean of the scores given,
after dropping one highest and one lowest score when five or more experts scored the candidate
(`TRIM_FROM`); rounded half up to two decimals. A candidate no expert scored has no aggregate.
The mean of scores on the 0.01 grid stays within [lowest, highest] after rounding."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

TRIM_FROM = 5  # from this many scores on, the highest and the lowest are dropped
CENT = Decimal("0.01")


def aggregate(scores: Sequence[Decimal]) -> Decimal | None:
    """The panel's score of one candidate from its experts' scores (None without scores)."""
    if not scores:
        return None
    kept = sorted(scores)
    if len(kept) >= TRIM_FROM:
        kept = kept[1:-1]
    return (sum(kept, Decimal(0)) / len(kept)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tally:
    """One candidate's state in the panel: the scores given, how many experts should score it
    (seats minus those who recuse themselves), how many have not, and the aggregate."""

    nomination_id: int
    scores: tuple[Decimal, ...]
    expected: int
    score: Decimal | None

    @property
    def missing(self) -> int:
        return max(0, self.expected - len(self.scores))

    @property
    def trimmed(self) -> bool:
        return len(self.scores) >= TRIM_FROM


def tally(expected: Mapping[int, int], scores: Mapping[int, Sequence[Decimal]]) -> list[Tally]:
    """Each candidate's tally (by nomination id, ascending): `expected` maps a nomination to the
    number of experts who should score it, `scores` to the scores given."""
    return [
        Tally(nid, tuple(sorted(scores.get(nid, ()))), count, aggregate(scores.get(nid, ())))
        for nid, count in sorted(expected.items())
    ]


def blind_labels(nomination_ids: Sequence[int], seed: str) -> dict[int, str]:
    """Letters for blind candidates (候选对象 A, B, ...), in an order fixed by the panel's seed
    and not by the order of nomination (which follows the units)."""

    def key(nid: int) -> str:
        return hashlib.sha256(f"labels:{seed}:{nid}".encode()).hexdigest()

    ordered = sorted(set(nomination_ids), key=lambda nid: (key(nid), nid))
    return {nid: _letters(i) for i, nid in enumerate(ordered)}


def _letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA, ..."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


def masked(text: str, hidden: str, mask: str = "＊＊") -> str:
    """`text` with every occurrence of `hidden` (a nominating unit's name) masked."""
    return text.replace(hidden, mask) if hidden else text
