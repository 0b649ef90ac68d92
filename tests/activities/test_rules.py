"""Rules computed from the ledger (issue 15 point 3): the pure functions, with hypothesis —
period boundaries, people who joined or left mid-year, empty organisations — and the nine rules
of DOMAIN.md §3 that the ledger can answer, each on a worked example."""

from __future__ import annotations

import datetime
import itertools
import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mofan.activities.builtin_kinds import BUILTIN_KINDS
from mofan.activities.rules import (
    Outcome,
    Period,
    Person,
    Record,
    Rule,
    evaluate,
    ledger_rule,
    owed,
    periods,
    rule_score,
    window,
)
from mofan.indicators.builtin import SLUGS, builtin_document
from mofan.indicators.tree import walk

D = datetime.date
YEAR = (D(2026, 1, 1), D(2026, 12, 31))
dates = st.dates(min_value=D(2025, 6, 1), max_value=D(2027, 6, 30))


def rec(pk, kind, on, org=1, people=(), hours=None, theory=None):
    return Record(pk, kind, org, on, frozenset(people), hours, theory)


# --- periods and what a person owes -------------------------------------------------------------


@given(dates, dates, st.sampled_from(["year", "half", "quarter"]))
def test_periods_cover_the_span_exactly_once_in_calendar_units(a, b, period):
    start, end = min(a, b), max(a, b)
    spans = periods(start, end, period)
    assert spans[0].start == start and spans[-1].end == end
    for first, second in itertools.pairwise(spans):
        assert second.start == first.end + datetime.timedelta(1)
    months = {"year": 12, "half": 6, "quarter": 3}[period]
    for span in spans:  # never across a calendar year, half or quarter
        assert span.start.year == span.end.year
        assert (span.start.month - 1) // months == (span.end.month - 1) // months


def test_quarters_of_a_year():
    assert [(p.start, p.end) for p in periods(*YEAR, "quarter")] == [
        (D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 9, 30)),
        (D(2026, 10, 1), D(2026, 12, 31)),
    ]
    assert periods(D(2026, 2, 1), D(2026, 1, 1), "year") == []


@given(dates, dates, st.integers(1, 24))
def test_what_a_person_owes_is_at_most_the_threshold_and_nothing_off_the_roll(joined, left, n):
    (year,) = periods(*YEAR, "year")
    person = Person(1, joined=joined, left=left)
    due = owed(Decimal(n), person, year)
    assert 0 <= due <= n
    if left < YEAR[0] or joined > YEAR[1] or left < joined:
        assert due == 0
    if joined <= YEAR[0] and left >= YEAR[1]:
        assert due == n


def test_someone_who_joined_on_1_july_owes_half():
    (year,) = periods(*YEAR, "year")
    assert owed(Decimal(2), Person(1, joined=D(2026, 7, 1)), year) == 1
    assert owed(Decimal(2), Person(1, left=D(2026, 1, 20)), year) == 0  # 20 days: nothing


# --- counting -----------------------------------------------------------------------------------


@given(st.lists(dates, max_size=30), st.integers(1, 6))
def test_a_record_counts_only_inside_the_span_both_ends_included(days, n):
    rule = Rule(kinds=("collective-study",), measure="count", threshold=Decimal(n))
    records = [rec(i, "collective-study", d) for i, d in enumerate(days)]
    inside = sum(1 for d in days if YEAR[0] <= d <= YEAR[1])
    outcome = evaluate(rule, records, start=YEAR[0], end=YEAR[1])
    assert outcome.met == (inside >= n)
    assert len(outcome.records) == inside
    edge = evaluate(
        rule,
        [rec(1, "collective-study", YEAR[0]), rec(2, "collective-study", YEAR[1])],
        start=YEAR[0],
        end=YEAR[1],
    )
    assert edge.records == [1, 2]


@given(st.lists(st.tuples(dates, st.sampled_from([1, 2, 3])), max_size=40), st.integers(1, 5))
def test_more_records_never_lower_the_figure_and_order_does_not_matter(rows, n):
    rule = Rule(kinds=("study",), measure="count", threshold=Decimal(n), per="org", period="half")
    records = [rec(i, "study", d, org=o) for i, (d, o) in enumerate(rows)]
    base = evaluate(rule, records, start=YEAR[0], end=YEAR[1], orgs=[1, 2, 3])
    shuffled = records[:]
    random.Random(n).shuffle(shuffled)
    assert evaluate(rule, shuffled, start=YEAR[0], end=YEAR[1], orgs=[1, 2, 3]).value == base.value
    more = [*records, rec(999, "study", D(2026, 5, 5), org=2)]
    assert evaluate(rule, more, start=YEAR[0], end=YEAR[1], orgs=[1, 2, 3]).value >= base.value


