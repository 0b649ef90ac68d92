"""Rectification's part of the home page's work queue (`core.extensions.work_sources`): the
unit's admin and leader report measures (待报整改措施) and report completion (整改中), by each
item's deadline; the committee's admin reviews the measures reported and verifies the items
reported done. One query per side, grouped by unit and state, whatever the number of units."""

from __future__ import annotations

import datetime

from django.db.models import Count, Min
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import UNIT_READERS, Role
from mofan.core.extensions import WorkItem
from mofan.rectification.models import ProblemState
from mofan.rectification.selectors import problem_items_for

S = ProblemState
UNIT_WORK = {S.OPEN: _("报送整改措施"), S.IN_PROGRESS: _("落实整改并报告完成")}
COMMITTEE_WORK = {S.MEASURES_SUBMITTED: _("审核整改措施"), S.REPORTED_DONE: _("验收整改销号")}


def _unit_items(actor: Actor) -> list[WorkItem]:
    own = actor.units_with(*UNIT_READERS)
    if not own:
        return []
    rows = (
        problem_items_for(actor)
        .filter(unit_id__in=own, state__in=list(UNIT_WORK))
        .values("unit__name", "state")
        .annotate(n=Count("pk"), first=Min("deadline"))
        .order_by("unit__name", "state")
    )
    url = reverse("rectification:unit_items")
    return [
        WorkItem(
            str(UNIT_WORK[row["state"]]),
            row["n"],
            url,
            due=row["first"],
            detail=row["unit__name"] if len(own) > 1 else "",
        )
        for row in rows
    ]


def _committee_items(actor: Actor) -> list[WorkItem]:
    committees = actor.committees_with(Role.COMMITTEE_ADMIN)
    if not committees:
        return []
    rows = (
        problem_items_for(actor)
        .filter(committee_id__in=committees, state__in=list(COMMITTEE_WORK))
        .values("state")
        .annotate(n=Count("pk"))
        .order_by("state")
    )
    url = reverse("rectification:item_board")
    return [
        WorkItem(str(COMMITTEE_WORK[row["state"]]), row["n"], f"{url}?state={row['state']}")
        for row in rows
    ]


def rectification_work(*, actor: Actor, today: datetime.date) -> list[WorkItem]:
    return [*_committee_items(actor), *_unit_items(actor)]
