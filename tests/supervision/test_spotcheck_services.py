"""Recording a spot-check draw (inputs, exclusion, strata, permission, audit, notices,
immutability) and recording a visit (who may, which units, problem items)."""

from __future__ import annotations

import datetime
import json
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from mofan.audit.models import AuditEntry
from mofan.evaluations.models import UnitResult
from mofan.indicators.models import IndicatorNode
from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.supervision.models import ImmutableError, SpotCheckDraw, SpotCheckVisit, VisitMode
from mofan.supervision.spotcheck import (
    ALGORITHM,
    ORIGIN,
    UNRATED,
    derive,
    spot_check_draw_record,
    spot_check_verify,
    spot_check_visit_record,
)
from tests.supervision.spotcheck_world import SpotWorld, build

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 6, 15)


@pytest.fixture
def w() -> SpotWorld:
    return build()


def draw(w: SpotWorld, **kw) -> SpotCheckDraw:
    params = {"campaign": w.campaign, "units": 3, "inspectors": 2, "actor": w.admin, "today": DAY}
    params.update(kw)
    return spot_check_draw_record(**params)


def set_created(d: SpotCheckDraw, day: datetime.date) -> None:
    """Backdate a recorded draw (test set-up only; the model itself refuses updates)."""
    SpotCheckDraw.objects.filter(pk=d.pk).update(
        created_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC)
    )


def test_the_draw_records_every_input_and_re_derives(w):
    d = draw(w, seed="fixed-seed", stratify_by="category", exclude_months=6)
    ids = sorted(u.pk for u in w.units)
    assert d.seed == "fixed-seed"
    assert d.inputs["algorithm"] == ALGORITHM
    assert d.inputs["reference_date"] == "2024-06-15"
    assert d.inputs["stratify_by"] == "category" and d.inputs["exclude_months"] == 6
    assert d.inputs["units"] == 3 and d.inputs["inspectors"] == 2
    assert [c["id"] for c in d.inputs["candidates"]] == ids
    assert {c["id"]: c["stratum"] for c in d.inputs["candidates"]} == {
        u.pk: u.category for u in w.units
    }
    assert d.inputs["excluded"] == []
    pool = {p["id"]: p["home_units"] for p in d.inputs["pool"]}
    assert set(pool) == {r.pk for r in w.reviewers}
    assert pool[w.reviewers[0].pk] == [w.units[0].pk]
    assert pool[w.reviewers[1].pk] == [w.units[1].pk]
    assert d.result == derive(d.inputs, d.seed)
    assert spot_check_verify(d)
    assert d.committee_id == w.committee.pk and d.created_by == w.users["committee_admin"]


def test_the_same_seed_on_the_same_committee_gives_the_same_draw_and_another_seed_differs(w):
    first = draw(w, seed="s-1", units=4)
    second = draw(w, seed="s-1", units=4)
    assert second.result == first.result
    others = {tuple(draw(w, seed=f"s-{i}", units=4).result["units"]) for i in range(2, 8)}
    assert len(others | {tuple(first.result["units"])}) >= 5


def test_a_generated_seed_is_recorded(w):
    d = draw(w)
    assert len(d.seed) == 16
    assert spot_check_verify(d)


def test_stratified_draw_allocates_seats_in_proportion_to_the_categories(w):
    # 5 government, 3 party, 2 mass; 5 seats: 2.5/1.5/1 gives floors 2/1/1 and remainders
    # .5/.5/0; the one seat left goes to the tie's larger stratum (government): 3/1/1.
    d = draw(w, units=5, stratify_by="category", seed="strata")
    category = {u.pk: u.category for u in w.units}
    assert Counter(category[u] for u in d.result["units"]) == {
        "government": 3,
        "party": 1,
        "mass": 1,
    }


