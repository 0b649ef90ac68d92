"""From unit scores to results: composite score, grade, veto, ranking, advanced units and the
three-year overall evaluation (三年一总评). Pure: plain data in, plain data out; no database.

Documented choices
------------------
* Composite (`composite`): a weighted mean of the components that are present. Weights are
  normalised by the sum of the weights of the present components, so a unit without a survey is
  not dragged down by it; all components must therefore be on the same scale (e.g. points of the
  indicator system; a satisfaction percentage must be rescaled by the caller). Default: the
  review score alone.
* Grades by points (`grade_for_points`): the first band (high → low) whose minimum ratio of the
  maximum points the value reaches, compared exactly (value ≥ ratio × max); below every band →
  the lowest band.
* Grades by levels (`grade_for_levels`, qualitative campaigns): see `DEFAULT_LEVEL_RULES`.
* Qualitative score (`level_score`): for ranking and selection a qualitative unit gets
  100 × (达标 + ½ × 基本达标) / assessed leaves, i.e. a 0–100 达标 rate with half credit for
  基本达标.
* Veto (`apply_veto`): a vetoed unit whose grade is blocked drops to the best unblocked grade
  below it; vetoed units are never advanced.
* Ranking (`rank`): competition ranking "1224"; units without a score are unranked and last.
* Advanced units (`select_advanced`): by score within quota = floor(enrolled × ratio); a tie that
  straddles the quota (`quota_tie`) is left out entirely until the committee decides it (admit
  all, none, or chosen units with a reason); the approval waits for that decision.
* Three-year overall (`three_year_overall`): "mean" of the available annual scores graded
  against the bands, or "grade_count": the target grade if obtained at least `times` times,
  else the median annual grade (for a three-year cycle: the grade obtained twice, if any).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

from django.utils.translation import gettext as _

CENT = Decimal("0.01")
COMPONENTS = ("self", "review", "survey", "supervision")
UNGRADED = ""  # the grade of a unit without a score (or without assessed leaves)

BEST_LEVEL = "达标"
MIDDLE_LEVEL = "基本达标"
WORST_LEVEL = "未达标"


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitScore:
    """One unit's inputs for the result. `max_points` is the indicator system's total (for
    grading by points); `level_counts` counts the unit's leaves per qualitative level, e.g.
    {"达标": 20, "基本达标": 3, "未达标": 1}."""

    unit_id: int
    name: str
    self_score: Decimal | None
    review_score: Decimal | None
    survey: Decimal | None = None
    supervision: Decimal | None = None
    veto: bool = False
    max_points: Decimal | None = None
    level_counts: Mapping[str, int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Band:
    """A grade band: reached when value ≥ min_ratio × max points."""

    label: str
    min_ratio: Decimal


@dataclass(frozen=True)
class LevelRule:
    """A qualitative grade: reached when the share of leaves at the best level (达标) is at least
    `min_share_best`, the number of leaves at the worst level (未达标) is at most `max_worst`
    (None: no limit) and their share at most `max_share_worst` (None: no limit)."""

    label: str
    min_share_best: Decimal = Decimal(0)
    max_worst: int | None = None
    max_share_worst: Decimal | None = None


@dataclass
class Result:
    unit_id: int
    name: str
    score: Decimal | None
    grade: str
    rank: int | None
    veto: bool
    advanced: bool = False


DEFAULT_WEIGHTS: Mapping[str, Decimal] = {"review": Decimal(1)}

DEFAULT_BANDS: tuple[Band, ...] = (
    Band("优秀", Decimal("0.9")),
    Band("良好", Decimal("0.8")),
    Band("达标", Decimal("0.6")),
    Band("不达标", Decimal(0)),
)

# Default qualitative grades, over the assessed leaves (达标 / 基本达标 / 未达标), first match wins:
#   优秀:   ≥ 90% of the leaves 达标 and no leaf 未达标;
#   良好:   ≥ 75% 达标 and at most one leaf 未达标;
#   达标:   at most 20% of the leaves 未达标;
#   不达标: otherwise.
# On the 24 leaves of the 焦作 2020 points: 优秀 needs ≥ 22 达标 and 0 未达标; 良好 ≥ 18 达标 and
# ≤ 1 未达标; 达标 ≤ 4 未达标. The labels match DEFAULT_BANDS, so honours and veto blocks read
# the same in qualitative and points campaigns.
DEFAULT_LEVEL_RULES: tuple[LevelRule, ...] = (
    LevelRule("优秀", min_share_best=Decimal("0.9"), max_worst=0),
    LevelRule("良好", min_share_best=Decimal("0.75"), max_worst=1),
    LevelRule("达标", max_share_worst=Decimal("0.2")),
    LevelRule("不达标"),
)

DEFAULT_VETO_BLOCKS: tuple[str, ...] = ("优秀",)
DEFAULT_QUOTA_RATIO = Decimal("0.2")
DEFAULT_ELIGIBLE_GRADES: tuple[str, ...] = ("优秀",)


# --- composite and grades ---------------------------------------------------------------------


def composite(score: UnitScore, weights: Mapping[str, Decimal]) -> Decimal | None:
    """The weighted mean of the components named in `weights` ("self", "review", "survey",
    "supervision") that the unit has: Σ wᵢ·xᵢ / Σ wᵢ over the present components, rounded to
    0.01 half-up. A missing component is left out of both sums rather than counted as 0, so
    it neither lowers nor raises the score; components must share one scale. None when no
    component with a positive weight is present."""
    values = {
        "self": score.self_score,
        "review": score.review_score,
        "survey": score.survey,
        "supervision": score.supervision,
    }
    total = Decimal(0)
    weight_sum = Decimal(0)
    for key, weight in weights.items():
        if key not in values:
            raise ValueError(_("未知的综合得分构成项：%(key)s。") % {"key": key})
        if weight < 0:
            raise ValueError(_("综合得分的权重不能为负数。"))
        value = values[key]
        if value is None or weight == 0:
            continue
        total += weight * value
        weight_sum += weight
    if weight_sum == 0:
        return None
    return _q(total / weight_sum)


def _sorted_bands(bands: Sequence[Band]) -> list[Band]:
    if not bands:
        raise ValueError(_("未设置等次。"))
    return sorted(bands, key=lambda b: b.min_ratio, reverse=True)


def grade_for_points(
    value: Decimal, max_points: Decimal, bands: Sequence[Band] = DEFAULT_BANDS
) -> str:
    """The label of the first band (high → low) with value ≥ min_ratio × max_points (exact, no
    division); a value below every band gets the lowest band."""
    if max_points <= 0:
        raise ValueError(_("满分必须大于 0，才能按得分评定等次。"))
    ordered = _sorted_bands(bands)
    for band in ordered:
        if value >= band.min_ratio * max_points:
            return band.label
    return ordered[-1].label


def grade_for_levels(
    level_counts: Mapping[str, int],
    rules: Sequence[LevelRule] = DEFAULT_LEVEL_RULES,
    *,
    best: str = BEST_LEVEL,
    worst: str = WORST_LEVEL,
) -> str:
    """The first rule (in the given order) the level counts satisfy; none → the last rule's
    label. Shares are over all assessed leaves (every label counted); no assessed leaf →
    `UNGRADED`."""
    if not rules:
        raise ValueError(_("未设置定性考评的等次规则。"))
    total = sum(n for n in level_counts.values() if n > 0)
    if total == 0:
        return UNGRADED
    n_best = level_counts.get(best, 0)
    n_worst = level_counts.get(worst, 0)
    for rule in rules:
        if n_best < rule.min_share_best * total:
            continue
        if rule.max_worst is not None and n_worst > rule.max_worst:
            continue
        if rule.max_share_worst is not None and n_worst > rule.max_share_worst * total:
            continue
        return rule.label
    return rules[-1].label


def level_score(
    level_counts: Mapping[str, int], *, best: str = BEST_LEVEL, worst: str = WORST_LEVEL
) -> Decimal | None:
    """A 0–100 score for a qualitative unit: 100 × (best + ½ × other non-worst levels) / all
    assessed leaves, rounded to 0.01; None when no leaf is assessed."""
    total = sum(n for n in level_counts.values() if n > 0)
    if total == 0:
        return None
    credit = Decimal(0)
    for label, n in level_counts.items():
        if n <= 0 or label == worst:
            continue
        credit += Decimal(n) if label == best else Decimal(n) / 2
    return _q(credit * 100 / total)


def apply_veto(grade: str, veto: bool, blocks: Collection[str], bands: Sequence[str]) -> str:
    """A vetoed unit cannot keep a grade in `blocks`: it drops to the best band below its grade
    (bands listed best → worst) that is not blocked; if every band below is blocked, the worst
    band. Without a veto, or for an unblocked grade, the grade is unchanged."""
    if not veto or grade not in blocks:
        return grade
    if grade not in bands:
        raise ValueError(_("等次“%(grade)s”不在等次序列中。") % {"grade": grade})
    below = list(bands)[list(bands).index(grade) + 1 :]
    for label in below:
        if label not in blocks:
            return label
    return bands[-1]


# --- ranking and honours ----------------------------------------------------------------------


def _display_key(unit_id: int, score: Decimal | None) -> tuple[int, Decimal, int]:
    return (1, Decimal(0), unit_id) if score is None else (0, -score, unit_id)


def rank(items: Sequence[tuple[int, Decimal | None]]) -> dict[int, int | None]:
    """Competition ranking ("1224"): a unit's rank is 1 + the number of units with a strictly
    higher score, so equal scores share a rank and the next rank skips. Units without a score
    get None. The returned dict is in display order: score high → low, ties by unit id, then
    the unscored units by id. Invariant under the order of `items`."""
    ids = [unit_id for unit_id, _score in items]
    if len(set(ids)) != len(ids):
        raise ValueError(_("排名名单中有重复的单位。"))
    ordered = sorted(items, key=lambda item: _display_key(*item))
    result: dict[int, int | None] = {}
    previous: Decimal | None = None
    current = 0
    for position, (unit_id, score) in enumerate(ordered, start=1):
        if score is None:
            result[unit_id] = None
            continue
        if previous is None or score != previous:
            current, previous = position, score
        result[unit_id] = current
    return result


def quota_for(enrolled: int, quota_ratio: Decimal) -> int:
    """floor(enrolled × quota_ratio), at least 0."""
    return max(0, int((Decimal(enrolled) * quota_ratio).to_integral_value(rounding=ROUND_FLOOR)))


@dataclass(frozen=True)
class Tie:
    """Units tied on one score across the 先进 quota line: taking all of them would exceed the
    quota, taking none leaves `seats` places empty (issue 14: the committee decides)."""

    score: Decimal
    tied: tuple[int, ...]  # the tied units' keys, sorted
    seats: int  # quota places left for them


def _advanced_pool(results: Sequence[Result], eligible_grades: Collection[str]) -> list[Result]:
    return sorted(
        (r for r in results if r.score is not None and not r.veto and r.grade in eligible_grades),
        key=lambda r: (-r.score if r.score is not None else Decimal(0), r.name, r.unit_id),
    )


def _groups(pool: list[Result]) -> list[list[Result]]:
    groups: list[list[Result]] = []
    for r in pool:
        if groups and groups[-1][0].score == r.score:
            groups[-1].append(r)
        else:
            groups.append([r])
    return groups


def quota_tie(
    results: Sequence[Result],
    quota_ratio: Decimal,
    enrolled: int,
    eligible_grades: Collection[str] = DEFAULT_ELIGIBLE_GRADES,
) -> Tie | None:
    """The tie that straddles the quota line, if any."""
    quota = quota_for(enrolled, quota_ratio)
    taken = 0
    for group in _groups(_advanced_pool(results, eligible_grades)):
        if taken + len(group) > quota:
            if taken == quota:
                return None  # the line falls exactly between two scores
            score = group[0].score
            assert score is not None
            return Tie(score, tuple(sorted(r.unit_id for r in group)), quota - taken)
        taken += len(group)
    return None


Decision = tuple[Decimal, Collection[int], Collection[int]]  # (score, tied, admitted)


def admitted_for(tie: Tie | None, decision: Decision | None) -> set[int] | None:
    """The committee's admitted units for `tie` when its recorded decision (score, tied,
    admitted) is about this very tie; None when there is no tie, no decision, or the decision
    was about another one (scores changed since)."""
    if tie is None or decision is None:
        return None
    score, tied, admitted = decision
    if Decimal(score) != tie.score or set(tied) != set(tie.tied):
        return None
    return set(admitted)


def select_advanced(
    results: Sequence[Result],
    quota_ratio: Decimal,
    enrolled: int,
    eligible_grades: Collection[str] = DEFAULT_ELIGIBLE_GRADES,
    admitted: Collection[int] | None = None,
) -> list[int]:
    """The advanced units (先进单位): among the units with a score, no veto and an eligible
    grade, the best by score, at most floor(enrolled × quota_ratio). Strict quota: units with
    equal scores are taken together or not at all, so when a tie straddles the quota boundary
    none of the tied units is taken — unless the committee decided that tie (`admitted`: the
    tied units it admits, all, none or a chosen few; see `quota_tie`). Returned in rank order
    (score high → low, then name, then id)."""
    quota = quota_for(enrolled, quota_ratio)
    chosen: list[int] = []
    for group in _groups(_advanced_pool(results, eligible_grades)):
        if len(chosen) + len(group) > quota:
            if admitted is not None:
                chosen.extend(r.unit_id for r in group if r.unit_id in admitted)
            break
        chosen.extend(r.unit_id for r in group)
    return chosen


def compute_results(
    scores: Sequence[UnitScore],
    *,
    weights: Mapping[str, Decimal] = DEFAULT_WEIGHTS,
    bands: Sequence[Band] = DEFAULT_BANDS,
    level_rules: Sequence[LevelRule] = DEFAULT_LEVEL_RULES,
    veto_blocks: Collection[str] = DEFAULT_VETO_BLOCKS,
    quota_ratio: Decimal = DEFAULT_QUOTA_RATIO,
    qualitative: bool = False,
    enrolled: int | None = None,
    eligible_grades: Collection[str] = DEFAULT_ELIGIBLE_GRADES,
) -> list[Result]:
    """Every unit's result, sorted by rank (unranked last), then name, then id.

    Points campaigns: score = `composite(weights)`, grade = `grade_for_points` against the
    unit's `max_points` (a unit with a score but no max points raises ValueError). Qualitative
    campaigns: grade = `grade_for_levels(level_counts, level_rules)`, score = `level_score`.
    Then the veto demotes blocked grades, units are ranked, and advanced units are chosen within
    the quota of `enrolled` (default: the number of units given)."""
    ids = [s.unit_id for s in scores]
    if len(set(ids)) != len(ids):
        raise ValueError(_("成绩名单中有重复的单位。"))
    if qualitative:
        labels = [r.label for r in level_rules]
    else:
        labels = [b.label for b in _sorted_bands(bands)]
    results: list[Result] = []
    for s in scores:
        if qualitative:
            value = level_score(s.level_counts)
            grade = grade_for_levels(s.level_counts, level_rules)
        else:
            value = composite(s, weights)
            if value is None:
                grade = UNGRADED
            elif s.max_points is None:
                raise ValueError(
                    _("单位“%(name)s”缺少满分，无法按得分评定等次。") % {"name": s.name}
                )
            else:
                grade = grade_for_points(value, s.max_points, bands)
        if grade != UNGRADED:
            grade = apply_veto(grade, s.veto, veto_blocks, labels)
        results.append(
            Result(unit_id=s.unit_id, name=s.name, score=value, grade=grade, rank=None, veto=s.veto)
        )
    ranks = rank([(r.unit_id, r.score) for r in results])
    for r in results:
        r.rank = ranks[r.unit_id]
    advanced = set(
        select_advanced(
            results,
            quota_ratio,
            len(scores) if enrolled is None else enrolled,
            eligible_grades,
        )
    )
    for r in results:
        r.advanced = r.unit_id in advanced
    return sorted(
        results,
        key=lambda r: (r.rank is None, r.rank or 0, r.name, r.unit_id),
    )


# --- three-year overall evaluation (三年一总评) ------------------------------------------------


def three_year_overall(
    annual: Mapping[int, Sequence[tuple[int, Decimal | None, str]]],
    *,
    rule: Literal["mean", "grade_count"],
    grade: str = "优秀",
    times: int = 2,
    max_points: Decimal | None = None,
    bands: Sequence[Band] = DEFAULT_BANDS,
    order: Sequence[str] | None = None,
) -> dict[int, tuple[Decimal | None, str]]:
    """Combine the annual results of a cycle, `annual` = {year: [(unit_id, score, grade), …]},
    into {unit_id: (score, grade)}, keys in ascending unit id. Years in which a unit has no score
    (None) or no grade (`UNGRADED`) are left out for that part; a unit with none gets
    (None, UNGRADED).

    * "mean": score = mean of the available annual scores (0.01 half-up); grade =
      `grade_for_points(score, max_points, bands)`. The annual scores must share one scale,
      `max_points` (required); rescale first if the indicator system changed within the cycle.
    * "grade_count": score = the same mean (for display and ordering); grade = `grade` if the
      unit obtained it in at least `times` years; otherwise the median annual grade in `order`
      (grade labels best → worst; default: the labels of `bands`, which are also the default
      qualitative grades); for an even count, the lower of the two middle grades. For a
      three-year cycle this is the grade obtained at least twice when there is one, and the
      middle one when all three differ. Grades not in `order` are ignored.
    """
    if rule not in ("mean", "grade_count"):
        raise ValueError(f"unknown rule: {rule!r}")
    if rule == "mean" and (max_points is None or max_points <= 0):
        raise ValueError(_("按年度平均分总评时必须提供大于 0 的满分。"))
    labels = list(order) if order is not None else [b.label for b in _sorted_bands(bands)]
    position = {label: i for i, label in enumerate(labels)}
    scores: dict[int, list[Decimal]] = {}
    grades: dict[int, list[str]] = {}
    for year in sorted(annual):
        seen: set[int] = set()
        for unit_id, score, annual_grade in annual[year]:
            if unit_id in seen:
                raise ValueError(
                    _("%(year)s 年度的成绩中有重复的单位（编号 %(unit)s）。")
                    % {"year": year, "unit": unit_id}
                )
            seen.add(unit_id)
            scores.setdefault(unit_id, [])
            grades.setdefault(unit_id, [])
            if score is not None:
                scores[unit_id].append(score)
            if annual_grade in position:
                grades[unit_id].append(annual_grade)
    overall: dict[int, tuple[Decimal | None, str]] = {}
    for unit_id in sorted(scores):
        values = scores[unit_id]
        mean = _q(sum(values, Decimal(0)) / len(values)) if values else None
        if rule == "mean":
            label = (
                UNGRADED
                if mean is None or max_points is None
                else grade_for_points(mean, max_points, bands)
            )
        else:
            got = grades[unit_id]
            if not got:
                label = UNGRADED
            elif got.count(grade) >= times:
                label = grade
            else:
                ranked = sorted(got, key=position.__getitem__)
                label = ranked[len(ranked) // 2]
        overall[unit_id] = (mean, label)
    return overall
