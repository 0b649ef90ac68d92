"""The composite's survey slot (issue 17 point 4): surveys registers the satisfaction share
with `evaluations.external`; a campaign weighing "survey" counts share × the indicator system's
total in the composite, a unit without answers is judged on its other components, and a
campaign that does not weigh it is unchanged."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations import approval, external
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.figures.unit import context_for, unit_refresh
from mofan.evaluations.models import ConsolidatedScore, UnitResult, UnitTotals
from mofan.indicators.models import IndicatorNode
from mofan.surveys.selectors import campaign_shares
from tests.surveys.world import SurveysWorld, answer, build_world
from tests.world import logged_in

pytestmark = pytest.mark.django_db
SCORES = {"1.1": 8, "1.2": 8, "2.1": 8}


def reviewed(w: SurveysWorld) -> None:
    for unit in (w.unit_a, w.unit_b):
        enrollment = Enrollment.objects.get(campaign=w.campaign, unit=unit)
        ConsolidatedScore.objects.bulk_create(
            ConsolidatedScore(
                enrollment=enrollment,
                node=IndicatorNode.objects.get(version=w.campaign.indicator_version, code=code),
                score=Decimal(SCORES[code]) if code in SCORES else None,
            )
            for code in ("1.1", "1.2", "2.1", "2.2")
        )
        Enrollment.objects.filter(pk=enrollment.pk).update(state=EnrollmentState.REVIEWED)


def composite(w: SurveysWorld, unit: object) -> Decimal | None:
    return UnitTotals.objects.get(enrollment__campaign=w.campaign, enrollment__unit=unit).composite


def test_the_survey_share_fills_the_weighted_slot() -> None:
    w = build_world()
    reviewed(w)
    answer(w, w.unit_a, level="满意", n=3)
    answer(w, w.unit_a, level="不满意", n=1)
    assert campaign_shares(w.campaign.pk, [w.unit_a.pk, w.unit_b.pk]) == {
        w.unit_a.pk: Decimal("0.7500")
    }
    campaign_recompute(campaign=w.campaign)
    review_only = composite(w, w.unit_a)
    assert review_only == composite(w, w.unit_b) == Decimal(24)  # not weighted: unchanged

    w.campaign.composite_weights = {"review": "1", "survey": "1"}
    w.campaign.save()
    top = context_for(w.campaign).top
    assert top is not None
    campaign_recompute(campaign=w.campaign)
    expected = ((Decimal(24) + Decimal("0.75") * top) / 2).quantize(Decimal("0.01"))
    assert composite(w, w.unit_a) == expected
    assert composite(w, w.unit_b) == Decimal(24)  # no answers: judged on its review alone
    # the one-unit refresh gives the same figure as the set-wise pass
    unit_refresh(enrollment=Enrollment.objects.get(campaign=w.campaign, unit=w.unit_a))
    assert composite(w, w.unit_a) == expected


def test_approval_freezes_the_survey_share_as_it_stands_then() -> None:
    """The survey share moves with every answer and announces nothing, so approval recomputes a
    campaign that weighs it (`figures_settle`): answers given after the last recompute count."""
    w = build_world()
    reviewed(w)
    w.campaign.composite_weights = {"review": "1", "survey": "1"}
    w.campaign.save()
    answer(w, w.unit_a, level="满意", n=1)
    campaign_recompute(campaign=w.campaign)
    stored = composite(w, w.unit_a)
    answer(w, w.unit_a, level="不满意", n=3)  # the share falls from 1 to 0.25
    assert composite(w, w.unit_a) == stored  # nothing refreshed the stored figures

    approval.campaign_approve(campaign=w.campaign, actor=w.actor("committee_admin"))
    top = context_for(w.campaign).top
    assert top is not None
    expected = ((Decimal(24) + Decimal("0.25") * top) / 2).quantize(Decimal("0.01"))
    frozen = UnitResult.objects.get(enrollment__campaign=w.campaign, enrollment__unit=w.unit_a)
    assert frozen.composite == expected != stored


def test_no_source_or_no_weight_no_points() -> None:
    assert (
        external.points(
            "survey", campaign_id=1, unit_ids=[1], weights={"review": Decimal(1)}, top=Decimal(100)
        )
        == {}
    )
    with pytest.raises(ValueError):
        external.register("bogus", lambda campaign_id, unit_ids: {})


def test_the_committee_weighs_the_survey_in_the_campaign_settings() -> None:
    w = build_world()
    admin = logged_in(w.users["committee_admin"])
    c = w.campaign
    data = {
        "name": c.name,
        "document_title": c.document_title,
        "approved_by": c.approved_by,
        "document_number": c.document_number,
        "cadence": c.cadence,
        "cycle_start_year": str(c.cycle_start_year or ""),
        "submission_deadline": "",
        "weight_self": "0",
        "weight_review": "0.8",
        "weight_survey": "0.2",
        "honours_quota": str(c.honours_quota),
        "tie_policy": c.tie_policy,
    }
    url = reverse("campaigns:edit", args=[c.pk])
    assert "满意度测评权重" in admin.get(url).content.decode()
    assert admin.post(url, data).status_code == 302
    weights = Campaign.objects.get(pk=c.pk).composite_weights
    assert weights == {"review": "0.8", "survey": "0.2"}