def test_score_band_strata_come_from_the_campaign_results(w):
    enrollments = {e.unit_id: e for e in w.campaign.enrollments.all()}
    for unit in w.units[:4]:
        UnitResult.objects.create(
            enrollment=enrollments[unit.pk],
            campaign_id=enrollments[unit.pk].campaign_id,
            grade="好",
        )
    UnitResult.objects.create(
        enrollment=enrollments[w.units[4].pk],
        campaign_id=enrollments[w.units[4].pk].campaign_id,
        grade="",
    )
    d = draw(w, units=5, stratify_by="score_band", seed="bands")
    strata = {c["id"]: c["stratum"] for c in d.inputs["candidates"]}
    assert [strata[u.pk] for u in w.units[:4]] == ["好"] * 4
    assert [strata[u.pk] for u in w.units[4:]] == [UNRATED] * 6
    assert Counter(strata[u] for u in d.result["units"]) == {"好": 2, UNRATED: 3}


def test_units_drawn_within_k_months_before_the_reference_date_are_excluded(w):
    old = draw(w, units=2, seed="old")
    set_created(old, datetime.date(2024, 1, 10))  # five months before DAY
    recent = draw(w, units=2, seed="recent")
    set_created(recent, datetime.date(2024, 5, 1))
    other = spot_check_draw_record(
        campaign=w.other_campaign,
        units=1,
        inspectors=1,
        actor=w.actor("other_admin"),
        today=DAY,
    )
    set_created(other, datetime.date(2024, 6, 1))

    within_three = draw(w, units=3, exclude_months=3, seed="k3")
    assert {e["id"] for e in within_three.inputs["excluded"]} == set(recent.result["units"])
    assert all(
        e["reason"] == "checked_recently" and e["draw"] == recent.pk
        for e in within_three.inputs["excluded"]
    )
    candidates = {c["id"] for c in within_three.inputs["candidates"]}
    assert not candidates & set(recent.result["units"])
    assert not set(within_three.result["units"]) & set(recent.result["units"])

    within_six = draw(w, units=3, exclude_months=6, seed="k6")
    assert {e["id"] for e in within_six.inputs["excluded"]} == set(old.result["units"]) | set(
        recent.result["units"]
    )
    assert draw(w, units=3, exclude_months=0, seed="k0").inputs["excluded"] == []
    # A draw made after the reference date does not count (the window ends on it).
    set_created(recent, datetime.date(2024, 6, 16))
    assert draw(w, units=3, exclude_months=3, seed="k3b").inputs["excluded"] == []


def test_the_window_starts_on_the_same_day_k_months_earlier(w):
    edge = draw(w, units=2, seed="edge")
    set_created(edge, datetime.date(2024, 3, 15))
    assert {e["id"] for e in draw(w, exclude_months=3).inputs["excluded"]} == set(
        edge.result["units"]
    )
    set_created(edge, datetime.date(2024, 3, 14))
    assert draw(w, exclude_months=3).inputs["excluded"] == []


def test_inspectors_never_come_from_a_drawn_unit(w):
    # All ten units drawn: reviewers 0 and 1 (home units 0 and 1) can never be inspectors.
    for i in range(8):
        d = draw(w, units=10, inspectors=4, seed=f"all-{i}")
        assert not {w.reviewers[0].pk, w.reviewers[1].pk} & set(d.result["inspectors"])


def test_clear_chinese_errors_when_the_pool_or_the_units_are_too_few(w):
    with pytest.raises(
        ValidationError, match="可抽取的检查人员不足：需要 5 名，回避被检查单位后只有 4 名"
    ):
        draw(w, units=10, inspectors=5)
    with pytest.raises(ValidationError, match="需要抽取 11 个，只有 10 个可选"):
        draw(w, units=11)
    recent = draw(w, units=8, seed="many")
    set_created(recent, DAY)
    with pytest.raises(ValidationError, match="已排除近 2 个月内抽查过的 8 个单位"):
        draw(w, units=3, exclude_months=2)
    with pytest.raises(ValidationError, match="只有 1 名。（检查人员库为本工委评审员，共 1 名"):
        spot_check_draw_record(
            campaign=w.other_campaign, units=1, inspectors=2, actor=w.actor("other_admin")
        )
    w.users["other_reviewer"].is_active = False
    w.users["other_reviewer"].save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="本工委评审库中没有评审员"):
        spot_check_draw_record(
            campaign=w.other_campaign, units=1, inspectors=1, actor=w.actor("other_admin")
        )
    for bad in ({"units": 0}, {"inspectors": 0}, {"seed": "有 空格"}, {"stratify_by": "x"}):
        with pytest.raises(ValidationError):
            draw(w, **bad)
    assert not SpotCheckDraw.objects.filter(committee=w.committee).exclude(pk=recent.pk).exists()


