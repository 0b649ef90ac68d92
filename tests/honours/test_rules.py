"""The pure rules of a selection, with generated inputs: the quota is never exceeded, a tie
across the quota line is surfaced (never silently cut), vetoed candidates are never named, and
eligibility follows the records."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from mofan.honours import rules

scores = st.one_of(st.none(), st.integers(0, 10).map(Decimal))
candidate_lists = st.lists(st.tuples(scores, st.booleans()), max_size=25).map(
    lambda rows: [rules.Candidate(i + 1, s, v) for i, (s, v) in enumerate(rows)]
)


@given(candidate_lists, st.integers(0, 30), st.sets(st.integers(1, 25)))
def test_selection_keeps_the_quota_and_never_names_a_vetoed_candidate(candidates, quota, choice):
    selection = rules.select(candidates, quota, choice)
    vetoed = {c.id for c in candidates if c.vetoed}
    assert len(selection.named) <= quota
    assert len(set(selection.named)) == len(selection.named)
    assert not vetoed & set(selection.named)
    assert not vetoed & set(selection.tied)
    assert set(selection.vetoed) == vetoed
    assert not set(selection.named) & set(selection.tied)
    assert len(selection.named) + selection.open_seats <= quota


@given(candidate_lists, st.integers(0, 30))
def test_nobody_scoring_at_or_above_the_line_is_dropped_silently(candidates, quota):
    selection = rules.select(candidates, quota)
    scored = [c for c in candidates if not c.vetoed and c.score is not None]
    shown = set(selection.named) | set(selection.tied)
    for c in scored:
        better = [o for o in scored if o.score > c.score]  # type: ignore[operator]
        if len(better) < quota:  # within the quota on its score: named or surfaced as tied
            assert c.id in shown
    if selection.tied:
        tied_scores = {c.score for c in candidates if c.id in selection.tied}
        assert len(tied_scores) == 1  # one group of equal scores
        assert len(selection.tied) > selection.open_seats > 0
        assert len(selection.named) + selection.open_seats == quota
    else:
        assert len(selection.named) == min(quota, len(scored))


@given(candidate_lists, st.integers(1, 30), st.data())
def test_a_committee_choice_of_the_right_size_resolves_the_tie(candidates, quota, data):
    first = rules.select(candidates, quota)
    if not first.tied:
        return
    chosen = data.draw(
        st.lists(
            st.sampled_from(first.tied),
            min_size=first.open_seats,
            max_size=first.open_seats,
            unique=True,
        )
    )
    decided = rules.select(candidates, quota, chosen)
    assert decided.tied == ()
    assert set(decided.named) == set(first.named) | set(chosen)
    assert len(decided.named) == quota
    # a choice of the wrong size decides nothing
    assert rules.select(candidates, quota, chosen[:-1]).tied == first.tied


def test_a_tie_across_the_line_is_surfaced():
    candidates = [
        rules.Candidate(1, Decimal(9)),
        rules.Candidate(2, Decimal(8)),
        rules.Candidate(3, Decimal(8)),
        rules.Candidate(4, Decimal(10), vetoed=True),
    ]
    selection = rules.select(candidates, 2)
    assert selection.named == (1,)
    assert selection.tied == (2, 3)
    assert selection.open_seats == 1
    assert selection.vetoed == (4,)


@given(st.sampled_from(["count", "share"]), st.integers(0, 200), st.integers(0, 500))
def test_the_quota_is_never_more_than_the_nominations(kind, value, nominations):
    quota = rules.quota_of(kind, value, nominations)
    assert 0 <= quota <= nominations
    if kind == "share" and nominations and value:
        assert quota == max(1, nominations * min(value, 100) // 100)


@given(
    st.one_of(st.none(), st.sampled_from(["优秀", "良好", "一般", "较差"])),
    st.sets(st.sampled_from(["优秀", "良好", "一般"])),
)
def test_a_unit_is_eligible_exactly_when_its_grade_is_allowed(grade, allowed):
    refused = rules.unit_refusals(grade, allowed)
    assert (not refused) == (not allowed or grade in allowed)


@given(st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_an_organisation_needs_its_file_card_and_no_yellow_card(card, yellow, need, exclude):
    refused = rules.org_refusals(
        has_file_card=card, yellow_card=yellow, require_file_card=need, exclude_yellow_card=exclude
    )
    assert (not refused) == ((card or not need) and (not yellow or not exclude))


@given(st.booleans(), st.text(max_size=6), st.sampled_from(["", "书记", "委员"]))
def test_a_person_must_be_on_the_roster_with_the_post(on_roster, post, required):
    refused = rules.person_refusals(on_roster=on_roster, post=post, required_post=required)
    assert (not refused) == (on_roster and required in post)


def test_an_organisations_full_name_does_not_repeat_its_unit():
    from mofan.honours.records import org_full_name
    from mofan.organizations.models import PartyOrganization, Unit

    unit = Unit(name="市委办公室")
    assert org_full_name(PartyOrganization(name="第一党支部", unit=unit)) == "市委办公室第一党支部"
    assert (
        org_full_name(PartyOrganization(name="市委办公室第三党支部", unit=unit))
        == "市委办公室第三党支部"
    )


@given(
    st.booleans(),
    st.one_of(st.none(), st.sampled_from(["good", "fairly_good", "average", "poor"])),
    st.sampled_from(["", "good", "fairly_good", "average", "poor"]),
)
def test_a_person_needs_the_required_appraisal_result(on_roster, level, required):
    from mofan.appraisals.rules import LEVELS

    refused = rules.person_refusals(
        on_roster=on_roster,
        post="",
        required_post="",
        appraisal_level=level,
        required_appraisal=required,
    )
    meets = not required or (level is not None and LEVELS.index(level) <= LEVELS.index(required))
    assert (not refused) == (on_roster and meets)
    assert any("述职评议" in r for r in refused) == (not meets)


def test_appraisal_refusals_say_what_was_found():
    [missing] = rules.person_refusals(
        on_roster=True, post="", required_post="", appraisal_level=None, required_appraisal="good"
    )
    assert "没有述职评议结果" in missing and "好" in missing
    [low] = rules.person_refusals(
        on_roster=True,
        post="",
        required_post="",
        appraisal_level="average",
        required_appraisal="fairly_good",
    )
    assert "一般" in low and "较好" in low
