"""The expert panel's pure rules with generated inputs: the aggregate does not depend on the
order of the scores, stays within the lowest and highest score, drops one highest and one lowest
from five scores on, and a candidate missing scores is flagged."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mofan.honours import panel_rules

score = st.integers(0, 10000).map(lambda cents: Decimal(cents) / 100)
score_lists = st.lists(score, min_size=1, max_size=15)


@given(score_lists, st.randoms(use_true_random=False))
def test_the_aggregate_does_not_depend_on_the_order_of_the_scores(scores, rnd):
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    assert panel_rules.aggregate(shuffled) == panel_rules.aggregate(scores)


@given(score_lists)
def test_the_aggregate_stays_within_the_lowest_and_highest_score(scores):
    result = panel_rules.aggregate(scores)
    assert result is not None
    assert min(scores) <= result <= max(scores)
    assert result == result.quantize(Decimal("0.01"))


@given(score_lists)
def test_from_five_scores_on_one_highest_and_one_lowest_are_dropped(scores):
    result = panel_rules.aggregate(scores)
    ordered = sorted(scores)
    kept = ordered[1:-1] if len(scores) >= panel_rules.TRIM_FROM else ordered
    assert result == (sum(kept) / len(kept)).quantize(Decimal("0.01"), "ROUND_HALF_UP")


@given(st.lists(score, min_size=3, max_size=15))
def test_an_extreme_score_at_each_end_is_dropped_from_five_on(scores):
    """A lowest and a highest score added to three or more scores leave the mean of those."""
    widened = [*scores, min(scores) - 1, max(scores) + 1]
    mean = (sum(scores) / len(scores)).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    assert panel_rules.aggregate(widened) == mean


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], None),
        (["80"], "80.00"),
        (["80", "90", "71"], "80.33"),
        (["80", "90", "70", "60"], "75.00"),
        (["0", "80", "90", "70", "100"], "80.00"),  # 0 and 100 dropped
        (["60.5", "60.5", "60.5", "60.5", "99"], "60.50"),
    ],
)
def test_worked_examples(scores, expected):
    got = panel_rules.aggregate([Decimal(s) for s in scores])
    assert (got is None and expected is None) or got == Decimal(expected)


@given(st.dictionaries(st.integers(1, 50), st.integers(0, 9)), st.data())
def test_a_candidate_with_fewer_scores_than_experts_is_flagged(expected, data):
    scores = {nid: data.draw(st.lists(score, max_size=count)) for nid, count in expected.items()}
    tallies = panel_rules.tally(expected, scores)
    assert [t.nomination_id for t in tallies] == sorted(expected)
    for t in tallies:
        assert t.missing == expected[t.nomination_id] - len(scores[t.nomination_id])
        assert (t.score is None) == (not scores[t.nomination_id])


@given(st.sets(st.integers(1, 10**6), max_size=60), st.text(max_size=16))
def test_blind_labels_are_distinct_letters_fixed_by_the_seed(ids, seed):
    labels = panel_rules.blind_labels(sorted(ids), seed)
    assert set(labels) == ids
    assert len(set(labels.values())) == len(ids)
    assert all(v.isalpha() and v.isupper() for v in labels.values())
    assert panel_rules.blind_labels(sorted(ids, reverse=True), seed) == labels


def test_labels_run_from_a_to_z_then_aa():
    labels = sorted(panel_rules.blind_labels(list(range(1, 29)), "s").values(), key=len)
    assert labels[0] in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" and {"Z", "AA", "AB"} <= set(labels)
