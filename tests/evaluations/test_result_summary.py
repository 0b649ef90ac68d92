"""The stored campaign-wide figures of the approved results (`ResultSummary`, issue 7): after
every kind of write of `UnitResult` — approval, reopening and approving again, a re-review's
approval, the bulk seed, `recompute_results` — the stored summary equals the figures computed
from scratch over the campaign's results; and taking a result's share out of a tally is exact
(hypothesis)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from mofan.campaigns.models import Campaign
from mofan.devtools.scale import seed_scale
from mofan.evaluations import approval
from mofan.evaluations.figures.summary import (
    Tally,
    as_tally,
    campaign_tally,
    campaign_top,
    computed_tally,
    result_summary_rebuild,
    tally_of,
)
from mofan.evaluations.figures.unit import unit_refresh
from mofan.evaluations.models import ConsolidatedScore, ResultSummary, UnitResult
from mofan.rectification.models import ReReviewState
from mofan.rectification.rereview import rereview_score_save, rereview_transition
from tests.evaluations.campaign_fixtures import world
from tests.rectification.rereview_fixtures import approve, close_all, finish_review

__all__ = ["world"]

R = ReReviewState


def _same(stored: Tally | None, computed: Tally) -> None:
    assert stored is not None
    assert (stored.results, stored.composites, stored.composite_sum) == (
        computed.results,
        computed.composites,
        computed.composite_sum,
    )
    assert stored.bins == computed.bins
    assert stored.grades == computed.grades
    assert stored.type_sums == computed.type_sums
    assert stored.type_counts == computed.type_counts


def assert_summary_fresh(campaign: Campaign) -> Tally:
    """The stored summary equals a computation over every result of the campaign."""
    top = campaign_top(campaign)
    computed = computed_tally(campaign, top=top)
    _same(campaign_tally(campaign, top=top), computed)
    return computed


# --- pure: a tally is a sum of shares ----------------------------------------------------------

cents = st.decimals(min_value=-5, max_value=140, places=2, allow_nan=False, allow_infinity=False)
raw_score = st.one_of(cents.map(str), st.sampled_from(["好", "较好", "", "x"]), st.none())
shares = st.tuples(
    st.one_of(st.none(), cents),
    st.sampled_from(["优秀", "良好", "达标", "不达标", ""]),
    st.dictionaries(st.sampled_from(["1", "2", "3"]), raw_score, max_size=3),
)


@given(st.lists(shares, max_size=30), st.data())
@settings(max_examples=150, deadline=None)
def test_taking_shares_out_of_a_tally_equals_the_tally_of_the_rest(all_shares, data):
    keep = data.draw(st.lists(st.booleans(), min_size=len(all_shares), max_size=len(all_shares)))
    top = Decimal(30)
    tally = tally_of(all_shares, top=top)
    for share, kept in zip(all_shares, keep, strict=True):
        if not kept:
            tally.add(share, -1)
    _same(tally.clean(), tally_of([s for s, k in zip(all_shares, keep, strict=True) if k], top=top))


def test_a_tally_counts_what_the_dashboard_shows():
    tally = tally_of(
        [
            (Decimal("25.50"), "良好", {"1": "17.50", "2": "8.00"}),
            (Decimal("18.00"), "达标", {"1": "12.00", "2": "好"}),
            (None, "", {}),
        ],
        top=Decimal(30),
    )
    assert (tally.results, tally.composites, tally.composite_sum) == (3, 2, Decimal("43.50"))
    assert tally.grades == {"良好": 1, "达标": 1, "": 1}
    assert tally.bins == [0, 0, 0, 0, 0, 0, 1, 0, 1, 0]  # 18 opens 18–21, 25.5 in 24–27
    assert tally.type_sums == {"1": Decimal("29.50"), "2": Decimal("8.00")}
    assert tally.type_counts == {"1": 2, "2": 1}


# --- every writer keeps it fresh ---------------------------------------------------------------


@pytest.mark.django_db
def test_approval_stores_the_summary(world):
    finish_review(world)
    assert not ResultSummary.objects.filter(campaign=world.campaign).exists()
    approve(world)
    computed = assert_summary_fresh(world.campaign)
    assert computed.results == 3  # A, B, C: the assertion above cannot hold vacuously


@pytest.mark.django_db
def test_reopening_and_approving_again_refreshes_it(world):
    finish_review(world)
    approve(world)
    before = as_tally(ResultSummary.objects.get(campaign=world.campaign))
    admin = world.actor("committee_admin")
    approval.result_reopen(enrollment=world.eb, reason="核对", actor=admin)
    assert_summary_fresh(world.campaign)  # reopening alone changes no figure
    ConsolidatedScore.objects.filter(enrollment=world.eb, node=world.node("1.1")).update(
        score=Decimal(3)
    )
    unit_refresh(enrollment=world.eb)  # as the score's write would (written directly here)
    approve(world)
    after = assert_summary_fresh(world.campaign)
    assert after.composite_sum != before.composite_sum


@pytest.mark.django_db
def test_a_rereviews_approval_applies_its_difference(world):
    finish_review(world)
    approve(world)
    before = as_tally(ResultSummary.objects.get(campaign=world.campaign))
    rereview = close_all(world, "A")
    for code, value in {"1.1": 8, "1.2": 8, "2.1": 10}.items():
        rereview_score_save(
            rereview=rereview,
            node=world.node(code),
            value={"value": str(value)},
            comment="复核",
            expected_version=None,
            actor=world.actor("assigned"),
        )
    rereview_transition(rereview=rereview, to=R.SUBMITTED, actor=world.actor("leader"))
    rereview_transition(rereview=rereview, to=R.APPROVED, actor=world.actor("committee_admin"))
    after = assert_summary_fresh(world.campaign)
    assert after.composite_sum == before.composite_sum + Decimal(9)  # A: 17 → 26
    assert after.grades != before.grades
    # and approving the campaign again re-applies the re-review on top of the rebuilt summary
    approval.result_reopen(
        enrollment=world.ea, reason="补录意见", actor=world.actor("committee_admin")
    )
    approve(world)
    assert_summary_fresh(world.campaign)


@pytest.mark.django_db
def test_the_bulk_seed_and_recompute_results_store_it():
    summary = seed_scale(
        units=12,
        members_per_unit=1,
        template="xinzhou-2022",
        seed=3,
        today=datetime.date(2026, 3, 2),
    )
    campaign = Campaign.objects.get(pk=summary["campaign_id"])
    assert assert_summary_fresh(campaign).results == 12
    ResultSummary.objects.filter(campaign=campaign).delete()
    call_command("recompute_results", campaign=campaign.pk, stdout=_Sink())
    assert_summary_fresh(campaign)


@pytest.mark.django_db
def test_before_approval_the_figures_are_empty_not_computed(world):
    finish_review(world)
    top = campaign_top(world.campaign)
    assert campaign_tally(world.campaign, top=top).results == 0
    approve(world)
    assert campaign_tally(world.campaign, top=top).results == 3  # every enrolled unit


@pytest.mark.django_db
def test_a_rebuild_follows_results_changed_behind_its_back(world):
    finish_review(world)
    approve(world)
    UnitResult.objects.filter(enrollment=world.ea).update(composite=Decimal("29.99"))
    with pytest.raises(AssertionError):
        assert_summary_fresh(world.campaign)
    result_summary_rebuild(campaign=world.campaign)
    assert_summary_fresh(world.campaign)


class _Sink:
    def write(self, *_args: Any) -> None:
        pass
