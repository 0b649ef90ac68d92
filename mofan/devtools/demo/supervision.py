"""Demo rectification and supervision data for `load_demo`, on top of the demo campaigns: a
reviewer's finding listed as a problem and worked half-way, a unit's own self-check item, two
ledger tasks (one escalated to a warning on the unit's home page), a 约谈 record, a yellow card,
a recorded spot-check draw with one visit, and a published bulletin plus a monthly draft.
Everything goes through the services, so the audit trail and notices are the real ones."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import User
from mofan.campaigns.models import Campaign
from mofan.evaluations.models import Finding
from mofan.organizations.models import Committee, PartyOrganization, Unit
from mofan.rectification import services as problems
from mofan.rectification.models import ProblemItem, ProblemSource, Severity
from mofan.supervision import bulletins, ledger, spotcheck
from mofan.supervision.models import BulletinState, Cadence, VisitMode

DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class _Scene:
    """The accounts acting in the demo's supervision data, the date and the units it is about
    (the first three of annex 1)."""

    committee: Committee
    finished: Campaign
    today: datetime.date
    admin: Actor
    liaison: Actor
    leader: Actor
    inspector: Actor
    own: Unit
    second: Unit
    third: Unit


def load_demo_supervision(committee: Committee, finished: Campaign) -> None:
    units = list(Unit.objects.filter(committee=committee).order_by("sort_order"))
    scene = _Scene(
        committee=committee,
        finished=finished,
        today=timezone.localdate(),
        admin=actor_for(User.objects.get(username="gw_admin")),
        liaison=actor_for(User.objects.get(username="unit001_admin")),
        leader=actor_for(User.objects.get(username="unit001_leader")),
        inspector=actor_for(User.objects.get(username="reviewer1")),
        own=units[0],
        second=units[1],
        third=units[2],
    )
    finding = _problem_items(scene)
    _ledger(scene)
    _spot_check(scene)
    _bulletins(scene, finding)


def _problem_items(scene: _Scene) -> Finding | None:
    """A reviewer's finding not yet on a list (approval lists those of failing units) becomes an
    item; the committee's check lists one more, with measures submitted; the unit lists one of
    its own. Returns that finding."""
    today, admin = scene.today, scene.admin
    listed = ProblemItem.objects.filter(origin_type="evaluations.finding").values("origin_id")
    finding = (
        Finding.objects.filter(assignment__enrollment__campaign=scene.finished)
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
            deadline=today + 30 * DAY,
            severity=Severity.SERIOUS,
            required_measures="对照指标逐项整改，建立长效机制。",
            responsible_person="办公室主任",
            actor=admin,
        )
    checked = problems.problem_item_create(
        unit=scene.own,
        source=ProblemSource.COMMITTEE_CHECK,
        description="“三会一课”记录不完整，部分支部党课无记录。",
        deadline=today + 20 * DAY,
        severity=Severity.GENERAL,
        required_measures="补齐记录，规范台账。",
        responsible_person="机关党委专职副书记",
        campaign=scene.finished,
        actor=admin,
    )
    problems.problem_item_transition(
        item=checked,
        action="submit_measures",
        actor=scene.leader,
        measures="一、逐个支部核对2020年“三会一课”记录；二、建立季度检查制度。",
    )
    problems.problem_item_create(
        unit=scene.own,
        source=ProblemSource.SELF_CHECK,
        description="自查发现：党员学习积分登记滞后。",
        deadline=today + 45 * DAY,
        actor=scene.liaison,
    )
    return finding


def _ledger(scene: _Scene) -> None:
    """One task on time, one overdue long enough to be a warning on the home page; a 约谈 and
    a yellow card."""
    today, admin, own = scene.today, scene.admin, scene.own
    ledger.ledger_item_create(
        unit=own,
        task="完成机关党建工作责任制落实情况专项整改",
        leader_in_charge="分管副主任",
        deadline=today + 25 * DAY,
        cadence=Cadence.BIWEEKLY,
        campaign=scene.finished,
        actor=admin,
    )
    ledger.ledger_item_create(
        unit=own,
        task="完成基层党组织按期换届",
        leader_in_charge="机关党委书记",
        deadline=today - 9 * DAY,
        cadence=Cadence.MONTHLY,
        actor=admin,
        today=today - 60 * DAY,
    )
    ledger.ledger_escalate(today=today)
    ledger.interview_create(
        unit=scene.second,
        interviewer="市直机关工委副书记",
        interviewee=f"{scene.second.name}机关党委书记",
        held_on=today - 3 * DAY,
        points="创建工作推进缓慢，问题整改不到位。",
        commitments="一个月内完成整改并书面报告。",
        rectify_by=today + 30 * DAY,
        actor=admin,
    )
    org = PartyOrganization.objects.filter(unit=scene.third).order_by("pk").last()
    if org is not None:
        ledger.yellow_card_issue(
            party_org=org,
            reasons="组织生活不经常、不认真，党员管理松散。",
            problems=["组织生活会未按期召开", "党费收缴不规范"],
            actor=admin,
        )


def _spot_check(scene: _Scene) -> None:
    """A recorded random spot check (双随机) with one visit by the drawn inspector."""
    draw = spotcheck.spot_check_draw_record(
        campaign=scene.finished,
        units=3,
        inspectors=1,
        seed="demo-2020",
        mode=VisitMode.ANNOUNCED,
        title="2020年度创建成果随机抽查",
        actor=scene.admin,
    )
    inspector_ids = draw.result.get("inspectors", [])
    drawn = draw.result.get("units", [])
    if drawn and scene.inspector.user.pk in inspector_ids:
        spotcheck.spot_check_visit_record(
            draw=draw,
            unit=Unit.objects.get(pk=drawn[0]),
            mode=VisitMode.ANNOUNCED,
            visited_on=scene.today,
            findings="查阅创建台账，实地查看党员活动室，座谈了解群众评价。",
            problems="创建台账与实际工作衔接不够紧密",
            actor=scene.inspector,
        )


def _bulletins(scene: _Scene, finding: Finding | None) -> None:
    """A published bulletin from the data, and last month's draft for the committee to edit."""
    admin = scene.admin
    published = bulletins.bulletin_create_draft(
        committee=scene.committee,
        actor=admin,
        campaign=scene.finished,
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
    last_month = scene.today.replace(day=1) - DAY
    bulletins.bulletin_monthly_draft(
        committee=scene.committee, year=last_month.year, month=last_month.month, actor=admin
    )