@pytest.mark.parametrize(
    "who", ["committee_leader", "admin0", "other_admin", "auditor", "security_admin"]
)
def test_only_the_committee_admin_draws(w, who):
    with pytest.raises(PermissionDenied):
        draw(w, actor=w.actor(who))
    assert not SpotCheckDraw.objects.exists()


def test_the_draw_is_audited_by_the_admin_or_the_system(w):
    d = draw(w, seed="audited")
    entry = AuditEntry.objects.get(action="spotcheck.draw", object_id=str(d.pk))
    assert entry.actor_id == w.users["committee_admin"].pk
    assert (
        entry.data["after"]["seed"] == "audited"
        and entry.data["after"]["units"] == d.result["units"]
    )
    system = draw(w, actor=None, seed="by-system")
    assert system.created_by is None
    entry = AuditEntry.objects.get(action="spotcheck.draw", object_id=str(system.pk))
    assert entry.actor_id is None and entry.actor_name == "system"
    assert entry.committee_id == w.committee.pk


def test_inspectors_are_told_and_units_only_when_the_check_is_announced(w):
    hidden = draw(w, seed="hidden", mode=VisitMode.UNANNOUNCED)
    for inspector in hidden.result["inspectors"]:
        assert Notice.objects.filter(recipient_id=inspector, kind="spotcheck.inspector").exists()
    assert not Notice.objects.filter(kind="spotcheck.unit").exists()
    told = draw(w, seed="told", mode=VisitMode.ANNOUNCED)
    index = {u.pk: i for i, u in enumerate(w.units)}
    for unit_id in told.result["units"]:
        i = index[unit_id]
        assert Notice.objects.filter(
            recipient=w.users[f"admin{i}"], kind="spotcheck.unit", key__contains=str(told.pk)
        ).exists()
    untouched = set(index) - set(told.result["units"]) - set(hidden.result["units"])
    for unit_id in untouched:
        assert (
            not Notice.objects.filter(recipient=w.users[f"admin{index[unit_id]}"])
            .exclude(kind="campaign.launched")
            .exists()
        )


def test_a_recorded_draw_never_changes_through_the_model(w):
    d = draw(w, seed="frozen")
    d.result = {"units": [], "inspectors": []}
    with pytest.raises(ImmutableError):
        d.save()
    d.refresh_from_db()
    assert d.result != {"units": [], "inspectors": []}
    assert spot_check_verify(d)


def test_a_result_tampered_behind_the_models_back_no_longer_verifies(w):
    d = draw(w, units=3, seed="tamper")
    fake = [u.pk for u in w.units if u.pk not in d.result["units"]][:3]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE supervision_spotcheckdraw SET result = %s WHERE id = %s",
            [json.dumps({"units": sorted(fake), "inspectors": d.result["inspectors"]}), d.pk],
        )
    d = SpotCheckDraw.objects.get(pk=d.pk)
    assert d.result["units"] == sorted(fake)
    assert not spot_check_verify(d)


# --- visits -----------------------------------------------------------------------------------


def visit(w: SpotWorld, d: SpotCheckDraw, unit_id: int, actor, **kw):
    params = {
        "draw": d,
        "unit": next(u for u in w.units if u.pk == unit_id),
        "mode": VisitMode.UNANNOUNCED,
        "visited_on": DAY,
        "findings": "检查了会议记录和学习台账。",
        "problems": "",
        "actor": actor,
        "today": DAY + datetime.timedelta(days=3),
    }
    params.update(kw)
    return spot_check_visit_record(**params)


def inspector_actor(w: SpotWorld, d: SpotCheckDraw):
    from mofan.accounts.access import actor_for
    from mofan.accounts.models import User

    return actor_for(User.objects.get(pk=d.result["inspectors"][0]))