def test_nothing_to_judge_means_the_rule_does_not_apply():
    count = Rule(kinds=("study",), measure="count", threshold=Decimal(12), per="org")
    assert evaluate(count, [], start=YEAR[0], end=YEAR[1], orgs=[]).value is None
    person = Rule(kinds=("volunteer",), measure="per_person", threshold=Decimal(2))
    assert evaluate(person, [], start=YEAR[0], end=YEAR[1], people=[]).value is None
    hours = Rule(kinds=("training",), measure="hours_ratio", threshold=Decimal("0.7"))
    outcome = evaluate(hours, [], start=YEAR[0], end=YEAR[1])
    assert outcome.value is None and rule_score(hours, outcome, Decimal(5)) is None


def test_bad_rules_are_refused():
    for bad in (
        {"measure": "sum"},
        {"period": "month"},
        {"scoring": "best"},
        {"per": "branch"},
        {"kinds": ()},
        {"threshold": Decimal(0)},
    ):
        values = {"kinds": ("x",), "measure": "count", "threshold": Decimal(1), **bad}
        with pytest.raises(ValueError):
            Rule(**values)


# --- the rules of DOMAIN.md §3 the ledger answers ---------------------------------------------


def test_every_member_two_volunteer_services_a_year_with_one_who_joined_in_july():
    rule = Rule(kinds=("volunteer",), measure="per_person", threshold=Decimal(2))
    people = [Person(1), Person(2), Person(3, joined=D(2026, 7, 1))]
    records = [
        rec(1, "volunteer", D(2026, 3, 1), people={1}),
        rec(2, "volunteer", D(2026, 9, 1), people={1}),
        rec(3, "volunteer", D(2026, 9, 1), people={2}),
        rec(4, "volunteer", D(2026, 10, 1), people={3}),  # owes 1: met
        rec(5, "volunteer", D(2025, 12, 31), people={2}),  # last year: not counted
    ]
    outcome = evaluate(rule, records, start=YEAR[0], end=YEAR[1], people=people)
    assert (outcome.judged, outcome.passed, outcome.value) == (3, 2, Decimal("0.6667"))
    assert outcome.short == [(2, D(2026, 1, 1), 1, 2)]
    assert outcome.records == [1, 2, 3, 4]
    assert rule_score(rule, outcome, Decimal(3)) == Decimal("2.00")
    strict = Rule(kinds=("volunteer",), measure="per_person", threshold=Decimal(2), scoring="all")
    assert rule_score(strict, outcome, Decimal(3)) == 0


def test_every_cadre_is_trained_within_five_years():
    rule = ledger_rule(
        {
            "key": "cadre_training_coverage",
            "kinds": ["training"],
            "measure": "count",
            "threshold": 1,
            "period": "five_years",
            "subject": "cadre",
            "scoring": "all",
        }
    )
    assert rule is not None and rule.scoring == "all"
    start, end = window(rule, *YEAR)
    assert (start, end) == (D(2022, 1, 1), D(2026, 12, 31))
    assert periods(start, end, "five_years") == [Period(D(2022, 1, 1), D(2026, 12, 31))]
    records = [
        rec(1, "training", D(2022, 1, 1), people={1}),  # the window's first day
        rec(2, "training", D(2021, 12, 31), people={2}),  # before it: not counted
    ]
    outcome = evaluate(rule, records, start=start, end=end, people=[Person(1), Person(2)])
    assert (outcome.judged, outcome.passed, outcome.met) == (2, 1, False)
    assert rule_score(rule, outcome, Decimal(4)) == 0
    # A one-year rule looks at the campaign's year only.
    yearly = Rule(kinds=("training",), measure="per_person", threshold=Decimal(1))
    assert window(yearly, *YEAR) == YEAR


def test_the_dangzu_studies_party_building_once_a_quarter():
    rule = Rule(kinds=("special-study",), measure="count", threshold=Decimal(1), period="quarter")
    records = [
        rec(i, "special-study", d)
        for i, d in enumerate([D(2026, 2, 1), D(2026, 5, 1), D(2026, 6, 30), D(2026, 12, 31)])
    ]
    outcome = evaluate(rule, records, start=YEAR[0], end=YEAR[1])
    assert (outcome.judged, outcome.passed, outcome.met) == (4, 3, False)
    assert outcome.short == [(0, D(2026, 7, 1), 0, 1)]


def test_each_branch_studies_together_twelve_times_a_year():
    rule = Rule(kinds=("collective-study",), measure="count", threshold=Decimal(12), per="org")
    records = [rec(i, "collective-study", D(2026, 1 + i % 12, 10), org=1) for i in range(12)]
    records += [rec(100 + i, "collective-study", D(2026, 3, 1 + i), org=2) for i in range(11)]
    outcome = evaluate(rule, records, start=YEAR[0], end=YEAR[1], orgs=[1, 2])
    assert (outcome.value, outcome.short) == (Decimal("0.5000"), [(2, D(2026, 1, 1), 11, 12)])


