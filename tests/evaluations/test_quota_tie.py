"""Quota ties are the committee's decision (issue 14, point 8): when units tie across the 先进
quota line the approval page shows the tie, approval waits, and the committee admits all of
them, none, or chosen ones with a reason; nothing is dropped silently."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from mofan.audit.models import AuditEntry
from mofan.evaluations import approval
from mofan.evaluations import results as res
from mofan.evaluations import selectors_approval as ranking
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.figures.unit import current_tie
from mofan.evaluations.models import ConsolidatedScore, TiePolicy, UnitResult, UnitTotals
from tests.evaluations.aggregates_data import synthetic_campaign
from tests.evaluations.campaign_fixtures import World, world
from tests.rectification.rereview_fixtures import approve, finish_review
from tests.world import logged_in

__all__ = ["world"]

# --- the pure rule ------------------------------------------------------------------------------

scores = st.lists(st.integers(min_value=60, max_value=70), min_size=0, max_size=30)


def _results(values: list[int]) -> list[res.Result]:
    return [
        res.Result(unit_id=i, name="", score=Decimal(v), grade="优秀", rank=None, veto=False)
        for i, v in enumerate(values)
    ]


@given(scores, st.sampled_from(["0.1", "0.2", "0.34", "0.5"]))
def test_a_tie_across_the_line_is_left_out_until_decided_then_taken_as_decided(values, ratio):
    results = _results(values)
    quota = res.quota_for(len(values), Decimal(ratio))
    strict = res.select_advanced(results, Decimal(ratio), len(values))
    assert len(strict) <= quota
    tie = res.quota_tie(results, Decimal(ratio), len(values))
    if tie is None:
        assert res.select_advanced(results, Decimal(ratio), len(values), admitted=set()) == strict
        return
    assert len(strict) == quota - tie.seats and 0 < tie.seats < len(tie.tied)
    assert not set(strict) & set(tie.tied)
    assert all(Decimal(values[i]) == tie.score for i in tie.tied)
    everyone = res.select_advanced(results, Decimal(ratio), len(values), admitted=set(tie.tied))
    assert set(everyone) == set(strict) | set(tie.tied)
    one = {tie.tied[0]}
    assert set(res.select_advanced(results, Decimal(ratio), len(values), admitted=one)) == (
        set(strict) | one
    )
    # A decision about another tie does not apply.
    other = (tie.score + 1, tie.tied, tie.tied)
    assert res.admitted_for(tie, other) is None
    assert res.admitted_for(tie, (tie.score, tie.tied, one)) == one


# --- the campaign -------------------------------------------------------------------------------


def _tied(world: World) -> None:
    """甲 and 乙 both 27 of 30 (优秀), 丙 vetoed; one 先进 place (⌊3 × 0.34⌋)."""
    finish_review(world)
    ConsolidatedScore.objects.filter(enrollment=world.ea).exclude(score=None).update(
        score=Decimal(9)
    )
    world.campaign.honours_quota = Decimal("0.34")
    world.campaign.save(update_fields=["honours_quota"])
    campaign_recompute(campaign=world.campaign)


def _advanced(world: World) -> set[str]:
    return set(
        UnitTotals.objects.filter(campaign=world.campaign, advanced=True).values_list(
            "enrollment__unit__name", flat=True
        )
    )


def test_approval_waits_for_the_tie_and_the_page_shows_it(world):
    _tied(world)
    tie = ranking.approval_summary(world.campaign).tie
    assert tie is not None and tie.decision is None
    assert (tie.seats, tie.quota, [name for _pk, name in tie.units]) == (1, 1, ["甲单位", "乙单位"])
    assert _advanced(world) == set()  # strict: neither, until the committee decides
    with pytest.raises(ValidationError, match="并列于先进名额线"):
        approve(world)
    admin_page = logged_in(world.user("committee_admin")).get(
        f"/reviews/campaigns/{world.campaign.pk}/approval/"
    )
    html = admin_page.content.decode()
    assert "先进名额线上的并列单位" in html and 'value="tie"' in html
    assert 'id="prepare"' not in html  # preparing the approval waits for the decision
    leader_html = (
        logged_in(world.user("committee_leader"))
        .get(f"/reviews/campaigns/{world.campaign.pk}/approval/")
        .content.decode()
    )
    assert "先进名额线上的并列单位" in leader_html and 'value="tie"' not in leader_html


def test_the_committee_picks_one_with_a_reason_and_approval_freezes_it(world):
    _tied(world)
    admin = world.actor("committee_admin")
    with pytest.raises(ValidationError, match="理由"):
        approval.quota_tie_decide(
            campaign=world.campaign, policy=TiePolicy.PICK, admitted=[world.ea.pk], actor=admin
        )
    with pytest.raises(ValidationError, match="剩余名额"):
        approval.quota_tie_decide(
            campaign=world.campaign,
            policy=TiePolicy.PICK,
            admitted=[world.ea.pk, world.eb.pk],
            reason="两家都好",
            actor=admin,
        )
    approval.quota_tie_decide(
        campaign=world.campaign,
        policy=TiePolicy.PICK,
        admitted=[world.eb.pk],
        reason="乙单位党建品牌经验在全市推广",
        actor=admin,
    )
    assert _advanced(world) == {"乙单位"}
    entry = AuditEntry.objects.get(action="approval.quota_tie")
    assert entry.data["after"]["admitted"] == [world.eb.pk]
    assert entry.data["after"]["reason"] == "乙单位党建品牌经验在全市推广"
    approve(world)
    frozen = dict(
        UnitResult.objects.filter(campaign=world.campaign).values_list(
            "enrollment__unit__name", "advanced"
        )
    )
    assert frozen == {"甲单位": False, "乙单位": True, "丙单位": False}


@pytest.mark.parametrize(("policy", "expected"), [("all", {"甲单位", "乙单位"}), ("none", set())])
def test_admitting_all_or_none_is_the_committees_explicit_choice(world, policy, expected):
    _tied(world)
    approval.quota_tie_decide(
        campaign=world.campaign, policy=policy, actor=world.actor("committee_admin")
    )
    assert _advanced(world) == expected
    assert ranking.approval_summary(world.campaign).tie_pending is False
    approve(world)


def test_a_decision_about_another_tie_is_shown_again_to_decide(world):
    _tied(world)
    admin = world.actor("committee_admin")
    approval.quota_tie_decide(campaign=world.campaign, policy=TiePolicy.ALL, actor=admin)
    # The scores change (another consolidation): 乙 now 28, 甲 27; no tie, 乙 takes the place.
    ConsolidatedScore.objects.filter(enrollment=world.eb, node=world.node("2.1")).update(
        score=Decimal(10)
    )
    campaign_recompute(campaign=world.campaign)
    assert ranking.approval_summary(world.campaign).tie is None
    assert _advanced(world) == {"乙单位"}
    # Back to the tie with other scores (both 28): the old decision (at 27) does not hold.
    ConsolidatedScore.objects.filter(enrollment=world.ea, node=world.node("2.1")).update(
        score=Decimal(10)
    )
    campaign_recompute(campaign=world.campaign)
    tie = ranking.approval_summary(world.campaign).tie
    assert tie is not None and tie.decision is None and tie.score == Decimal("28.00")
    assert _advanced(world) == set()


@pytest.mark.parametrize("who", ["committee_leader", "other_admin", "owner", "outsider"])
def test_only_the_committee_admin_decides(world, who):
    _tied(world)
    with pytest.raises(PermissionDenied):
        approval.quota_tie_decide(
            campaign=world.campaign, policy=TiePolicy.ALL, actor=world.actor(who)
        )
    client = logged_in(world.user(who))
    client.post(
        f"/reviews/campaigns/{world.campaign.pk}/approval/action/",
        {"action": "tie", "policy": "all"},
    )
    assert not AuditEntry.objects.filter(action="approval.quota_tie").exists()
    assert _advanced(world) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("ratio", ["0.025", "0.05", "0.075", "0.1", "0.2", "0.5"])
def test_the_database_finds_the_same_tie_as_the_pure_rule(ratio):
    """`figures.unit.current_tie` (a few indexed queries) equals `results.quota_tie` over every
    candidate read into Python, on a field with many equal composites."""
    campaign = synthetic_campaign(40, seed=5, code=f"qt{ratio}", all_reviewed=True)
    campaign.honours_quota = Decimal(ratio)
    campaign.grade_bands = [{"label": "优秀", "min_ratio": "0"}]  # every unit a candidate
    campaign.save(update_fields=["honours_quota", "grade_bands"])
    campaign_recompute(campaign=campaign)
    rows = UnitTotals.objects.filter(campaign=campaign, composite__isnull=False, veto=False)
    # Force ties: round every composite down to a multiple of 10.
    for totals in rows:
        totals.composite = (totals.composite // 10) * 10
    UnitTotals.objects.bulk_update(list(rows), ["composite"])  # around the pipeline, on purpose
    candidates = [
        res.Result(unit_id=pk, name="", score=c, grade=g, rank=None, veto=False)
        for pk, c, g in UnitTotals.objects.filter(
            campaign=campaign, composite__isnull=False, veto=False, grade="优秀"
        ).values_list("enrollment_id", "composite", "grade")
    ]
    assert current_tie(campaign) == res.quota_tie(candidates, Decimal(ratio), 40)
