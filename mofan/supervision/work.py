"""Supervision's part of the home page's work queue (`core.extensions.work_sources`): the unit's
admin and leader move their open ledger items (挂账督办) forward and report progress, by each
item's deadline; the committee's admin holds the 约谈 of items escalated that far; a reviewer
drawn as an inspector in a random spot check (双随机) visits the drawn units not yet visited and
records the visits (实地抽查; a draw has no deadline, so the line has no date). A fixed number of
queries per side, whatever the number of units or draws."""

from __future__ import annotations

import datetime

from django.db.models import Count, Min
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.core.extensions import WorkItem
from mofan.supervision.models import Escalation, LedgerItem, LedgerState
from mofan.supervision.selectors_ledger import ledger_items_reportable_by
from mofan.supervision.selectors_spotcheck import visits_due_of_inspector


def _unit_items(actor: Actor) -> list[WorkItem]:
    rows = list(
        ledger_items_reportable_by(actor)
        .values("unit__name")
        .annotate(n=Count("pk"), first=Min("deadline"))
        .order_by("unit__name")
    )
    url = reverse("supervision:ledger_unit")
    several = len(rows) > 1
    return [
        WorkItem(
            _("推进督办事项并报告进展"),
            row["n"],
            url,
            due=row["first"],
            detail=row["unit__name"] if several else "",
        )
        for row in rows
    ]


def _committee_items(actor: Actor) -> list[WorkItem]:
    committees = actor.committees_with(Role.COMMITTEE_ADMIN)
    if not committees:
        return []
    waiting = LedgerItem.objects.filter(
        committee_id__in=committees,
        state=LedgerState.OPEN,
        escalation__gte=Escalation.INTERVIEW,
    ).aggregate(n=Count("pk"), first=Min("deadline"))
    if not waiting["n"]:
        return []
    url = reverse("supervision:ledger_board") + f"?escalation={Escalation.INTERVIEW.value}"
    return [WorkItem(_("约谈督办事项逾期的单位"), waiting["n"], url, due=waiting["first"])]


def _inspector_items(actor: Actor) -> list[WorkItem]:
    """The inspector: the drawn units not yet visited, over every draw naming them."""
    if not actor.has(Role.REVIEWER):
        return []
    left = sum(len(f.units) - f.visits for f in visits_due_of_inspector(actor))
    if not left:
        return []
    return [WorkItem(_("实地抽查"), left, reverse("supervision:spotcheck_mine"))]


def supervision_work(*, actor: Actor, today: datetime.date) -> list[WorkItem]:
    return [*_committee_items(actor), *_inspector_items(actor), *_unit_items(actor)]