def test_political_theory_is_seventy_per_cent_of_training_hours():
    rule = Rule(kinds=("training",), measure="hours_ratio", threshold=Decimal("0.7"))
    records = [
        rec(1, "training", D(2026, 3, 1), hours=Decimal(14), theory=True),
        rec(2, "training", D(2026, 4, 1), hours=Decimal(6), theory=False),
        rec(3, "training", D(2026, 5, 1), hours=None, theory=True),  # no hours: not counted
    ]
    outcome = evaluate(rule, records, start=YEAR[0], end=YEAR[1])
    assert (outcome.value, outcome.met, outcome.records) == (Decimal("0.7000"), True, [1, 2])
    records[0] = rec(1, "training", D(2026, 3, 1), hours=Decimal(7), theory=True)
    low = evaluate(rule, records, start=YEAR[0], end=YEAR[1])
    assert (low.value, low.met) == (Decimal("0.5385"), False)
    assert rule_score(rule, low, Decimal(4)) == Decimal("3.08")


@given(st.lists(st.tuples(st.integers(0, 40), st.booleans()), max_size=20))
def test_the_hours_ratio_is_between_zero_and_one(rows):
    rule = Rule(kinds=("training",), measure="hours_ratio", threshold=Decimal("0.7"))
    records = [
        rec(i, "training", D(2026, 6, 1), hours=Decimal(h), theory=t)
        for i, (h, t) in enumerate(rows)
    ]
    outcome = evaluate(rule, records, start=YEAR[0], end=YEAR[1])
    if sum(h for h, _t in rows) == 0:
        assert outcome.value is None
    else:
        assert Decimal(0) <= outcome.value <= Decimal(1)
        assert outcome.met == (outcome.value >= Decimal("0.7"))
        score = rule_score(rule, outcome, Decimal(4))
        assert Decimal(0) <= score <= Decimal(4)


def test_a_leading_cadre_writes_an_article_a_year_and_leaders_visit_their_contact_point():
    article = Rule(kinds=("article",), measure="per_person", threshold=Decimal(1))
    cadres = [Person(10), Person(11)]
    outcome = evaluate(
        article,
        [rec(1, "article", D(2026, 11, 1), people={10})],
        start=YEAR[0],
        end=YEAR[1],
        people=cadres,
    )
    assert (outcome.value, outcome.short) == (Decimal("0.5000"), [(11, D(2026, 1, 1), 0, 1)])
    visit = Rule(kinds=("contact-visit",), measure="per_person", threshold=Decimal(2))
    visits = [rec(i, "contact-visit", D(2026, 2 + i, 1), people={10}) for i in range(2)]
    assert evaluate(visit, visits, start=YEAR[0], end=YEAR[1], people=[Person(10)]).met


def test_an_outcome_without_a_value_scores_nothing():
    rule = Rule(kinds=("x",), measure="count", threshold=Decimal(1))
    assert rule_score(rule, Outcome(value=None, met=False), Decimal(5)) is None


# --- from the indicator templates ---------------------------------------------------------------


def test_the_template_rules_the_ledger_answers_become_ledger_rules():
    codes = {row[0] for row in BUILTIN_KINDS}
    computed, notes = {}, []
    for slug in SLUGS:
        for node, _depth in walk(builtin_document(slug).roots):
            for entry in node.rules or []:
                if "measure" not in entry:
                    continue  # a deduction's per-incident items, not a quantitative rule
                rule = ledger_rule(entry)
                if rule is None:
                    notes.append(entry["key"])
                else:
                    assert set(rule.kinds) <= codes, entry["key"]
                    computed[entry["key"]] = (rule.measure, rule.period, rule.per, rule.subject)
    assert computed == {
        "leadership_contact_point": ("per_person", "year", "unit", "leader"),
        "party_group_study": ("count", "quarter", "unit", "party_group"),
        "member_volunteer_service": ("per_person", "year", "unit", "member"),
        "branch_collective_study": ("count", "year", "org", "branch"),
        "political_theory_share": ("hours_ratio", "year", "unit", "cadre"),
        "leader_research_article": ("per_person", "year", "unit", "leader"),
        "life_participation_report": ("count", "half", "unit", "unit"),
        "cadre_training_coverage": ("per_person", "five_years", "unit", "cadre"),
        "sihua_branch_compliance": ("count", "year", "org", "branch"),
    }
    # every rule of DOMAIN.md section 3 is computed from the ledger
    assert notes == []
