"""The work queue at the top of every home page: what the actor must do, by when, most urgent
first, with counts and links. Each app contributes its part (`core.extensions.work_sources`);
the 换届 of party organisations (the organisation tree sits below every app that could send it)
is read here. Every source answers in a fixed number of queries, whatever the number of units."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Min
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import UNIT_READERS, Role
from mofan.core.extensions import WorkItem, work_sources
from mofan.organizations import selectors as org
from mofan.organizations.models import ELECTION_WARNING_DAYS, PartyOrganization


@dataclass(frozen=True)
class QueueLine:
    """A work item as the page shows it: its urgency in days (negative: overdue)."""

    item: WorkItem
    days_left: int | None

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0

    @property
    def overdue_days(self) -> int:
        return -self.days_left if self.days_left is not None else 0

    @property
    def urgent(self) -> bool:
        return self.days_left is not None and self.days_left <= 7


def election_items(actor: Actor, today: datetime.date) -> list[WorkItem]:
    """Units whose party organisations' terms end within 90 days (or have ended): the unit's
    admin and leader hold the election, the committee admin sees to it that they do."""
    horizon = today + datetime.timedelta(days=ELECTION_WARNING_DAYS)
    items: list[WorkItem] = []
    if actor.has(Role.COMMITTEE_ADMIN):
        due = (
            org.party_orgs_for(actor)
            .filter(
                election_due_on__lte=horizon,
                unit__committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN),
            )
            .aggregate(n=Count("pk"), first=Min("election_due_on"))
        )
        if due["n"]:
            items.append(
                WorkItem(
                    label=_("督促党组织按期换届"),
                    count=due["n"],
                    url=reverse("organizations:elections"),
                    due=due["first"],
                )
            )
    own = actor.units_with(*UNIT_READERS)
    if not own:
        return items
    by_unit: dict[int, list[PartyOrganization]] = defaultdict(list)
    for party_org in (
        PartyOrganization.objects.filter(unit_id__in=own, election_due_on__lte=horizon)
        .select_related("unit")
        .order_by("election_due_on", "pk")
    ):
        by_unit[party_org.unit_id].append(party_org)
    for orgs in by_unit.values():
        first = orgs[0]
        url = (
            reverse("organizations:party_org_detail", args=[first.pk])
            if len(orgs) == 1
            else reverse("organizations:unit_detail", args=[first.unit_id])
        )
        items.append(
            WorkItem(
                label=_("组织党组织换届选举"),
                count=len(orgs),
                url=url,
                due=first.election_due_on,
                detail=first.unit.name if len(own) > 1 else first.name,
            )
        )
    return items


def work_queue(actor: Actor, today: datetime.date) -> list[QueueLine]:
    """Every source's items, most urgent first: dated items by their date (overdue first), then
    undated ones in the sources' order."""
    items: list[WorkItem] = []
    for source in sorted(work_sources, key=lambda s: s.order):
        items.extend(source.items(actor=actor, today=today))
    items.extend(election_items(actor, today))
    lines = [
        QueueLine(item, (item.due - today).days if item.due is not None else None)
        for item in items
        if item.count
    ]
    dated = sorted((x for x in lines if x.days_left is not None), key=lambda x: x.days_left or 0)
    return dated + [x for x in lines if x.days_left is None]
