"""Bulletin services over the database: what a draft is assembled from (and only from the
committee's own data), overdue relative to a given day, the monthly period's boundaries, editing
with optimistic locking, publishing with its notices, and the monthly command."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from mofan.audit.models import AuditEntry
from mofan.core.concurrency import StaleWrite
from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemState
from mofan.supervision import bulletins as services
from mofan.supervision.models import (
    Bulletin,
    BulletinKind,
    BulletinState,
    Interview,
    SpotCheckDraw,
    SpotCheckVisit,
)
from mofan.supervision.selectors_bulletins import bulletins_for, overdue_facts, unit_statuses
from tests.supervision.bulletin_fixtures import (
    OTHER_FINDING,
    Scene,
    at,
    inactive_unit,
    ledger,
    problem,
    scene,
)
from tests.world import persona

__all__ = ["scene"]  # the fixture

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
IND = "\u3000\u3000"


def rectification_data(s: Scene) -> dict[str, object]:
    w = s.w
    return {
        "p1": problem(
            w.unit_a, dt.date(2026, 3, 9), text="甲：三会一课记录不全", campaign=w.campaign
        ),
        "p2": problem(w.unit_a, TODAY, text="甲：今日到期", campaign=w.campaign),
        "p3": problem(
            w.unit_a,
            dt.date(2026, 3, 1),
            text="甲：已销号问题",
            state=ProblemState.CLOSED,
            campaign=w.campaign,
        ),
        "p4": problem(
            w.unit_a,
            dt.date(2026, 3, 5),
            text="甲：已报完成待销号",
            state=ProblemState.REPORTED_DONE,
            campaign=w.campaign,
        ),
        "p5": problem(w.unit_b, dt.date(2026, 4, 1), text="乙：整改中", state="in_progress"),
        "px": problem(s.unit_x, dt.date(2026, 1, 1), text="外工委逾期问题"),
        "l1": ledger(w.unit_b, dt.date(2026, 3, 8), task="乙：完成支部换届"),
        "l2": ledger(
            w.unit_a, dt.date(2026, 3, 1), task="甲：已办结", state="done", closed=at(TODAY)
        ),
        "l3": ledger(w.unit_a, dt.date(2026, 2, 1), task="甲：已撤销", state="cancelled"),
        "lx": ledger(s.unit_x, dt.date(2026, 1, 1), task="外工委逾期督办"),
    }


def test_overdue_is_relative_to_the_given_day(scene):
    d = rectification_data(scene)
    facts = overdue_facts(scene.committee.pk, today=TODAY)
    assert [(f.kind, f.id) for f in facts] == [
        ("problem", d["p4"].pk),  # due 3-05, reported done but not closed
        ("problem", d["p1"].pk),  # due 3-09
        ("ledger", d["l1"].pk),
    ]
    # due today is not overdue; a day later it is
    later = overdue_facts(scene.committee.pk, today=TODAY + dt.timedelta(days=1))
    assert d["p2"].pk in [f.id for f in later if f.kind == "problem"]
    # a campaign narrows the items to that campaign's
    only = overdue_facts(scene.committee.pk, today=TODAY, campaign_id=scene.w.campaign.pk)
    assert [f.id for f in only] == [d["p4"].pk, d["p1"].pk]


def test_unit_status_counts(scene):
    d = rectification_data(scene)
    statuses, ids = unit_statuses(scene.committee.pk, today=TODAY)
    assert [(s.unit, s.total, s.closed, s.open, s.overdue) for s in statuses] == [
        ("甲单位", 4, 1, 3, 2),
        ("乙单位", 1, 0, 1, 0),
    ]
    assert ids == sorted(d[k].pk for k in ("p1", "p2", "p3", "p4", "p5"))


def test_a_draft_from_findings_status_and_overdue_items(scene):
    d = rectification_data(scene)
    s = scene
    bulletin = services.bulletin_create_draft(
        committee=s.committee,
        actor=s.actor("committee_admin"),
        finding_ids=[s.finding_b.pk, s.finding_a.pk],
        include_status=True,
        include_overdue=True,
        today=TODAY,
    )
    assert bulletin.state == BulletinState.DRAFT and bulletin.kind == BulletinKind.AD_HOC
    assert bulletin.title == "关于模范机关创建工作有关问题及整改落实情况的通报"
    body = bulletin.body
    assert (
        "截至2026年3月10日，评审组在实地考评中发现主要问题2条，涉及2个单位；"
        "问题清单共5项，已销号1项，尚未销号4项，其中逾期2项；"
        "逾期未完成事项3项（问题清单2项、督办事项1项）。"
    ) in body
    assert IND + "（一）甲单位\n" + IND + "1.理论学习记录不全（1.1 理论学习）\n" in body
    assert IND + "（二）乙单位\n" + IND + "1.廉政教育覆盖不全（2.1 廉政教育）\n" in body
    assert "1.甲单位：问题4项，已销号1项，尚未销号3项，其中逾期2项，销号率25%。" in body
    assert "2.乙单位：问题1项，已销号0项，尚未销号1项，销号率0%。" in body
    assert (
        IND
        + "1.甲单位：甲：已报完成待销号（整改时限2026年3月5日，已逾期5天）\n"
        + IND
        + "2.甲单位：甲：三会一课记录不全（整改时限2026年3月9日，已逾期1天）\n"
    ) in body
    assert "1.乙单位：乙：完成支部换届（完成时限2026年3月8日，已逾期2天）" in body
    for leak in ("外工委", "亮点", "今日到期", "已撤销", "甲：已办结"):
        assert leak not in body
    assert bulletin.sources == {
        "today": "2026-03-10",
        "findings": [s.finding_a.pk, s.finding_b.pk],
        "status_units": [s.w.unit_a.pk, s.w.unit_b.pk],
        "status_problem_items": sorted(d[k].pk for k in ("p1", "p2", "p3", "p4", "p5")),
        "overdue_problem_items": [d["p4"].pk, d["p1"].pk],
        "overdue_ledger_items": [d["l1"].pk],
    }
    entry = AuditEntry.objects.get(action="bulletin.create", object_id=str(bulletin.pk))
    assert entry.actor_id == s.user("committee_admin").pk
    assert entry.committee_id == s.committee.pk


def test_a_campaign_draft_uses_only_that_campaigns_data(scene):
    d = rectification_data(scene)
    s = scene
    bulletin = services.bulletin_create_draft(
        committee=s.committee,
        actor=s.actor("committee_admin"),
        campaign=s.w.campaign,
        include_status=True,
        today=TODAY,
    )
    assert bulletin.campaign == s.w.campaign
    assert bulletin.title == "关于2024年度模范机关创建有关问题及整改落实情况的通报"
    assert "乙单位" not in bulletin.body  # p5 belongs to no campaign
    assert bulletin.sources["status_problem_items"] == sorted(
        d[k].pk for k in ("p1", "p2", "p3", "p4")
    )


def test_only_the_committees_admin_composes_from_its_own_findings(scene):
    s = scene
    admin = s.actor("committee_admin")
    for name in ("committee_leader", "other_admin", "owner", "assigned"):
        with pytest.raises(PermissionDenied):
            services.bulletin_create_draft(
                committee=s.committee, actor=s.actor(name), include_status=True, today=TODAY
            )
    for ids in ([s.finding_x.pk], [s.note_a.pk], [987654]):
        with pytest.raises(ValidationError):
            services.bulletin_create_draft(
                committee=s.committee, actor=admin, finding_ids=ids, today=TODAY
            )
    with pytest.raises(ValidationError):  # the other committee's campaign
        services.bulletin_create_draft(
            committee=s.committee, actor=admin, campaign=s.w.other_campaign, include_status=True
        )
    with pytest.raises(ValidationError):  # B's finding is not in the other campaign either
        services.bulletin_create_draft(committee=s.committee, actor=admin, today=TODAY)
    assert not Bulletin.objects.filter(body__contains=OTHER_FINDING).exists()
    assert Bulletin.objects.count() == 3  # the scene's three


# --- monthly -----------------------------------------------------------------------------------

MARCH_END = dt.date(2026, 3, 31)
APRIL_1 = dt.date(2026, 4, 1)


def visit(s: Scene, unit, day: dt.date, mode: str, text: str, draw=None) -> SpotCheckVisit:
    draw = draw or SpotCheckDraw.objects.create(
        committee=s.committee,
        campaign=s.w.campaign,
        title="三月明察暗访",
        seed="seed",
        inputs={},
        result={},
        created_by=s.user("committee_admin"),
    )
    return SpotCheckVisit.objects.create(
        draw=draw,
        unit=unit,
        mode=mode,
        visited_on=day,
        findings=text,
        recorded_by=s.user("committee_admin"),
    )


def interview(s: Scene, unit, day: dt.date, points: str, committee=None) -> Interview:
    return Interview.objects.create(
        committee=committee or s.committee,
        unit=unit,
        interviewer="工委副书记",
        interviewee=f"{unit.name}书记",
        held_on=day,
        points=points,
        recorded_by=s.user("committee_admin"),
    )


def test_monthly_period_boundaries(scene):
    s = scene
    w = s.w
    feb_end, mar_1 = dt.date(2026, 2, 28), dt.date(2026, 3, 1)
    last_second = at(MARCH_END, 23, 59, 59)
    first_second_april = at(APRIL_1, 0, 0, 0)  # 16:00 UTC on March 31
    inside = [
        problem(w.unit_a, dt.date(2026, 6, 1), text="三月末列入", created=last_second),
        problem(w.unit_a, dt.date(2026, 6, 1), text="三月初列入", created=at(mar_1, 0, 0, 0)),
    ]
    problem(w.unit_a, dt.date(2026, 6, 1), text="四月初列入", created=first_second_april)
    problem(w.unit_a, dt.date(2026, 6, 1), text="二月末列入", created=at(feb_end, 23, 59, 59))
    closed_in = problem(
        w.unit_b,
        dt.date(2026, 3, 20),
        text="三月末销号",
        state=ProblemState.CLOSED,
        created=at(dt.date(2026, 2, 1)),
        closed=at(MARCH_END, 23, 30),
    )
    closed_after = problem(
        w.unit_b,
        dt.date(2026, 3, 20),
        text="四月初才销号",
        state=ProblemState.CLOSED,
        created=at(dt.date(2026, 2, 1)),
        closed=at(APRIL_1, 0, 10),
    )
    open_late = problem(
        w.unit_a, dt.date(2026, 3, 30), text="三月底前到期未整改", created=at(dt.date(2026, 2, 1))
    )
    problem(w.unit_a, MARCH_END, text="月末当天到期", created=at(dt.date(2026, 2, 1)))
    problem(w.unit_a, dt.date(2026, 3, 15), text="四月才列入的旧问题", created=first_second_april)
    problem(s.unit_x, dt.date(2026, 3, 1), text="外工委问题", created=at(dt.date(2026, 3, 5)))
    feb = at(dt.date(2026, 2, 1))
    done_in = ledger(
        w.unit_b,
        dt.date(2026, 3, 31),
        task="三月办结",
        state="done",
        closed=at(dt.date(2026, 3, 15)),
        created=feb,
    )
    ledger_late = ledger(w.unit_b, dt.date(2026, 3, 20), task="逾期督办", created=feb)
    ledger(
        w.unit_a,
        dt.date(2026, 3, 1),
        task="已撤销督办",
        state="cancelled",
        closed=at(mar_1),
        created=feb,
    )
    done_after = ledger(
        w.unit_a,
        dt.date(2026, 3, 10),
        task="四月才办结",
        state="done",
        closed=at(dt.date(2026, 4, 2)),
        created=feb,
    )
    v_last = visit(s, w.unit_a, MARCH_END, "unannounced", "月末暗访：脱岗1人")
    v_first = visit(s, w.unit_b, mar_1, "announced", "月初明察：值班表未更新", draw=v_last.draw)
    visit(s, w.unit_c, APRIL_1, "unannounced", "四月暗访", draw=v_last.draw)
    visit(s, w.unit_c, feb_end, "unannounced", "二月暗访")  # an earlier draw
    t_last = interview(s, w.unit_b, MARCH_END, "督办事项推进缓慢")
    interview(s, w.unit_b, APRIL_1, "四月约谈")
    interview(s, s.unit_x, dt.date(2026, 3, 5), "外工委约谈", committee=w.other_committee)

    bulletin = services.bulletin_monthly_draft(
        committee=s.committee,
        year=2026,
        month=3,
        actor=s.actor("committee_admin"),
        today=dt.date(2026, 4, 3),
    )
    assert bulletin.kind == BulletinKind.MONTHLY
    assert (bulletin.period_start, bulletin.period_end) == (mar_1, MARCH_END)
    assert bulletin.title == "关于2026年3月督查情况的通报"
    src = bulletin.sources
    assert src["as_of"] == "2026-03-31"
    assert sorted(src["problem_items_created"]) == sorted(i.pk for i in inside)
    assert src["problem_items_closed"] == [closed_in.pk]
    assert src["ledger_items_done"] == [done_in.pk]
    assert sorted(src["overdue_problem_items"]) == sorted([closed_after.pk, open_late.pk])
    assert sorted(src["overdue_ledger_items"]) == sorted([ledger_late.pk, done_after.pk])
    assert src["visits"] == [v_first.pk, v_last.pk]
    assert src["interviews"] == [t_last.pk]
    body = bulletin.body
    assert (
        "本月共开展明察暗访2次（明察1次、暗访1次），涉及2个单位；开展约谈1次；"
        "新列入问题清单2项，销号1项；督办事项办结1项。"
        "截至2026年3月31日，逾期未完成问题清单2项、逾期未办结督办事项2项。"
    ) in body
    assert "1.乙单位（2026年3月1日，明察）：月初明察：值班表未更新" in body
    assert "2.甲单位（2026年3月31日，暗访）：月末暗访：脱岗1人" in body
    assert "1.甲单位：三月初列入（2026年3月1日列入）" in body
    assert "2.甲单位：三月末列入（2026年3月31日列入）" in body
    assert "1.乙单位：三月末销号（2026年3月31日销号）" in body
    assert "1.乙单位：三月办结（2026年3月15日办结）" in body
    assert "乙单位：四月初才销号（整改时限2026年3月20日，已逾期11天）" in body
    assert "甲单位：三月底前到期未整改（整改时限2026年3月30日，已逾期1天）" in body
    assert "甲单位：四月才办结（完成时限2026年3月10日，已逾期21天）" in body
    for absent in (
        "四月初列入",
        "二月末列入",
        "月末当天到期",
        "四月才列入",
        "外工委",
        "已撤销督办",
        "四月暗访",
        "二月暗访",
        "四月约谈",
    ):
        assert absent not in body, absent
    assert body.rstrip().endswith("2026年4月3日")
    assert AuditEntry.objects.filter(action="bulletin.create", object_id=str(bulletin.pk)).exists()


def test_the_running_month_stops_at_today_and_future_months_are_refused(scene):
    s = scene
    admin = s.actor("committee_admin")
    feb = at(dt.date(2026, 2, 1))
    late = problem(s.w.unit_a, dt.date(2026, 3, 14), text="昨日到期", created=feb)
    problem(s.w.unit_a, dt.date(2026, 3, 20), text="下周到期", created=feb)
    bulletin = services.bulletin_monthly_draft(
        committee=s.committee, year=2026, month=3, actor=admin, today=dt.date(2026, 3, 15)
    )
    assert bulletin.sources["as_of"] == "2026-03-15"
    assert bulletin.sources["overdue_problem_items"] == [late.pk]
    assert "截至2026年3月15日" in bulletin.body
    with pytest.raises(ValidationError, match="尚未开始"):
        services.bulletin_monthly_draft(
            committee=s.committee, year=2026, month=4, actor=admin, today=dt.date(2026, 3, 15)
        )
    with pytest.raises(ValidationError, match="已经生成"):
        services.bulletin_monthly_draft(
            committee=s.committee, year=2026, month=3, actor=admin, today=dt.date(2026, 3, 16)
        )
    # a campaign's own monthly bulletin is another bulletin
    campaign_one = services.bulletin_monthly_draft(
        committee=s.committee,
        year=2026,
        month=3,
        actor=admin,
        campaign=s.w.campaign,
        today=dt.date(2026, 3, 16),
    )
    assert (
        campaign_one.campaign == s.w.campaign
        and campaign_one.sources["overdue_problem_items"] == []
    )
    with pytest.raises(PermissionDenied):
        services.bulletin_monthly_draft(
            committee=s.committee,
            year=2026,
            month=2,
            actor=s.actor("other_admin"),
            today=dt.date(2026, 3, 16),
        )
    with pytest.raises(ValidationError):
        services.bulletin_monthly_draft(
            committee=s.committee, year=2026, month=13, actor=admin, today=dt.date(2026, 3, 16)
        )


def test_the_monthly_command(scene):
    s = scene
    visit(s, s.w.unit_a, dt.date(2025, 11, 3), "unannounced", "十一月暗访：会议室空调未关")
    call_command(
        "bulletin_monthly", "--committee", "test", "--month", "2025-11", "--today", "2025-12-01"
    )
    bulletin = Bulletin.objects.get(kind=BulletinKind.MONTHLY, committee=s.committee)
    assert bulletin.title == "关于2025年11月督查情况的通报"
    assert bulletin.created_by == s.user("committee_admin")
    assert bulletin.state == BulletinState.DRAFT
    assert "十一月暗访：会议室空调未关" in bulletin.body
    with pytest.raises(CommandError, match="已经生成"):
        call_command("bulletin_monthly", "--committee", "test", "--month", "2025-11")
    with pytest.raises(CommandError):  # a unit admin may not
        call_command(
            "bulletin_monthly",
            "--committee",
            "test",
            "--month",
            "2025-10",
            "--actor",
            s.user("owner").username,
        )
    with pytest.raises(CommandError):
        call_command("bulletin_monthly", "--committee", "nope", "--month", "2025-10")
    with pytest.raises(CommandError):
        call_command("bulletin_monthly", "--committee", "test", "--month", "2025/10")
    call_command(
        "bulletin_monthly",
        "--committee",
        "test",
        "--month",
        "2025-10",
        "--actor",
        s.user("committee_admin").username,
    )
    assert Bulletin.objects.filter(kind=BulletinKind.MONTHLY, committee=s.committee).count() == 2


# --- editing and publishing --------------------------------------------------------------------


def test_edit_with_optimistic_locking(scene):
    s = scene
    admin = s.actor("committee_admin")
    draft = s.draft
    saved = services.bulletin_update(
        bulletin=draft,
        title="关于三月问题整改的通报",
        document_number="市直工〔2026〕5号",
        body="各单位：\n　　正文已修改。\n",
        expected_version=1,
        actor=admin,
    )
    assert saved.version == 2 and saved.document_number == "市直工〔2026〕5号"
    entry = AuditEntry.objects.get(action="bulletin.update", object_id=str(draft.pk))
    assert entry.data["before"]["title"] == "本委草稿标记"
    assert entry.data["after"]["body"] == "各单位：\n　　正文已修改。\n"
    with pytest.raises(StaleWrite) as caught:
        services.bulletin_update(
            bulletin=draft,
            title="迟到的修改",
            document_number="",
            body="x",
            expected_version=1,
            actor=admin,
        )
    assert caught.value.current.version == 2
    with pytest.raises(ValidationError):
        services.bulletin_update(
            bulletin=draft, title=" ", document_number="", body="x", expected_version=2, actor=admin
        )
    for name in ("committee_leader", "other_admin", "owner"):
        with pytest.raises(PermissionDenied):
            services.bulletin_update(
                bulletin=draft,
                title="t",
                document_number="",
                body="b",
                expected_version=2,
                actor=s.actor(name),
            )
    draft.refresh_from_db()
    assert draft.title == "关于三月问题整改的通报" and draft.version == 2


def test_publish_tells_the_units_admins_and_leaders_and_freezes_the_bulletin(scene):
    s = scene
    w = s.w
    gone = inactive_unit(w.committee)
    gone_admin = persona("unit_admin", unit_a=gone)
    c_leader = persona("unit_leader", unit_a=w.unit_c, full_name="丙书记")
    draft = s.draft
    with pytest.raises(PermissionDenied):
        services.bulletin_transition(
            bulletin=draft,
            to=BulletinState.PUBLISHED,
            expected_version=1,
            actor=s.actor("committee_leader"),
        )
    with pytest.raises(StaleWrite):
        services.bulletin_transition(
            bulletin=draft,
            to=BulletinState.PUBLISHED,
            expected_version=7,
            actor=s.actor("committee_admin"),
        )
    assert not Notice.objects.filter(kind="bulletin.published").exists()
    published = services.bulletin_transition(
        bulletin=draft,
        to=BulletinState.PUBLISHED,
        expected_version=1,
        actor=s.actor("committee_admin"),
    )
    assert published.state == BulletinState.PUBLISHED and published.version == 2
    assert published.published_by == s.user("committee_admin") and published.published_at
    told = set(
        Notice.objects.filter(kind="bulletin.published").values_list("recipient_id", flat=True)
    )
    expected = {s.user("owner").pk, s.user("colleague").pk, s.user("outsider").pk, c_leader.pk}
    assert told == expected  # not members, not staff, not other committees, not a closed unit
    assert gone_admin.pk not in told and s.user("x_admin").pk not in told
    notice = Notice.objects.filter(kind="bulletin.published").first()
    assert notice.url == f"/supervision/bulletins/{draft.pk}/" and "本委草稿标记" in notice.title
    entry = AuditEntry.objects.get(action="bulletin.publish", object_id=str(draft.pk))
    assert entry.data["before"]["state"] == "draft" and entry.data["after"]["state"] == "published"
    # published is read-only and publishes once
    with pytest.raises(ValidationError):
        services.bulletin_update(
            bulletin=draft,
            title="t",
            document_number="",
            body="b",
            expected_version=2,
            actor=s.actor("committee_admin"),
        )
    with pytest.raises(ValidationError):
        services.bulletin_transition(
            bulletin=draft,
            to=BulletinState.PUBLISHED,
            expected_version=2,
            actor=s.actor("committee_admin"),
        )
    with pytest.raises(ValidationError):
        services.bulletin_transition(
            bulletin=draft,
            to=BulletinState.DRAFT,
            expected_version=2,
            actor=s.actor("committee_admin"),
        )
    assert Notice.objects.filter(kind="bulletin.published").count() == len(expected)


def test_drafts_are_invisible_to_units(scene):
    s = scene
    own = {s.draft.pk, s.published.pk}
    assert set(bulletins_for(s.actor("committee_admin")).values_list("pk", flat=True)) == own
    assert set(bulletins_for(s.actor("committee_leader")).values_list("pk", flat=True)) == own
    for name in ("owner", "colleague", "a_member", "outsider", "reviewer_member"):
        assert list(bulletins_for(s.actor(name)).values_list("pk", flat=True)) == [
            s.published.pk
        ], name
    for name in ("assigned", "auditor"):
        assert not bulletins_for(s.actor(name)).exists()
    for name in ("other_admin", "x_admin", "other_leader"):
        assert list(bulletins_for(s.actor(name)).values_list("pk", flat=True)) == [
            s.other_bulletin.pk
        ]
    services.bulletin_transition(
        bulletin=s.draft,
        to=BulletinState.PUBLISHED,
        expected_version=1,
        actor=s.actor("committee_admin"),
    )
    assert set(bulletins_for(s.actor("a_member")).values_list("pk", flat=True)) == own