def test_an_inspector_records_a_visit_and_its_problems_become_items(w):
    d = draw(w, seed="visit")
    unit_id = d.result["units"][0]
    inspector = inspector_actor(w, d)
    v, items = visit(
        w,
        d,
        unit_id,
        inspector,
        mode=VisitMode.ANNOUNCED,
        problems=(
            "1.1：理论学习记录不全\n\n  会议室制度未上墙  \n"
            "1.1:学习计划未按期制定\n2.1｜廉政教育缺少记录"
        ),
    )
    assert v.recorded_by == inspector.user and v.mode == VisitMode.ANNOUNCED
    node = {n.code: n for n in IndicatorNode.objects.filter(version=w.version)}
    assert [(i.node, i.description) for i in items] == [
        (node["1.1"], "1. 理论学习记录不全\n2. 学习计划未按期制定"),
        (None, "会议室制度未上墙"),
        (node["2.1"], "廉政教育缺少记录"),
    ]
    for item in items:
        assert item.source == ProblemSource.SPOT_CHECK
        assert (item.origin_type, item.origin_id) == (ORIGIN, v.pk)
        assert item.unit_id == unit_id and item.campaign_id == w.campaign.pk
        assert item.deadline == DAY + datetime.timedelta(days=w.campaign.rectify_days)
        assert item.created_by == inspector.user
    audit = AuditEntry.objects.get(action="spotcheck.visit", object_id=str(v.pk))
    assert audit.actor_id == inspector.user.pk and audit.data["after"]["problems"] == 4
    assert (
        AuditEntry.objects.filter(action="problem.create", actor_id=inspector.user.pk).count() == 3
    )
    index = {u.pk: i for i, u in enumerate(w.units)}
    assert Notice.objects.filter(
        recipient=w.users[f"admin{index[unit_id]}"], kind="spotcheck.visit"
    ).exists()


def test_the_committee_admin_may_record_a_visit_without_problems(w):
    d = draw(w, seed="admin-visit")
    v, items = visit(w, d, d.result["units"][1], w.admin)
    assert items == [] and v.recorded_by == w.users["committee_admin"]
    assert not ProblemItem.objects.exists()


def test_visits_only_by_the_draws_inspectors_or_the_admin(w):
    d = draw(w, seed="who-visits")
    unit_id = d.result["units"][0]
    not_drawn = next(r for r in w.reviewers if r.pk not in d.result["inspectors"])
    from mofan.accounts.access import actor_for

    for actor in (
        actor_for(not_drawn),
        w.actor("committee_leader"),
        w.actor("admin0"),
        w.actor("other_admin"),
        w.actor("auditor"),
    ):
        with pytest.raises(PermissionDenied):
            visit(w, d, unit_id, actor, problems="1.1：不应写入")
    assert not SpotCheckVisit.objects.exists() and not ProblemItem.objects.exists()


def test_visits_only_to_drawn_units_once_and_on_a_sensible_date(w):
    d = draw(w, seed="which-units")
    inspector = inspector_actor(w, d)
    outside = next(u.pk for u in w.units if u.pk not in d.result["units"])
    with pytest.raises(ValidationError, match="不在本次抽查名单中"):
        visit(w, d, outside, inspector)
    unit_id = d.result["units"][0]
    with pytest.raises(ValidationError, match="不能晚于今天"):
        visit(w, d, unit_id, inspector, visited_on=DAY + datetime.timedelta(days=4))
    with pytest.raises(ValidationError, match="不能早于抽取日期"):
        visit(w, d, unit_id, inspector, visited_on=DAY - datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match=r"指标编码“9\.9”不在本活动的指标体系中"):
        visit(w, d, unit_id, inspector, problems="9.9：没有这个指标")
    with pytest.raises(ValidationError, match="请填写检查情况"):
        visit(w, d, unit_id, inspector, findings="  ")
    assert not SpotCheckVisit.objects.exists()
    visit(w, d, unit_id, inspector)
    with pytest.raises(ValidationError, match="已经记录"):
        visit(w, d, unit_id, w.admin)
    assert SpotCheckVisit.objects.count() == 1
