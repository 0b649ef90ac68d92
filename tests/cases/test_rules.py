"""The pure rules of a call: the criteria as typed, an expert's points, the consolidation and
the ranking, with generated inputs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mofan.cases import rules

names = st.text(alphabet="特色鲜明成效显著可复制推广材料规范", min_size=1, max_size=10)
criteria_lists = st.lists(
    st.fixed_dictionaries({"name": names, "points": st.integers(1, 100)}),
    min_size=1,
    max_size=rules.MAX_CRITERIA,
    unique_by=lambda c: c["name"],
)


@given(criteria_lists)
def test_criteria_read_back_as_written(criteria):
    assert rules.parse_criteria(rules.criteria_text(criteria)) == criteria


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "至少"),
        ("特色鲜明", "名称:分值"),
        ("特色鲜明:abc", "名称:分值"),
        ("特色鲜明:0", "1至100"),
        ("特色鲜明:101", "1至100"),
        ("特色鲜明:30\n特色鲜明:20", "重复"),
        ("\n".join(f"标准{i}:5" for i in range(11)), "不超过"),
    ],
)
def test_malformed_criteria_are_refused_in_chinese(text, message):
    with pytest.raises(ValueError, match=message):
        rules.parse_criteria(text)


def test_a_full_width_colon_is_read():
    assert rules.parse_criteria("特色鲜明：30") == [{"name": "特色鲜明", "points": 30}]


@given(criteria_lists, st.data())
def test_points_within_the_criteria_pass_and_any_outside_fails(criteria, data):
    points = [data.draw(st.integers(0, c["points"])) for c in criteria]
    assert rules.points_refusal(points, criteria) == ""
    i = data.draw(st.integers(0, len(criteria) - 1))
    bad = list(points)
    bad[i] = data.draw(st.one_of(st.integers(-50, -1), st.integers(criteria[i]["points"] + 1, 500)))
    assert criteria[i]["name"] in rules.points_refusal(bad, criteria)
    assert rules.points_refusal(points[:-1], criteria) != ""


totals = st.lists(st.integers(0, 100).map(Decimal), max_size=9)


@given(totals)
def test_the_consolidated_score_lies_between_the_lowest_and_highest(given_totals):
    score = rules.consolidate(given_totals)
    if not given_totals:
        assert score is None
    else:
        assert min(given_totals) <= score <= max(given_totals)


@given(st.lists(st.integers(0, 100).map(Decimal), min_size=5, max_size=9))
def test_from_five_experts_one_outlier_does_not_move_the_score(given_totals):
    ordered = sorted(given_totals)
    assert rules.consolidate([*ordered[:-1], Decimal(10_000)]) == rules.consolidate(ordered)
    assert rules.consolidate([Decimal(-10_000), *ordered[1:]]) == rules.consolidate(ordered)


def test_five_experts_drop_the_highest_and_lowest():
    assert rules.consolidate([Decimal(v) for v in (10, 80, 80, 90, 100)]) == Decimal("83.33")
    assert rules.consolidate([Decimal(v) for v in (10, 80, 90, 100)]) == Decimal("70.00")


scores = st.dictionaries(
    st.integers(1, 50), st.one_of(st.none(), st.integers(0, 20).map(Decimal)), max_size=12
)


@given(scores)
def test_ranks_follow_the_scores(case_scores):
    ranks = rules.ranks(case_scores)
    assert set(ranks) == {cid for cid, s in case_scores.items() if s is not None}
    for a, ra in ranks.items():
        higher = sum(1 for s in case_scores.values() if s is not None and s > case_scores[a])
        assert ra == higher + 1
