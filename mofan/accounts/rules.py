"""Named access predicates: who may do or see what, each rule written once.

Views, navigation, exporters and documents ask these questions instead of testing roles by
hand; the querysets of what an actor may see stay in the apps' selectors (built on `Actor`).
Role groups are in `roles.py`.
"""

from __future__ import annotations

from typing import Any

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, UNIT_ROLES, Role


def is_auditor(actor: Actor) -> bool:
    """Holds 审计员 somewhere (the role is held alone: 三权分立)."""
    return actor.has(Role.AUDITOR)


def is_committee_staff(actor: Actor) -> bool:
    """工委管理员 or 工委领导 of some committee: sees every unit of it."""
    return actor.has(*COMMITTEE_STAFF)


def is_committee_admin(actor: Actor) -> bool:
    return actor.has(Role.COMMITTEE_ADMIN)


def is_reviewer(actor: Actor) -> bool:
    return actor.has(Role.REVIEWER)


def manages_accounts(actor: Actor) -> bool:
    """Opens account management: the committee admin (unit accounts) or the security admin."""
    return actor.has(Role.COMMITTEE_ADMIN, Role.SECURITY_ADMIN)


def is_campaign_staff(actor: Actor, campaign: Any) -> bool:
    """Committee staff of the committee that runs `campaign`."""
    return campaign.committee_id in actor.committees_with(*COMMITTEE_STAFF)


def is_unit_person(actor: Actor) -> bool:
    """Holds a unit role (联络员, 单位领导 or 党员) and no committee staff role."""
    return bool(actor.units_with(*UNIT_ROLES)) and not is_committee_staff(actor)


def reads_unit_work(actor: Actor) -> bool:
    """联络员 or 单位领导 of some unit (sees its submissions, problem list, roster), and not
    committee staff: the unit side of the pages committee staff see for every unit."""
    return bool(actor.units_with(*UNIT_READERS)) and not is_committee_staff(actor)


def reads_unit(actor: Actor, unit_id: int) -> bool:
    """Sees the unit's own work: committee staff of its committee are asked through the
    scoped selectors; this is the unit side, 联络员 or 单位领导 of that very unit."""
    return unit_id in actor.units_with(*UNIT_READERS)


def exports_anything(actor: Actor) -> bool:
    """Has an export page of one's own (我的导出): committee staff and unit readers."""
    return is_committee_staff(actor) or bool(actor.units_with(*UNIT_READERS))


def administers(actor: Actor, committee_id: int | None) -> bool:
    """工委管理员 of that committee: runs its campaigns, lists and accounts of units."""
    return committee_id in actor.committees_with(Role.COMMITTEE_ADMIN)


def signs_off(actor: Actor, committee_id: int | None) -> bool:
    """工委领导 of that committee: signs off the approval (综合审定) the admin prepared."""
    return committee_id in actor.committees_with(Role.COMMITTEE_LEADER)


def is_staff_of(actor: Actor, committee_id: int | None) -> bool:
    """工委管理员 or 工委领导 of that committee."""
    return committee_id in actor.committees_with(*COMMITTEE_STAFF)


def is_unit_admin_of(actor: Actor, unit_id: int | None) -> bool:
    """单位联络员 of that unit: fills its self-evaluation, lists and files."""
    return unit_id in actor.units_with(Role.UNIT_ADMIN)


def is_unit_leader_of(actor: Actor, unit_id: int | None) -> bool:
    """单位领导 of that unit: submits and signs off for it."""
    return unit_id in actor.units_with(Role.UNIT_LEADER)
