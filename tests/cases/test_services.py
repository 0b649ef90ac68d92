"""The services of brand cases: each transition of a call and its refusals, a unit's case
(limit, deadline, files of its own library, read-only once submitted, a linked file protected),
the expert draw (reproducible, recorded), 回避, scoring and its refusals, consolidation, ties
and publishing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.models import AuditEntry
from mofan.cases import panel, services
from mofan.cases.models import CallState, CaseScore, CaseState
from mofan.evidence import services as evidence_services
from mofan.notifications.models import Notice
from tests.cases.world import (
    build_scene,
    build_world,
    case_input,
    evidence,
    new_call,
    score_all,
    split,
    step,
    submitted,
)

pytestmark = pytest.mark.django_db


def test_the_call_goes_through_its_states_audited_and_units_are_told():
    w = build_world()
    admin = w.users["committee_admin"]
    call = new_call(w.committee, admin)
    assert call.state == CallState.DRAFT
    call = step(call, "open", admin)
    assert call.state == CallState.COLLECTING
    told = set(Notice.objects.filter(kind="case.collecting").values_list("recipient_id", flat=True))
    assert {w.users["unit_admin"].pk, w.users["unit_leader"].pk, w.users["outsider"].pk} <= told
    assert w.users["other_unit_admin"].pk not in told
    submitted(call, w.unit_a, w.users["unit_admin"], "甲案例")
    call = step(call, "review", admin)
    assert call.state == CallState.REVIEWING
    actions = list(
        AuditEntry.objects.filter(action__startswith="case.call.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["case.call.create", "case.call.open", "case.call.review"]


def test_refusals_of_the_transition():
    w = build_world()
    admin = w.users["committee_admin"]
    call = new_call(w.committee, admin)
    with pytest.raises(PermissionDenied):
        step(call, "open", w.users["other_admin"])
    with pytest.raises(PermissionDenied):
        step(call, "open", w.users["committee_leader"])
    with pytest.raises(ValidationError, match="不能进行此操作"):
        step(call, "publish", admin)
    with pytest.raises(ValidationError, match="未知操作"):
        step(call, "launch", admin)
    call = step(call, "open", admin)
    with pytest.raises(ValidationError, match="还没有单位报送"):
        step(call, "review", admin)
    with pytest.raises(ValidationError, match="终止原因"):
        step(call, "close", admin)
    call = step(call, "close", admin, reason="工作调整")
    assert call.state == CallState.CLOSED and call.close_reason == "工作调整"
    with pytest.raises(ValidationError):
        step(call, "open", admin)


def test_a_draft_call_is_edited_but_an_open_one_is_not():
    w = build_world()
    admin = w.users["committee_admin"]
    call = new_call(w.committee, admin)
    call = services.call_update(call=call, values={"quota": 3}, actor=w.actor("committee_admin"))
    assert call.quota == 3
    step(call, "open", admin)
    with pytest.raises(ValidationError, match="不能再修改"):
        services.call_update(call=call, values={"quota": 4}, actor=w.actor("committee_admin"))


def test_a_unit_writes_until_it_submits_within_its_limit_and_the_deadline():
    w = build_world()
    admin = w.users["committee_admin"]
    call = step(new_call(w.committee, admin, per_unit_limit=1), "open", admin)
    owner = w.actor("unit_admin")
    case = services.case_save(call=call, unit=w.unit_a, data=case_input("甲"), actor=owner)
    case = services.case_save(
        call=call, unit=w.unit_a, data=case_input("甲改"), case=case, actor=owner
    )
    assert case.title == "甲改"
    with pytest.raises(ValidationError, match="最多报送1个"):
        services.case_save(call=call, unit=w.unit_a, data=case_input("又一个"), actor=owner)
    with pytest.raises(PermissionDenied):  # another unit's 联络员, the unit's leader
        services.case_save(
            call=call, unit=w.unit_a, data=case_input("x"), actor=w.actor("outsider")
        )
    with pytest.raises(PermissionDenied):
        services.case_submit(case=case, actor=w.actor("unit_leader"))
    with pytest.raises(ValidationError, match="不超过300"):
        services.case_save(
            call=call,
            unit=w.unit_b,
            data=case_input("乙", summary="字" * 301),
            actor=w.actor("outsider"),
        )
    late = call.deadline + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="已截止"):
        services.case_submit(case=case, actor=owner, today=late)
    case = services.case_submit(case=case, actor=owner)
    assert case.state == CaseState.SUBMITTED
    with pytest.raises(ValidationError, match="已报送"):
        services.case_save(
            call=call, unit=w.unit_a, data=case_input("再改"), case=case, actor=owner
        )


def test_a_case_links_only_its_own_units_files_and_a_linked_file_is_kept():
    w = build_world()
    admin = w.users["committee_admin"]
    call = step(new_call(w.committee, admin), "open", admin)
    own = evidence(w.unit_a, w.users["unit_admin"])
    theirs = evidence(w.unit_b, w.users["outsider"])
    owner = w.actor("unit_admin")
    with pytest.raises(ValidationError, match="本单位佐证库"):
        services.case_save(
            call=call, unit=w.unit_a, data=case_input("甲", evidence=[theirs.pk]), actor=owner
        )
    services.case_save(
        call=call, unit=w.unit_a, data=case_input("甲", evidence=[own.pk]), actor=owner
    )
    with pytest.raises(ValidationError, match="品牌案例"):
        evidence_services.evidence_delete(evidence=own, actor=owner)


def test_the_draw_is_recorded_and_reproducible():
    s = build_scene()
    p = s.call.panel
    assert panel.redraw(p) == p.drawn == sorted(u.pk for u in s.w.pool)
    entry = AuditEntry.objects.get(action="case.panel.draw")
    assert entry.data["after"]["seed"] == "scene"
    assert Notice.objects.filter(kind="case.panel", recipient=s.w.users["reviewer"]).exists()


def test_a_smaller_draw_repeats_from_its_seed():
    w = build_world(reviewers=6)
    admin = w.users["committee_admin"]
    call = step(new_call(w.committee, admin), "open", admin)
    p = panel.panel_draw(call=call, size=3, seed="seed-x", actor=w.actor("committee_admin"))
    assert len(p.drawn) == 3 and panel.redraw(p) == p.drawn
    with pytest.raises(ValidationError, match="已抽取"):
        panel.panel_draw(call=call, size=3, actor=w.actor("committee_admin"))


def test_too_many_experts_are_refused():
    w = build_world()
    admin = w.users["committee_admin"]
    call = step(new_call(w.committee, admin), "open", admin)
    with pytest.raises(ValidationError, match="评审专家不足"):
        panel.panel_draw(call=call, size=50, actor=w.actor("committee_admin"))


def test_an_expert_never_scores_their_own_units_case():
    s = build_scene()
    conflicted = s.w.conflicted
    from mofan.accounts.access import actor_for

    with pytest.raises(ValidationError, match="回避"):
        panel.case_score(case=s.case_a, points=split(80), comment="", actor=actor_for(conflicted))
    panel.case_score(case=s.case_b, points=split(80), comment="", actor=actor_for(conflicted))


def test_scoring_refusals_and_changes():
    s = build_scene()
    expert = s.w.actor("reviewer")
    with pytest.raises(ValidationError, match="0至30"):
        panel.case_score(case=s.case_b, points=[31, 0, 0, 0], comment="", actor=expert)
    with pytest.raises(ValidationError, match="每一项"):
        panel.case_score(case=s.case_b, points=[10], comment="", actor=expert)
    with pytest.raises(ValidationError, match="不在评审之列"):
        panel.case_score(case=s.draft_a, points=split(50), comment="", actor=expert)
    with pytest.raises(PermissionDenied):
        panel.case_score(
            case=s.case_b, points=split(50), comment="", actor=s.w.actor("other_admin")
        )
    panel.case_score(case=s.case_b, points=split(50), comment="一般", actor=expert)
    row = panel.case_score(case=s.case_b, points=split(60), comment="较好", actor=expert)
    assert CaseScore.objects.filter(case=s.case_b).count() == 1
    assert row.total == Decimal(60) and row.comment == "较好"


def test_closing_consolidates_ranks_and_stops_scoring():
    s = build_scene()
    with pytest.raises(ValidationError, match="没有任何专家评分"):
        panel.panel_close(call=s.call, actor=s.w.actor("committee_admin"))
    score_all(s.call, {s.case_a: 90, s.case_b: 70})
    panel.panel_close(call=s.call, actor=s.w.actor("committee_admin"))
    s.case_a.refresh_from_db()
    s.case_b.refresh_from_db()
    assert (s.case_a.score, s.case_a.rank) == (Decimal("90.00"), 1)
    assert (s.case_b.score, s.case_b.rank) == (Decimal("70.00"), 2)
    with pytest.raises(ValidationError, match="评分结束前"):
        panel.case_score(case=s.case_b, points=split(10), comment="", actor=s.w.actor("reviewer"))


def test_publishing_needs_closed_scoring_and_marks_the_excellent_within_the_quota():
    s = build_scene()
    admin = s.w.users["committee_admin"]
    with pytest.raises(ValidationError, match="尚未结束"):
        step(s.call, "publish", admin)
    score_all(s.call, {s.case_a: 90, s.case_b: 70})
    panel.panel_close(call=s.call, actor=s.w.actor("committee_admin"))
    call = step(s.call, "publish", admin)
    assert call.state == CallState.SELECTED and call.published_on
    assert list(call.cases.filter(excellent=True)) == [s.case_a]


def test_a_tie_across_the_quota_line_waits_for_the_committee():
    s = build_scene()
    admin = s.w.users["committee_admin"]
    score_all(s.call, {s.case_a: 80, s.case_b: 80})
    panel.panel_close(call=s.call, actor=s.w.actor("committee_admin"))
    assert services.selection_of(s.call).tied == tuple(sorted((s.case_a.pk, s.case_b.pk)))
    with pytest.raises(ValidationError, match="同分"):
        step(s.call, "publish", admin)
    with pytest.raises(ValidationError, match="选定1个"):
        panel.tie_decide(
            call=s.call, chosen=[s.case_a.pk, s.case_b.pk], actor=s.w.actor("committee_admin")
        )
    panel.tie_decide(call=s.call, chosen=[s.case_b.pk], actor=s.w.actor("committee_admin"))
    call = step(s.call, "publish", admin)
    assert list(call.cases.filter(excellent=True)) == [s.case_b]
