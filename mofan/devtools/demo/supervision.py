"""Demo rectification and supervision data for `load_demo`, on top of the demo campaigns: a
reviewer's finding listed as a problem and worked half-way, a unit's own self-check item, two
ledger tasks (one escalated to a warning on the unit's home page), a 约谈 record, a yellow card,
a recorded spot-check draw with one visit, and a published bulletin plus a monthly draft.
Everything goes through the services, so the audit trail and notices are the real ones."""

from __future__ import annotations

import datetime

from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.campaigns.models import Campaign
from mofan.evaluations.models import Finding
from mofan.organizations.models import Committee, PartyOrganization, Unit
from mofan.rectification import services as problems
from mofan.rectification.models import ProblemItem, ProblemSource, Severity
from mofan.supervision import bulletins, ledger, spotcheck
from mofan.supervision.models import BulletinState, Cadence, VisitMode


def load_demo_supervision(committee: Committee, finished: Campaign) -> None:
    today = timezone.localdate()
    days = datetime.timedelta
    admin = actor_for(User.objects.get(username="gw_admin"))
    liaison = actor_for(User.objects.get(username="unit001_admin"))
    leader = actor_for(User.objects.get(username="unit001_leader"))
    inspector = actor_for(User.objects.get(username="reviewer1"))
    units = list(Unit.objects.filter(committee=committee).order_by("sort_order"))
    own, second, third = units[0], units[1], units[2]

    # A reviewer's finding not yet on a list (approval lists those of failing units) becomes an
    # item.
    listed = ProblemItem.objects.filter(origin_type="evaluations.finding").values("origin_id")
    finding = (
        Finding.objects.filter(assignment__enrollment__campaign=finished)
        .exclude(pk__in=listed)
        .select_related("assignment__enrollment__unit")
        .order_by("pk")
        .first()
    )
    if finding is not None:
        if not finding.is_problem:
            Finding.objects.filter(pk=finding.pk).update(is_problem=True)
            finding.refresh_from_db()
        problems.problem_item_from_finding(
            finding=finding,
            deadline=today + days(30),
            severity=Severity.SERIOUS,
            required_measures="对照指标逐项整改，建立长效机制。",
            responsible_person="办公室主任",
            actor=admin,
        )
    checked = problems.problem_item_create(
        unit=own,
        source=ProblemSource.COMMITTEE_CHECK,
        description="“三会一课”记录不完整，部分支部党课无记录。",
        deadline=today + days(20),
        severity=Severity.GENERAL,
        required_measures="补齐记录，规范台账。",
        responsible_person="机关党委专职副书记",
        campaign=finished,
        actor=admin,
    )
    problems.problem_item_transition(
        item=checked,
        action="submit_measures",
        actor=leader,
        measures="一、逐个支部核对2020年“三会一课”记录；二、建立季度检查制度。",
    )
    problems.problem_item_create(
        unit=own,
        source=ProblemSource.SELF_CHECK,
        description="自查发现：党员学习积分登记滞后。",
        deadline=today + days(45),
        actor=liaison,
    )

    # The ledger: one task on time, one overdue long enough to be a warning on the home page.
    ledger.ledger_item_create(
        unit=own,
        task="完成机关党建工作责任制落实情况专项整改",
        leader_in_charge="分管副主任",
        deadline=today + days(25),
        cadence=Cadence.BIWEEKLY,
        campaign=finished,
        actor=admin,
    )
    ledger.ledger_item_create(
        unit=own,
        task="完成基层党组织按期换届",
        leader_in_charge="机关党委书记",
        deadline=today - days(9),
        cadence=Cadence.MONTHLY,
        actor=admin,
        today=today - days(60),
    )
    ledger.ledger_escalate(today=today)
    ledger.interview_create(
        unit=second,
        interviewer="市直机关工委副书记",
        interviewee=f"{second.name}机关党委书记",
        held_on=today - days(3),
        points="创建工作推进缓慢，问题整改不到位。",
        commitments="一个月内完成整改并书面报告。",
        rectify_by=today + days(30),
        actor=admin,
    )
    org = PartyOrganization.objects.filter(unit=third).order_by("pk").last()
    if org is not None:
        ledger.yellow_card_issue(
            party_org=org,
            reasons="组织生活不经常、不认真，党员管理松散。",
            problems=["组织生活会未按期召开", "党费收缴不规范"],
            actor=admin,
        )

    # A recorded random spot check (双随机) with one visit by the drawn inspector.
    draw = spotcheck.spot_check_draw_record(
        campaign=finished,
        units=3,
        inspectors=1,
        seed="demo-2020",
        mode=VisitMode.ANNOUNCED,
        title="2020年度创建成果随机抽查",
        actor=admin,
    )
    inspector_ids = draw.result.get("inspectors", [])
    drawn = draw.result.get("units", [])
    if drawn and inspector.user.pk in inspector_ids:
        spotcheck.spot_check_visit_record(
            draw=draw,
            unit=Unit.objects.get(pk=drawn[0]),
            mode=VisitMode.ANNOUNCED,
            visited_on=today,
            findings="查阅创建台账，实地查看党员活动室，座谈了解群众评价。",
            problems="创建台账与实际工作衔接不够紧密",
            actor=inspector,
        )

    # A published bulletin from the data, and this month's draft for the committee to edit.
    published = bulletins.bulletin_create_draft(
        committee=committee,
        actor=admin,
        campaign=finished,
        finding_ids=[finding.pk] if finding is not None else [],
        include_status=True,
        include_overdue=True,
        title="关于2020年度模范机关创建考评发现问题整改情况的通报",
    )
    bulletins.bulletin_transition(
        bulletin=published,
        to=BulletinState.PUBLISHED,
        expected_version=published.version,
        actor=admin,
    )
    last_month = today.replace(day=1) - days(1)
    bulletins.bulletin_monthly_draft(
        committee=committee, year=last_month.year, month=last_month.month, actor=admin
    )
