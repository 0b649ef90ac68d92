"""A whole campaign through the services, for every built-in template (issue 4 point 8)."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from mofan.audit.services import audit_verify
from mofan.campaigns.models import Campaign
from mofan.evaluations.models import ConsolidatedScore, Draw, Finding, ReviewScore, UnitResult
from mofan.evaluations.review_groups import draw_verify
from mofan.indicators.builtin import SLUGS
from mofan.rectification.leaves import LeafMark, leaf_fails, leaf_ratio, leaves_to_list, pass_ratio
from mofan.rectification.models import ProblemItem, ReReview

pytestmark = pytest.mark.django_db


def simulate(template: str, units: int, seed: int) -> dict:
    out = StringIO()
    call_command(
        "campaign_simulate",
        "--template",
        template,
        "--units",
        str(units),
        "--seed",
        str(seed),
        "--json",
        stdout=out,
    )
    return json.loads(out.getvalue())


@pytest.mark.parametrize("template", SLUGS)
def test_every_template_runs_end_to_end(template):
    summary = simulate(template, units=4, seed=7)
    assert summary["units"] == 4
    assert summary["states"] == {"approved": 4}
    assert sum(summary["grades"].values()) == 4
    assert [row["rank"] for row in summary["top"]] == sorted(row["rank"] for row in summary["top"])
    assert len(summary["advanced"]) <= int(4 * 0.2)
    assert (
        UnitResult.objects.filter(
            enrollment__campaign_id=summary["campaign_id"], frozen=True
        ).count()
        == 4
    )
    # Three reviewers scored every leaf of every unit independently, and the leader consolidated.
    assert (
        ReviewScore.objects.filter(
            assignment__enrollment__campaign_id=summary["campaign_id"]
        ).count()
        > 0
    )
    assert ConsolidatedScore.objects.filter(enrollment__campaign_id=summary["campaign_id"]).exists()
    draw = Draw.objects.get(campaign_id=summary["campaign_id"], purpose="assignment")
    assert draw_verify(draw)
    assert_problem_lists(summary)
    assert audit_verify().ok


def assert_problem_lists(summary: dict) -> None:
    """`problems` is the number of items the run put on problem lists: every unit's findings
    listed as problems; for every unit graded 不达标 at approval, each leaf below its pass mark
    (or, when none is, its at most five lowest leaves below full marks); and for a unit still
    failing after its 复核, the items of its next round. A re-review for each failing unit
    without a veto, and one per later round. The run then closes the loop: every item verified,
    every re-review approved and the last one's result in place of the original (which the
    re-review keeps)."""
    campaign_id = summary["campaign_id"]
    campaign = Campaign.objects.get(pk=campaign_id)
    items = ProblemItem.objects.filter(campaign_id=campaign_id)
    assert summary["problems"] == items.count()
    rereviews = ReReview.objects.filter(enrollment__campaign_id=campaign_id)
    first_rounds = rereviews.filter(round=1)
    results = UnitResult.objects.filter(enrollment__campaign_id=campaign_id)
    # Failing at approval: still 不达标 now (vetoed: no re-review), or re-reviewed since.
    failing = results.filter(grade="不达标") | results.filter(
        enrollment__in=first_rounds.values("enrollment")
    )
    findings = Finding.objects.filter(
        assignment__enrollment__campaign_id=campaign_id, is_problem=True
    ).count()
    assert items.filter(origin_type="evaluations.finding").count() == findings
    line = pass_ratio(campaign.grade_bands)
    expected = 0
    for result in failing.select_related("enrollment"):
        marks = []
        consolidated = ConsolidatedScore.objects.filter(enrollment=result.enrollment)
        for position, c in enumerate(consolidated.select_related("node").order_by("node__order")):
            ratio = leaf_ratio(c.node.method, c.node.points, c.score, c.level)
            fails = leaf_fails(c.node.method, ratio, line)
            marks.append(LeafMark(c.node_id, position, ratio, fails))
        expected += len(leaves_to_list(marks, 5))
    assert items.filter(origin_type="evaluations.unitresult").count() == expected
    later = rereviews.filter(round__gt=1)
    assert set(
        items.filter(origin_type="rectification.rereview").values_list("origin_id", flat=True)
    ) == set(later.values_list("pk", flat=True))
    assert (summary["problems"] > 0) == (failing.exists() or findings > 0)
    assert first_rounds.count() == failing.filter(veto=False).count()
    assert summary["rereviews"] == rereviews.count()
    assert all(r.before.get("grade") == "不达标" for r in rereviews)
    # The loop closed: every item verified, every re-review approved, the last one in place.
    assert summary["problems_closed"] == summary["problems"]
    assert summary["rereviews_approved"] == summary["rereviews"]
    last: dict[int, ReReview] = {}
    for rereview in rereviews.select_related("enrollment__result").order_by("pk"):
        assert rereview.state == "approved"
        last[rereview.enrollment_id] = rereview
    for rereview in last.values():
        assert rereview.enrollment.result.grade == rereview.after["grade"]
        assert rereview.enrollment.result.composite == Decimal(rereview.after["composite"])


def test_same_seed_same_summary_apart_from_the_campaign_id():
    first = simulate("yueqing-2020", units=5, seed=11)
    second = simulate("yueqing-2020", units=5, seed=11)
    assert first.pop("campaign_id") != second.pop("campaign_id")
    assert first == second
    assert first["top"][0]["rank"] == 1
    assert set(first) >= {"units", "states", "grades", "top", "advanced", "problems"}


def test_the_simulation_fills_the_ledger_and_self_evaluates_ruled_leaves_from_its_figures():
    """Issue 15 point 5: the simulated units get a roll and a year of ledger records, some short
    of a rule; a leaf with a ledger rule is self-evaluated with the input its figures suggest,
    not a random one."""
    from mofan.activities.models import ActivityRecord
    from mofan.evaluations.ledger_figures import figures_of, suggestion
    from mofan.evaluations.models import LedgerFigures, SelfScore
    from mofan.indicators.models import IndicatorNode

    summary = simulate("yueqing-2020", units=8, seed=3)
    campaign = Campaign.objects.get(pk=summary["campaign_id"])
    assert (
        summary["ledger_records"]
        == ActivityRecord.objects.filter(committee=campaign.committee).count()
    )
    assert summary["ledger_records"] > 8 * 100 and summary["participations"] > 0
    rows = LedgerFigures.objects.filter(campaign=campaign).select_related("enrollment")
    assert rows.count() == 8
    values = {str([f["value"] for fs in r.figures.values() for f in fs]) for r in rows}
    assert len(values) >= 2  # some units fall short, so the figures differ
    checked = 0
    for row in rows:
        figures = figures_of(row.enrollment)
        for node in IndicatorNode.objects.filter(pk__in=figures):
            suggested = suggestion(node.method, node.points, figures[node.pk])
            if suggested is None:
                continue
            saved = SelfScore.objects.get(enrollment=row.enrollment, node=node).input
            assert {k: saved.get(k) for k in suggested} == suggested
            checked += 1
    assert checked >= 8
