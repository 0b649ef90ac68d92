"""The dashboard's pure helpers (no database): histogram bins, means per type, grade and state
counts, days to deadlines, the weakest indicators and the sort parameter — with hypothesis for
the properties that must hold for any data."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mofan.reports import dashboard as dash
from mofan.reports import dashboard_table as table

D = Decimal

scores = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
tops = st.decimals(
    min_value=D("0.01"), max_value=1000, places=2, allow_nan=False, allow_infinity=False
)


# --- histogram --------------------------------------------------------------------------------


def test_histogram_of_known_values():
    bins = dash.histogram([D(0), D("2.99"), D(3), D("29.99"), D(30), D("25.5")], top=D(30))
    assert [b.label for b in bins] == [
        "0–3",
        "3–6",
        "6–9",
        "9–12",
        "12–15",
        "15–18",
        "18–21",
        "21–24",
        "24–27",
        "27–30",
    ]
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 0, 0, 0, 1, 2]
    assert [b.closed for b in bins] == [False] * 9 + [True]


def test_histogram_edges_are_exact_for_odd_tops():
    bins = dash.histogram([D("3.75"), D("3.74")], top=D("37.5"))
    assert bins[0].label == "0–3.75" and bins[1].label == "3.75–7.5"
    assert (bins[0].count, bins[1].count) == (1, 1)


def test_histogram_refuses_a_zero_top_or_no_bins():
    with pytest.raises(ValueError):
        dash.histogram([D(1)], top=D(0))
    with pytest.raises(ValueError):
        dash.histogram([D(1)], top=D(10), bins=0)


@given(values=st.lists(scores, max_size=60), top=tops, bins=st.integers(1, 25))
def test_histogram_counts_every_value_once_in_contiguous_bins(values, top, bins):
    result = dash.histogram(values, top=top, bins=bins)
    assert len(result) == bins
    assert sum(b.count for b in result) == len(values)
    assert result[0].low == 0 and result[-1].high == top
    for left, right in itertools.pairwise(result):
        assert left.high == right.low
    assert all(b.count >= 0 for b in result)


@given(value=scores, top=tops, bins=st.integers(1, 25))
def test_a_value_in_range_lies_in_its_bin(value, top, bins):
    index = dash.bin_index(value, top=top, bins=bins)
    assert 0 <= index < bins
    low = Fraction(top) * index / bins
    high = Fraction(top) * (index + 1) / bins
    v = Fraction(value)
    if v <= Fraction(top):
        assert low <= v
        assert v < high or (index == bins - 1 and v <= high)
    else:  # above the top (bonus points): the last bin
        assert index == bins - 1


@given(k=st.integers(0, 9), top=tops)
def test_a_value_on_an_inner_edge_opens_the_upper_bin(k, top):
    edge = Fraction(top) * k / 10
    if (edge * 100).denominator != 1:
        return  # not representable with two decimals: no stored score can sit on it
    value = Decimal(edge.numerator) / Decimal(edge.denominator)
    assert dash.bin_index(value, top=top, bins=10) == k


# --- means per type ---------------------------------------------------------------------------

TYPES = [("1", "政治建设", D(20)), ("2", "清廉建设", D(10)), ("3", "定性类", None)]


def test_mean_per_type_ignores_levels_blanks_and_junk():
    means = dash.mean_per_type(
        [
            {"1": "17.50", "2": "8.00", "3": "达标"},
            {"1": "12.00", "2": "6.00", "3": "基本达标"},
            {"1": "NaN", "2": ""},
            {},
        ],
        TYPES,
    )
    assert [(m.code, m.mean, m.units) for m in means] == [
        ("1", D("14.75"), 2),
        ("2", D("7.00"), 2),
        ("3", None, 0),
    ]


def test_mean_per_type_rounds_half_up():
    means = dash.mean_per_type([{"1": "0.01"}, {"1": "0.02"}], TYPES[:1])
    assert means[0].mean == D("0.02")  # 0.015 → 0.02


@given(st.lists(st.lists(scores, min_size=2, max_size=2), min_size=1, max_size=40))
def test_the_mean_lies_between_the_extremes_and_matches_the_sum(rows):
    maps = [{"1": str(a), "2": str(b)} for a, b in rows]
    means = dash.mean_per_type(maps, TYPES[:2])
    for i, mean in enumerate(means):
        column = [row[i] for row in rows]
        assert mean.units == len(column)
        assert min(column) <= mean.mean <= max(column)
        assert abs(mean.mean - sum(column) / len(column)) <= D("0.005")


# --- counts -----------------------------------------------------------------------------------


def test_progress_counts_fill_every_state_in_order():
    counts = dash.progress_counts([("approved", 2), ("submitted", 3), ("submitted", 1)])
    assert [(c.key, c.count) for c in counts] == [
        ("not_started", 0),
        ("in_progress", 0),
        ("submitted", 4),
        ("returned", 0),
        ("reviewed", 0),
        ("approved", 2),
    ]
    assert counts[0].label == "未开始"


def test_grade_counts_follow_the_bands_then_others_then_ungraded():
    counts = dash.grade_counts(
        [("达标", 3), ("", 2), ("合格", 1), ("优秀", 1)], ["优秀", "良好", "达标", "不达标"]
    )
    assert [(c.label, c.count) for c in counts] == [
        ("优秀", 1),
        ("良好", 0),
        ("达标", 3),
        ("不达标", 0),
        ("合格", 1),
        ("未定等次", 2),
    ]


@given(st.lists(st.tuples(st.sampled_from(["优秀", "良好", "达标", "", "x"]), st.integers(0, 50))))
def test_grade_counts_keep_every_unit(rows):
    counts = dash.grade_counts(rows, ["优秀", "良好", "达标", "不达标"])
    assert sum(c.count for c in counts) == sum(n for _g, n in rows)


def test_days_to_deadlines():
    today = datetime.date(2026, 3, 10)
    result = dash.days_to(
        [("自评", datetime.date(2026, 3, 20)), ("验收", datetime.date(2026, 3, 1)), ("总结", None)],
        today,
    )
    assert [(d.days, d.passed, d.days_passed) for d in result] == [
        (10, False, 0),
        (-9, True, 9),
        (None, False, 0),
    ]


# --- weakest indicators -----------------------------------------------------------------------


def test_weakest_takes_the_lowest_ratios_ties_in_indicator_order():
    leaves = [
        dash.Leaf("1.1", "a", D(9), D(10), 1),
        dash.Leaf("1.2", "b", D(4), D(5), 2),  # 0.8
        dash.Leaf("2.1", "c", D(8), D(10), 3),  # 0.8, later
        dash.Leaf("2.2", "d", D(1), D(0), 4),  # no points: never counts
        dash.Leaf("3.1", "e", D(15), D(20), 5),  # 0.75
    ]
    assert [leaf.code for leaf in dash.weakest(leaves, limit=3)] == ["3.1", "1.2", "2.1"]
    assert dash.weakest(leaves, limit=1)[0].percent == D("75.00")


@given(
    st.lists(
        st.tuples(scores, st.decimals(min_value=D("0.5"), max_value=100, places=1)),
        max_size=30,
    ),
    st.integers(0, 10),
)
def test_nothing_outside_the_weakest_is_weaker(pairs, limit):
    leaves = [
        dash.Leaf(f"{i}", f"t{i}", score, points, i) for i, (score, points) in enumerate(pairs)
    ]
    chosen = dash.weakest(leaves, limit=limit)
    assert len(chosen) == min(limit, len(leaves))
    rest = [leaf for leaf in leaves if leaf not in chosen]
    if chosen:
        assert all(leaf.ratio >= chosen[-1].ratio for leaf in rest)
    assert [leaf.ratio for leaf in chosen] == sorted(leaf.ratio for leaf in chosen)


# --- sorting and small things -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("composite", ("composite", False)),
        ("-composite", ("composite", True)),
        ("", ("unit", False)),
        (None, ("unit", False)),
        ("--rank", ("rank", True)),
        ("drop table", ("unit", False)),
    ],
)
def test_parse_sort(raw, parsed):
    assert table.parse_sort(raw) == parsed


def test_every_sort_choice_is_a_column():
    assert [key for key, _label in table.unit_sort_choices()] == list(table.SORT_COLUMNS)


@pytest.mark.parametrize(
    ("value", "text"), [(D("30.00"), "30"), (D("3.750"), "3.75"), (D(0), "0"), (D("0.00"), "0")]
)
def test_plain(value, text):
    assert dash.plain(value) == text


@pytest.mark.parametrize("raw", [None, True, "", "达标", "NaN", "Infinity", [], {}])
def test_as_decimal_refuses_what_is_not_a_finite_number(raw):
    assert dash.as_decimal(raw) is None
