"""From scores to results (issue 4, points 1, 5 and 6): the composite is a weighted mean over
the components present; grades switch exactly at 90% / 80% / 60%; qualitative campaigns are
graded by counts of levels (焦作's 24 leaves); ranking is competition ranking ("1224") with
unscored units last; a veto demotes a blocked grade and bars the honour; advanced units never
exceed the quota, a tie straddling it is left out; 三年一总评 by mean or by grade count."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mofan.evaluations.results import (
    DEFAULT_BANDS,
    DEFAULT_LEVEL_RULES,
    UNGRADED,
    Band,
    LevelRule,
    Result,
    UnitScore,
    apply_veto,
    composite,
    compute_results,
    grade_for_levels,
    grade_for_points,
    level_score,
    quota_for,
    rank,
    select_advanced,
    three_year_overall,
)

D = Decimal
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CJK = re.compile(r"[\u4e00-\u9fff]")
LABELS = ["优秀", "良好", "达标", "不达标"]
Row = tuple[int, int, Decimal | None, str]  # unit, year, score, grade
Rule = Literal["mean", "grade_count"]
RULES: tuple[Rule, ...] = ("mean", "grade_count")

scores_st = st.decimals(min_value=0, max_value=500, places=2)
opt_scores = st.one_of(st.none(), scores_st)


def unit(
    unit_id: int = 1,
    review: str | None = None,
    *,
    name: str | None = None,
    self_score: Decimal | None = None,
    max_points: Decimal | None = None,
    veto: bool = False,
) -> UnitScore:
    return UnitScore(
        unit_id=unit_id,
        name=name or f"单位{unit_id}",
        self_score=self_score,
        review_score=None if review is None else D(review),
        max_points=max_points,
        veto=veto,
    )


def levels(best: int = 0, middle: int = 0, worst: int = 0) -> dict[str, int]:
    return {"达标": best, "基本达标": middle, "未达标": worst}


def result(unit_id: int, score: str | None, grade: str = "优秀", veto: bool = False) -> Result:
    return Result(
        unit_id=unit_id,
        name=f"单位{unit_id:03d}",
        score=None if score is None else D(score),
        grade=grade,
        rank=None,
        veto=veto,
    )


# --- composite --------------------------------------------------------------------------------


def test_default_composite_is_the_review_score() -> None:
    s = UnitScore(1, "甲", self_score=D("99"), review_score=D("87.456"))
    assert composite(s, {"review": D(1)}) == D("87.46")
    assert (
        composite(UnitScore(1, "甲", self_score=D(99), review_score=None), {"review": D(1)}) is None
    )


def test_composite_normalises_over_present_components() -> None:
    weights = {"self": D("0.2"), "review": D("0.6"), "survey": D("0.2")}
    full = UnitScore(1, "甲", self_score=D(90), review_score=D(80), survey=D(70))
    assert composite(full, weights) == D("80.00")
    # no survey: (0.2×90 + 0.6×80) / 0.8 = 82.5, not 66 (as if the survey were 0)
    no_survey = UnitScore(1, "甲", self_score=D(90), review_score=D(80))
    assert composite(no_survey, weights) == D("82.50")
    # scaling all weights changes nothing
    assert composite(no_survey, {k: v * 10 for k, v in weights.items()}) == D("82.50")
    # zero weight is ignored, components not named are ignored
    assert composite(no_survey, {"self": D(0), "review": D(1)}) == D("80.00")
    assert composite(UnitScore(1, "甲", None, None, supervision=D(5)), {"review": D(1)}) is None


def test_composite_rounds_half_up() -> None:
    s = UnitScore(1, "甲", self_score=D("80.00"), review_score=D("80.01"))
    assert composite(s, {"self": D(1), "review": D(1)}) == D("80.01")  # 80.005 → 80.01


def test_composite_refuses_bad_weights_in_chinese() -> None:
    s = UnitScore(1, "甲", None, D(1))
    with pytest.raises(ValueError, match="构成项") as exc:
        composite(s, {"deduction": D(1)})
    assert CJK.search(str(exc.value))
    with pytest.raises(ValueError, match="负数"):
        composite(s, {"review": D(-1)})


@PROPERTY
@given(
    values=st.tuples(opt_scores, opt_scores, opt_scores, opt_scores),
    weights=st.tuples(*[st.decimals(min_value=0, max_value=10, places=1)] * 4),
)
def test_composite_is_a_weighted_mean(
    values: tuple[Decimal | None, ...], weights: tuple[Decimal, ...]
) -> None:
    s = UnitScore(1, "甲", values[0], values[1], survey=values[2], supervision=values[3])
    w = dict(zip(("self", "review", "survey", "supervision"), weights, strict=True))
    got = composite(s, w)
    present = [v for v, wt in zip(values, weights, strict=True) if v is not None and wt > 0]
    if not present:
        assert got is None
        return
    assert got is not None
    assert min(present) - D("0.01") <= got <= max(present) + D("0.01")
    if len(set(present)) == 1:
        assert got == present[0].quantize(D("0.01"))


# --- grades -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("500", "优秀"),
        ("450", "优秀"),
        ("449.99", "良好"),
        ("400", "良好"),
        ("399.99", "达标"),
        ("300", "达标"),
        ("299.99", "不达标"),
        ("0", "不达标"),
        ("-3", "不达标"),
    ],
)
def test_grade_boundaries_are_exact(value: str, expected: str) -> None:
    assert grade_for_points(D(value), D(500), DEFAULT_BANDS) == expected


def test_grade_bands_in_any_order_and_custom() -> None:
    bands = [Band("合格", D("0.6")), Band("优", D("0.95")), Band("不合格", D("0.5"))]
    assert grade_for_points(D(95), D(100), bands) == "优"
    assert grade_for_points(D(70), D(100), bands) == "合格"
    assert grade_for_points(D(10), D(100), bands) == "不合格"  # below every band → lowest
    assert grade_for_points(D("89.99"), D(100)) == "良好"  # the defaults
    with pytest.raises(ValueError, match="满分"):
        grade_for_points(D(1), D(0), DEFAULT_BANDS)


@PROPERTY
@given(a=scores_st, b=scores_st)
def test_grade_is_monotone_in_the_score(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert LABELS.index(grade_for_points(high, D(500))) <= LABELS.index(
        grade_for_points(low, D(500))
    )


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (levels(24), "优秀"),
        (levels(22, 2), "优秀"),  # 22/24 = 91.7% 达标
        (levels(21, 3), "良好"),  # 87.5%
        (levels(23, 0, 1), "良好"),  # one 未达标 bars 优秀
        (levels(18, 5, 1), "良好"),  # 75% exactly
        (levels(18, 4, 2), "达标"),  # two 未达标 bar 良好
        (levels(17, 7), "达标"),  # 70.8% 达标
        (levels(10, 10, 4), "达标"),  # 4/24 = 16.7% 未达标
        (levels(0, 20, 4), "达标"),
        (levels(10, 9, 5), "不达标"),  # 5/24 = 20.8% 未达标
        (levels(0, 0, 24), "不达标"),
        (levels(), UNGRADED),
    ],
)
def test_qualitative_grades_on_the_jiaozuo_shape(counts: dict[str, int], expected: str) -> None:
    assert grade_for_levels(counts, DEFAULT_LEVEL_RULES) == expected


def test_level_rules_are_configurable() -> None:
    rules = [LevelRule("好", min_share_best=D(1)), LevelRule("一般", max_worst=2)]
    assert grade_for_levels(levels(5), rules) == "好"
    assert grade_for_levels(levels(4, 1), rules) == "一般"
    assert grade_for_levels(levels(1, 0, 3), rules) == "一般"  # no rule matches → last label
    assert grade_for_levels({"A": 3, "C": 0}, rules, best="A", worst="C") == "好"
    with pytest.raises(ValueError, match="规则"):
        grade_for_levels(levels(1), [])


@PROPERTY
@given(
    counts=st.tuples(st.integers(0, 24), st.integers(0, 24), st.integers(0, 24)),
    improve=st.sampled_from(["worst→middle", "middle→best", "worst→best"]),
)
def test_improving_a_leaf_never_lowers_the_grade(
    counts: tuple[int, int, int], improve: str
) -> None:
    best, middle, worst = counts
    before = levels(best, middle, worst)
    if improve == "worst→middle" and worst:
        after = levels(best, middle + 1, worst - 1)
    elif improve == "middle→best" and middle:
        after = levels(best + 1, middle - 1, worst)
    elif improve == "worst→best" and worst:
        after = levels(best + 1, middle, worst - 1)
    else:
        return
    g_before, g_after = grade_for_levels(before), grade_for_levels(after)
    assert LABELS.index(g_after) <= LABELS.index(g_before)
    after_score, before_score = level_score(after), level_score(before)
    assert after_score is not None and before_score is not None
    assert after_score > before_score


def test_level_score() -> None:
    assert level_score(levels(24)) == D("100.00")
    assert level_score(levels(12, 12)) == D("75.00")
    assert level_score(levels(0, 0, 24)) == D("0.00")
    assert level_score(levels(1, 1, 1)) == D("50.00")
    assert level_score(levels()) is None


# --- veto -------------------------------------------------------------------------------------


def test_veto_demotes_a_blocked_grade() -> None:
    assert apply_veto("优秀", True, {"优秀"}, LABELS) == "良好"
    assert apply_veto("优秀", True, {"优秀", "良好"}, LABELS) == "达标"
    assert apply_veto("良好", True, {"优秀", "良好"}, LABELS) == "达标"
    assert apply_veto("良好", True, {"优秀"}, LABELS) == "良好"  # not blocked
    assert apply_veto("优秀", False, {"优秀"}, LABELS) == "优秀"  # no veto
    assert apply_veto("达标", True, {"达标", "不达标"}, LABELS) == "不达标"  # all below blocked
    with pytest.raises(ValueError, match="等次"):
        apply_veto("特等", True, {"特等"}, LABELS)


# --- ranking ----------------------------------------------------------------------------------


def test_competition_ranking_1224_with_unscored_last() -> None:
    items = [(4, D(70)), (9, None), (2, D(80)), (1, D(90)), (3, D("80.00")), (5, None)]
    ranks = rank(items)
    assert ranks == {1: 1, 2: 2, 3: 2, 4: 4, 5: None, 9: None}
    assert list(ranks) == [1, 2, 3, 4, 5, 9]  # display order: ties by id, unscored last
    assert rank([]) == {}
    with pytest.raises(ValueError, match="重复"):
        rank([(1, D(1)), (1, D(2))])


ranked_items = st.lists(
    st.tuples(st.integers(1, 200), st.one_of(st.none(), st.sampled_from([D(x) for x in range(8)]))),
    unique_by=lambda item: item[0],
    max_size=30,
)


@PROPERTY
@given(items=ranked_items, data=st.data())
def test_rank_is_permutation_invariant_competition_ranking(
    items: list[tuple[int, Decimal | None]], data: st.DataObject
) -> None:
    ranks = rank(items)
    assert rank(data.draw(st.permutations(items))) == ranks
    scored = [s for _, s in items if s is not None]
    for unit_id, score in items:
        if score is None:
            assert ranks[unit_id] is None
        else:
            assert ranks[unit_id] == 1 + sum(1 for other in scored if other > score)
    order = list(ranks)
    unscored_start = len(scored)
    assert all(ranks[u] is None for u in order[unscored_start:])
    shown = [ranks[u] or 0 for u in order[:unscored_start]]
    assert shown == sorted(shown)
    assert all(ranks[u] is not None for u in order[:unscored_start])


# --- advanced units ---------------------------------------------------------------------------


def test_quota_is_floored() -> None:
    assert quota_for(70, D("0.2")) == 14
    assert quota_for(9, D("0.2")) == 1
    assert quota_for(4, D("0.2")) == 0
    assert quota_for(10, D("-0.5")) == 0


def test_advanced_by_score_within_quota() -> None:
    results = [result(i, str(100 - i)) for i in range(1, 11)]
    assert select_advanced(results, D("0.3"), 10) == [1, 2, 3]
    assert select_advanced(results, D(0), 10) == []


def test_vetoed_and_ineligible_units_are_not_advanced() -> None:
    results = [
        result(1, "99", veto=True),
        result(2, "98", grade="良好"),
        result(3, "97"),
        result(4, None),
        result(5, "96"),
    ]
    assert select_advanced(results, D("0.4"), 5) == [3, 5]
    assert select_advanced(results, D(1), 5, eligible_grades=("优秀", "良好")) == [2, 3, 5]


def test_a_tie_straddling_the_quota_is_left_out() -> None:
    results = [result(1, "95"), result(2, "92"), result(3, "92"), result(4, "90")]
    assert select_advanced(results, D("0.5"), 4) == [1]  # quota 2: the two 92s do not both fit
    assert select_advanced(results, D("0.75"), 4) == [1, 2, 3]  # quota 3: the tie fits
    assert select_advanced(results, D(1), 4) == [1, 2, 3, 4]
    tied = [result(1, "92"), result(2, "92")]
    assert select_advanced(tied, D("0.5"), 2) == []


advanced_results = st.lists(
    st.builds(
        result,
        unit_id=st.integers(1, 300),
        score=st.one_of(st.none(), st.sampled_from(["90", "91", "92", "95", "99"])),
        grade=st.sampled_from(["优秀", "优秀", "良好"]),
        veto=st.booleans(),
    ),
    unique_by=lambda r: r.unit_id,
    max_size=30,
)


@PROPERTY
@given(
    results=advanced_results,
    ratio=st.decimals(min_value=0, max_value=1, places=2),
    data=st.data(),
)
def test_quota_is_never_exceeded_and_selection_is_fair(
    results: list[Result], ratio: Decimal, data: st.DataObject
) -> None:
    enrolled = len(results) + data.draw(st.integers(0, 10))
    quota = quota_for(enrolled, ratio)
    chosen = select_advanced(results, ratio, enrolled)
    assert len(chosen) <= quota
    assert len(set(chosen)) == len(chosen)
    by_id = {r.unit_id: r for r in results}
    eligible = [r for r in results if r.score is not None and not r.veto and r.grade == "优秀"]
    assert all(by_id[u] in eligible for u in chosen)
    for r in eligible:
        at_least = sum(1 for o in eligible if D(o.score or 0) >= D(r.score or 0))
        # chosen exactly when everyone scoring at least as high fits in the quota
        assert (r.unit_id in chosen) == (at_least <= quota)
    scores = [D(by_id[u].score or 0) for u in chosen]
    assert scores == sorted(scores, reverse=True)
    assert select_advanced(data.draw(st.permutations(results)), ratio, enrolled) == chosen


# --- the whole computation --------------------------------------------------------------------


def test_points_campaign_results() -> None:
    five_hundred = D(500)
    scores = [
        unit(1, "480", max_points=five_hundred, name="甲局"),
        unit(2, "470", max_points=five_hundred, name="乙局", veto=True),
        unit(3, "455", max_points=five_hundred, name="丙局"),
        unit(4, "455", max_points=five_hundred, name="丁局"),
        unit(5, "410", max_points=five_hundred, name="戊局"),
        unit(6, "250", max_points=five_hundred, name="己局"),
        unit(7, None, max_points=five_hundred, name="庚局"),
    ]
    out = compute_results(scores, quota_ratio=D("0.3"), enrolled=10)
    # quota floor(10 × 0.3) = 3: 甲 (480) and the 455 tie (丙, 丁) fill it exactly; 乙 is vetoed
    assert [(r.unit_id, r.rank, r.grade, r.advanced) for r in out] == [
        (1, 1, "优秀", True),
        (2, 2, "良好", False),  # vetoed: 优秀 blocked → 良好, never advanced
        (4, 3, "优秀", True),  # tie: shared rank, ordered by name (丁 U+4E01 < 丙 U+4E19)
        (3, 3, "优秀", True),
        (5, 5, "良好", False),  # the next rank skips
        (6, 6, "不达标", False),
        (7, None, UNGRADED, False),  # no score: unranked, last
    ]
    assert out[0].score == D("480.00") and out[-1].score is None
    # quota 2: the tie would overflow, so only 甲
    out2 = compute_results(scores, quota_ratio=D("0.2"), enrolled=10)
    assert [r.unit_id for r in out2 if r.advanced] == [1]


def test_points_campaign_needs_max_points() -> None:
    with pytest.raises(ValueError, match="满分"):
        compute_results([unit(1, "90")])
    # no score: no grade needed
    assert compute_results([unit(1, None)])[0].grade == UNGRADED


def test_composite_weights_flow_into_results() -> None:
    s = unit(1, "80", self_score=D(100), max_points=D(100))
    (r,) = compute_results([s], weights={"self": D("0.5"), "review": D("0.5")})
    assert r.score == D("90.00") and r.grade == "优秀"
    (r,) = compute_results([s])
    assert r.score == D("80.00") and r.grade == "良好"


def test_qualitative_campaign_of_seventy_units() -> None:
    # 焦作: 70 units, 24 qualitative leaves each, quota 20% → at most 14 advanced
    scores = []
    for i in range(1, 71):
        worst = i % 6
        middle = (i * 7) % 5
        best = 24 - worst - middle
        scores.append(
            UnitScore(
                unit_id=i,
                name=f"市直单位{i:02d}",
                self_score=None,
                review_score=None,
                veto=i in (6, 30),
                level_counts=levels(best, middle, worst),
            )
        )
    out = compute_results(scores, qualitative=True)
    by_id = {r.unit_id: r for r in out}
    assert len(out) == 70
    assert all(r.grade in LABELS for r in out)
    assert {r.grade for r in out} >= {"优秀", "良好", "达标"}
    advanced = [r for r in out if r.advanced]
    assert 0 < len(advanced) <= 14
    assert all(r.grade == "优秀" and not r.veto for r in advanced)
    # 6 and 30 have no 未达标 and ≥ 22 达标 (优秀), but are vetoed: 良好 and not advanced
    for vetoed in (6, 30):
        assert grade_for_levels(scores[vetoed - 1].level_counts) == "优秀"
        assert by_id[vetoed].grade == "良好" and not by_id[vetoed].advanced
    assert {r.unit_id for r in advanced} == {18, 36, 48, 60, 66}
    assert [r.rank for r in out] == sorted(r.rank or 0 for r in out)
    for r in out:
        s = next(x for x in scores if x.unit_id == r.unit_id)
        assert r.score == level_score(s.level_counts)
        if not r.veto:
            assert r.grade == grade_for_levels(s.level_counts)


def test_duplicate_units_are_refused() -> None:
    with pytest.raises(ValueError, match="重复"):
        compute_results([unit(1, "1", max_points=D(1)), unit(1, "1", max_points=D(1))])


# --- 三年一总评 ---------------------------------------------------------------------------------


def test_three_year_mean() -> None:
    annual: dict[int, list[tuple[int, Decimal | None, str]]] = {
        2020: [(1, D(450), "优秀"), (2, D(400), "良好"), (3, None, UNGRADED)],
        2021: [(1, D(460), "优秀"), (2, D(380), "达标")],
        2022: [(1, None, UNGRADED), (2, D(431), "良好")],
    }
    overall = three_year_overall(annual, rule="mean", max_points=D(500))
    assert overall == {
        1: (D("455.00"), "优秀"),  # the missing year does not count as 0
        2: (D("403.67"), "良好"),
        3: (None, UNGRADED),
    }
    assert list(overall) == [1, 2, 3]
    with pytest.raises(ValueError, match="满分"):
        three_year_overall(annual, rule="mean")


def test_three_year_grade_count() -> None:
    annual: dict[int, list[tuple[int, Decimal | None, str]]] = {
        2020: [(1, D(95), "优秀"), (2, D(95), "优秀"), (3, D(85), "良好"), (4, D(95), "优秀")],
        2021: [(1, D(85), "良好"), (2, D(85), "良好"), (3, D(70), "达标"), (4, D(70), "达标")],
        2022: [(1, D(95), "优秀"), (2, D(88), "良好"), (3, D(95), "优秀")],
    }
    overall = three_year_overall(annual, rule="grade_count", grade="优秀", times=2)
    assert overall[1] == (D("91.67"), "优秀")  # 优秀 twice
    assert overall[2][1] == "良好"  # 优秀 once, 良好 twice → 良好
    assert overall[3][1] == "良好"  # all three differ → the middle one
    assert overall[4][1] == "达标"  # two years only: the lower of the two
    assert three_year_overall(annual, rule="grade_count", times=3)[1][1] == "优秀"  # median
    assert three_year_overall(annual, rule="grade_count", grade="良好", times=2)[2][1] == "良好"


def test_three_year_grade_count_with_custom_order_and_no_grades() -> None:
    annual = {2020: [(1, None, "甲")], 2021: [(1, None, "乙")], 2022: [(2, None, UNGRADED)]}
    overall = three_year_overall(annual, rule="grade_count", grade="甲", order=["甲", "乙"])
    assert overall == {1: (None, "乙"), 2: (None, UNGRADED)}


def test_three_year_refuses_duplicates() -> None:
    with pytest.raises(ValueError, match="重复"):
        three_year_overall({2020: [(1, D(1), "优秀"), (1, D(2), "优秀")]}, rule="grade_count")


@PROPERTY
@given(
    rows=st.lists(
        st.tuples(
            st.integers(1, 8),
            st.integers(2020, 2022),
            opt_scores,
            st.sampled_from([*LABELS, UNGRADED]),
        ),
        unique_by=lambda row: (row[0], row[1]),
        max_size=24,
    ),
    rule=st.sampled_from(RULES),
    data=st.data(),
)
def test_three_year_is_order_independent_and_bounded(
    rows: list[Row], rule: Rule, data: st.DataObject
) -> None:
    def build(ordered: list[Row]) -> dict[int, list[tuple[int, Decimal | None, str]]]:
        annual: dict[int, list[tuple[int, Decimal | None, str]]] = {}
        for unit_id, year, score, grade in ordered:
            annual.setdefault(year, []).append((unit_id, score, grade))
        return annual

    overall = three_year_overall(build(rows), rule=rule, max_points=D(500))
    shuffled = data.draw(st.permutations(rows))
    assert three_year_overall(build(shuffled), rule=rule, max_points=D(500)) == overall
    for unit_id, (mean, grade) in overall.items():
        own = [s for u, _, s, _ in rows if u == unit_id and s is not None]
        if own:
            assert mean is not None and min(own) <= mean <= max(own)
        else:
            assert mean is None
        assert grade in [*LABELS, UNGRADED]
