"""The pure rules of 述职评议 with generated votes: shares sum to one, the result never falls
when a vote moves to a better level, no votes give no result, the documented bands and cap."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mofan.appraisals import rules
from mofan.appraisals.models import Level

counts = st.fixed_dictionaries({level: st.integers(0, 200) for level in rules.LEVELS})


def test_levels_follow_the_models_choices_best_first():
    assert tuple(Level.values) == rules.LEVELS
    assert [rules.WEIGHTS[level] for level in rules.LEVELS] == [100, 80, 60, 0]


@given(counts)
def test_shares_sum_to_one_and_counts_are_kept(votes):
    outcome = rules.aggregate(votes)
    assert outcome.counts == votes
    assert outcome.total == sum(votes.values())
    if outcome.total:
        assert sum(outcome.shares.values()) == 1
        assert outcome.level in rules.LEVELS
        assert Decimal(0) <= outcome.score <= Decimal(100)
    else:
        assert outcome.level is None and outcome.score is None


def test_no_votes_no_result():
    outcome = rules.aggregate({})
    assert (outcome.total, outcome.score, outcome.level) == (0, None, None)
    assert not rules.passes(outcome.level)
    assert not rules.meets(outcome.level, "average")


@given(counts, st.sampled_from(rules.LEVELS[1:]), st.data())
def test_a_vote_moved_to_a_better_level_never_lowers_the_result(votes, worse, data):
    if votes[worse] == 0:
        votes = {**votes, worse: 1}
    better = data.draw(st.sampled_from(rules.LEVELS[: rules.rank(worse)]))
    moved = {**votes, worse: votes[worse] - 1, better: votes[better] + 1}
    before, after = rules.aggregate(votes), rules.aggregate(moved)
    assert after.score >= before.score
    assert rules.rank(after.level) <= rules.rank(before.level)


@given(counts, st.sampled_from(rules.LEVELS))
def test_one_more_good_vote_never_lowers_the_result(votes, _any):
    before = rules.aggregate(votes)
    after = rules.aggregate({**votes, "good": votes["good"] + 1})
    if before.level is not None:
        assert rules.rank(after.level) <= rules.rank(before.level)


@given(counts)
def test_more_than_a_third_poor_is_average_at_best(votes):
    outcome = rules.aggregate(votes)
    if outcome.total and Fraction(votes["poor"], outcome.total) > Fraction(1, 3):
        assert rules.rank(outcome.level) >= rules.rank("average")


@pytest.mark.parametrize(
    ("votes", "score", "level"),
    [
        ({"good": 9, "fairly_good": 1}, "98.00", "good"),
        ({"good": 1, "fairly_good": 1}, "90.00", "good"),  # exactly on the band
        ({"good": 1, "fairly_good": 3}, "85.00", "fairly_good"),
        ({"good": 1, "average": 3}, "70.00", "average"),
        ({"average": 1}, "60.00", "average"),
        ({"average": 2, "poor": 1}, "40.00", "poor"),
        # 4 of 10 are 差: the score alone (60) gives 一般; the cap changes nothing there
        ({"good": 6, "poor": 4}, "60.00", "average"),
        # 差 exactly a third: no cap; more than a third: 一般 at best
        ({"good": 20, "poor": 1}, "95.24", "good"),
        ({"good": 2, "poor": 1}, "66.67", "average"),
        ({"good": 1, "fairly_good": 2}, "86.67", "fairly_good"),
    ],
)
def test_documented_bands(votes, score, level):
    outcome = rules.aggregate(votes)
    assert str(outcome.score) == score
    assert outcome.level == level


def test_cap_applies_above_a_third_only():
    # 97.5 without 差 would be 好: with 差 above a third (capped) it is 一般
    assert rules.level_of(Fraction(95), Fraction(34, 100)) == "average"
    assert rules.level_of(Fraction(95), Fraction(1, 3)) == "good"


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        rules.aggregate({"good": -1})


@given(st.sampled_from(rules.LEVELS), st.sampled_from(rules.LEVELS))
def test_meets_is_the_order_of_levels(level, required):
    assert rules.meets(level, required) == (rules.rank(level) <= rules.rank(required))
    assert rules.meets(level, "")
    assert rules.passes(level) == (level != "poor")


def test_percent_shares_for_pages():
    assert rules.aggregate({"good": 2, "fairly_good": 1}).percent() == {
        "good": "66.7",
        "fairly_good": "33.3",
        "average": "0.0",
        "poor": "0.0",
    }
