"""Writes of problem-list items. `problem_item_create` is how every source (a reviewer's finding,
a committee check, a spot check, a survey, a self-check, a 约谈, a yellow card, a failing result)
puts an item on a unit's list."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.indicators.models import IndicatorNode
from mofan.notifications.recipients import unit_people
from mofan.notifications.services import notify
from mofan.organizations.models import PartyOrganization, Unit
from mofan.rectification.models import (
    ProblemEvent,
    ProblemItem,
    ProblemSource,
    ProblemState,
    Severity,
)

# Sources a unit may use for its own list; every other source is the committee's.
UNIT_SOURCES = frozenset({ProblemSource.SELF_CHECK, ProblemSource.PEER})


def _may_create(actor: Actor | None, unit: Unit, source: str) -> bool:
    if actor is None:  # the system itself (automatic lists from results)
        return source == ProblemSource.RESULT
    if unit.committee_id in actor.committees_with(Role.COMMITTEE_ADMIN):
        return True
    return source in UNIT_SOURCES and unit.pk in actor.units_with(Role.UNIT_ADMIN)


@transaction.atomic
def problem_item_create(
    *,
    unit: Unit,
    source: str,
    description: str,
    deadline: date,
    actor: Actor | None,
    severity: str = Severity.GENERAL,
    required_measures: str = "",
    responsible_person: str = "",
    campaign: Campaign | None = None,
    node: IndicatorNode | None = None,
    party_org: PartyOrganization | None = None,
    origin: tuple[str, int] | None = None,
) -> ProblemItem:
    """Put one item on a unit's problem list (audited; the unit's admin and leader are told).

    `origin` names what the item was made from, e.g. ("evaluations.finding", 12); an origin
    (with its indicator) makes at most one item. `actor=None` is the system (source `result`)."""
    if source not in ProblemSource.values:
        raise ValidationError(_("问题来源无效。"))
    if severity not in Severity.values:
        raise ValidationError(_("严重程度无效。"))
    if not _may_create(actor, unit, source):
        raise PermissionDenied(_("您无权为该单位列入此类问题。"))
    if not description.strip():
        raise ValidationError(_("请填写问题描述。"))
    if campaign is not None and campaign.committee_id != unit.committee_id:
        raise ValidationError(_("创建活动不属于该单位所在工委。"))
    if node is not None and (campaign is None or node.version_id != campaign.indicator_version_id):
        raise ValidationError(_("所选指标不属于该创建活动的指标体系。"))
    if party_org is not None and party_org.unit_id != unit.pk:
        raise ValidationError(_("所选党组织不属于该单位。"))
    origin_type, origin_id = origin if origin else ("", None)
    if origin_type and (
        ProblemItem.objects.filter(origin_type=origin_type, origin_id=origin_id, node=node)
        .select_for_update()
        .exists()
    ):
        raise ValidationError(_("该问题已列入问题清单。"))
    user = actor.user if actor else None
    item = ProblemItem.objects.create(
        committee_id=unit.committee_id,
        unit=unit,
        party_org=party_org,
        campaign=campaign,
        node=node,
        source=source,
        origin_type=origin_type,
        origin_id=origin_id,
        description=description.strip(),
        severity=severity,
        required_measures=required_measures.strip(),
        responsible_person=responsible_person.strip(),
        deadline=deadline,
        created_by=user,
    )
    ProblemEvent.objects.create(item=item, from_state="", to_state=ProblemState.OPEN, actor=user)
    audit_record(
        action="problem.create",
        actor=user,
        actor_name="" if user else "system",
        target=item,
        committee_id=unit.committee_id,
        after={
            "unit": unit.pk,
            "source": source,
            "origin": f"{origin_type}:{origin_id}" if origin_type else "",
            "node": node.code if node else "",
            "severity": severity,
            "deadline": deadline.isoformat(),
        },
    )
    notify(
        recipients=unit_people(unit.pk),
        kind="problem.new",
        title=_("新的问题清单项：%(d)s") % {"d": item.description[:30]},
        body=_("整改时限：%(date)s。请制定整改措施并报工委。") % {"date": deadline.isoformat()},
        url=reverse("rectification:item_detail", args=[item.pk]),
        key=f"problem:{item.pk}:new",
    )
    return item
