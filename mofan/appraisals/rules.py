"""The pure rules of 述职评议: how the panel's votes make a result.

No database access, so the rules are tested with generated votes (tests/appraisals/
test_rules.py). The votes of a secretary are the paper-ballot tallies plus the online ratings,
counted per level.

- Weighted score: the mean of the votes' weights, `WEIGHTS` (好 100, 较好 80, 一般 60, 差 0).
- Result level by score band, `BANDS`: ≥ 90 好, ≥ 75 较好, ≥ 60 一般, below 差.
- Cap: when more than a third of the votes (`POOR_CAP_SHARE`) are 差, the result is 一般 at best.
- No votes: no result.
- Pass rule (`passes`): a secretary passes (合格) with 一般 or better; 差 is 不合格.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

GOOD, FAIRLY_GOOD, AVERAGE, POOR = "good", "fairly_good", "average", "poor"
LEVELS: tuple[str, ...] = (GOOD, FAIRLY_GOOD, AVERAGE, POOR)  # best first
WEIGHTS: Mapping[str, int] = {GOOD: 100, FAIRLY_GOOD: 80, AVERAGE: 60, POOR: 0}
BANDS: tuple[tuple[int, str], ...] = ((90, GOOD), (75, FAIRLY_GOOD), (60, AVERAGE))
POOR_CAP_SHARE = Fraction(1, 3)
PASSING: frozenset[str] = frozenset({GOOD, FAIRLY_GOOD, AVERAGE})


@dataclass(frozen=True)
class Outcome:
    """The votes of one secretary aggregated: counts and shares per level, the weighted score
    and the result level (None when nobody voted)."""

    counts: dict[str, int]
    total: int
    shares: dict[str, Fraction]
    score: Decimal | None
    level: str | None

    def percent(self) -> dict[str, str]:
        """The shares as per cent with one decimal, for pages and the frozen distribution."""
        return {
            level: str(
                (Decimal(s.numerator) * 100 / Decimal(s.denominator)).quantize(Decimal("0.1"))
            )
            for level, s in self.shares.items()
        }


def rank(level: str) -> int:
    """0 for 好 … 3 for 差 (lower is better)."""
    return LEVELS.index(level)


def level_of(score: Fraction, poor_share: Fraction) -> str:
    banded = next((level for floor, level in BANDS if score >= floor), POOR)
    if poor_share > POOR_CAP_SHARE and rank(banded) < rank(AVERAGE):
        return AVERAGE
    return banded


def aggregate(counts: Mapping[str, int]) -> Outcome:
    """The outcome of the votes `counts` (level → number of votes; missing levels are 0,
    negative numbers are refused)."""
    clean = {level: int(counts.get(level, 0)) for level in LEVELS}
    if any(n < 0 for n in clean.values()):
        raise ValueError("negative vote count")
    total = sum(clean.values())
    if total == 0:
        return Outcome(clean, 0, {level: Fraction(0) for level in LEVELS}, None, None)
    shares = {level: Fraction(n, total) for level, n in clean.items()}
    exact = Fraction(sum(WEIGHTS[level] * n for level, n in clean.items()), total)
    score = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return Outcome(clean, total, shares, score, level_of(exact, shares[POOR]))


def passes(level: str | None) -> bool:
    """合格: a result of 一般 or better."""
    return level in PASSING


def meets(level: str | None, required: str) -> bool:
    """A result `level` is at least `required` (no result never meets a requirement; an empty
    requirement is always met)."""
    if not required:
        return True
    if level not in LEVELS or required not in LEVELS:
        return False
    return rank(level) <= rank(required)
