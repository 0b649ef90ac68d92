"""`ranking_lines` (the plain rows the ranking export reads) say what `ranking_rows` (the model
rows the approval page reads) say, row for row and in the same order: the frozen result where
a unit's result is frozen, even when its stored figures have moved on since; the stored
figures for the others; unranked units last."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations.models import UnitTotals
from mofan.evaluations.selectors_ranking import ranking_lines, ranking_rows
from tests.evaluations.campaign_fixtures import World, world
from tests.evaluations.test_approval_rounds import _c_still_in_review, _round

__all__ = ["world"]

pytestmark = pytest.mark.django_db


def _as_lines(world: World, **kwargs):
    return [
        (
            row.enrollment.pk,
            row.enrollment.unit_id,
            row.enrollment.unit.name,
            row.enrollment.state,
            row.frozen,
            row.result.rank,
            row.self_totals.total,
            row.review_totals.total,
            row.review_totals.type_scores,
            row.result.score,
            row.result.grade,
            row.result.veto,
            row.result.advanced,
        )
        for row in ranking_rows(world.campaign, **kwargs)
    ]


def _lines(world: World, **kwargs):
    return [
        (
            line.enrollment_id,
            line.unit_id,
            line.unit_name,
            line.state,
            line.frozen,
            line.rank,
            line.self_total,
            line.review_total,
            line.type_scores,
            line.composite,
            line.grade,
            line.veto,
            line.advanced,
        )
        for line in ranking_lines(world.campaign, **kwargs)
    ]


def test_the_lines_say_what_the_rows_say(world):
    _c_still_in_review(world)  # A and B reviewed, C still in review
    _round(world)  # A and B approved: their results frozen
    # A's stored figures move on after approval (as a later recompute may): A still shows its
    # frozen result, in both.
    UnitTotals.objects.filter(enrollment=world.ea).update(
        composite=Decimal("1.00"), rank=3, grade="", type_scores={"1": "0.00"}
    )
    lines = _lines(world)
    assert lines == _as_lines(world)
    by_unit = {line[2]: line for line in lines}
    assert by_unit["甲单位"][4] is True and by_unit["甲单位"][9] != Decimal("1.00")
    assert by_unit["甲单位"][8] != {"1": "0.00"}
    assert by_unit["丙单位"][4] is False and by_unit["丙单位"][5] is None
    assert lines[-1][2] == "丙单位"  # unranked last
    assert _lines(world, approved_only=True) == _as_lines(world, approved_only=True)
    assert {line[2] for line in _lines(world, approved_only=True)} == {"甲单位", "乙单位"}
    only_b = [world.unit_b.pk]
    assert _lines(world, unit_ids=only_b) == _as_lines(world, unit_ids=only_b)
    assert len(_lines(world, unit_ids=only_b)) == 1
    Enrollment.objects.filter(pk=world.ec.pk).update(state=EnrollmentState.WITHDRAWN)
    assert _lines(world) == _as_lines(world)
