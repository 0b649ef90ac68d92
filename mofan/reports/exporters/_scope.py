"""What the table exporters share: who is committee staff or a reader of its own unit for the
campaign, the optional narrowing to one unit, and paging through a queryset.

Every exporter reads through the scoped selectors of the pages (`evaluations.selectors`,
`rectification.selectors`, `supervision.selectors_ledger`); these helpers only decide which of
the pages' views the actor has: the committee's (admin, leader of the campaign's committee) or
its own unit's (admin, leader of a unit enrolled in the campaign). Reviewers and anybody else get
neither, unless an exporter says otherwise.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.roles import UNIT_READERS
from mofan.campaigns.models import Campaign, Enrollment
from mofan.core.exports.base import DatedExport, Exporter
from mofan.evaluations.selectors import enrollments_for
from mofan.organizations.models import Unit

PAGE = 500  # rows read per query


def paged(qs: QuerySet[Any, Any], size: int = PAGE) -> Iterator[Any]:
    """Every row of an ordered queryset, `size` rows per query (so a 20,000-unit export is 40
    queries, and nothing holds a cursor open while the caller writes, e.g. a job's progress)."""
    start = 0
    while True:
        page = list(qs[start : start + size])
        yield from page
        if len(page) < size:
            return
        start += size


def local_date(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(value).date() if value is not None else None


def export_units(actor: Actor, campaign: Campaign) -> QuerySet[Unit]:
    """The units of the campaign whose data the actor may see: what per-unit exports offer."""
    visible = enrollments_for(actor).filter(campaign=campaign).values("unit_id")
    return Unit.objects.filter(pk__in=visible).order_by("sort_order", "pk")


class CampaignTable(DatedExport, Exporter):
    """A table over one campaign. `unit` (optional unless `per_unit`) narrows it to one unit the
    actor may see; `today` fixes the day overdue flags are computed for (tests, jobs)."""

    @cached_property
    def is_staff(self) -> bool:
        """Admin or leader of the campaign's committee: the committee's view."""
        return rules.is_staff_of(self.actor, self.campaign.committee_id)

    @cached_property
    def own_units(self) -> set[int]:
        """Units enrolled in the campaign that the actor reads as their admin or leader."""
        units = self.actor.units_with(*UNIT_READERS)
        if not units:
            return set()
        return set(
            Enrollment.objects.filter(campaign=self.campaign, unit_id__in=units).values_list(
                "unit_id", flat=True
            )
        )

    def check_reader(self) -> None:
        """The committee's staff, or a reader of an enrolled unit of its own; with `unit`, a
        unit the actor may see."""
        if not self.is_staff and not self.own_units:
            raise PermissionDenied(_("无权导出该创建活动的“%(r)s”。") % {"r": self.label})
        self.check_unit()

    def check_unit(self, also: set[int] | None = None) -> None:
        """With `unit`: one of the committee's (staff), of the actor's own units, or of `also`."""
        if self.unit is None:
            return
        if self.is_staff and self.unit.committee_id == self.campaign.committee_id:
            return
        if self.unit.pk in self.own_units or self.unit.pk in (also or set()):
            return
        raise PermissionDenied(_("无权导出该单位的数据。"))

    def unit_ids(self) -> set[int] | None:
        """The units the rows are limited to: None for every unit of the committee (staff
        without `unit`), else a set."""
        if self.unit is not None:
            return {self.unit.pk}
        if self.is_staff:
            return None
        return self.own_units

    def of_units(self, qs: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        """`qs` (rows with a `unit`) limited to `unit_ids()`."""
        units = self.unit_ids()
        return qs if units is None else qs.filter(unit_id__in=units)
