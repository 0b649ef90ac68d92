"""问题清单 (problem list) and 督办台账 (supervision ledger) of a campaign, with states and dates.

Both read through the pages' selectors (`rectification.selectors.problem_items_for`,
`supervision.selectors_ledger.ledger_items_for`): committee staff get every unit's rows, a
unit's admin or leader only its own unit's; reviewers and others nothing.

Which rows belong to a campaign: the items recorded against it. Items may also carry no
campaign (a committee check, a 约谈, a yellow card, a task put on the ledger outside any
campaign); for completeness the committee's staff also get those of their committee, marked
“—” in the campaign column, while a unit's export stays strictly the campaign's (its own
campaign-less items are on its pages). The overdue flag is computed for `today`
(`CampaignTable.today`, today's date unless given).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.core.exports.base import Column
from mofan.core.exports.registry import register
from mofan.rectification.models import OPEN_STATES, ProblemItem, ProblemSource, ProblemState
from mofan.rectification.models import Severity as ProblemSeverity
from mofan.rectification.selectors import problem_items_for
from mofan.reports.exporters._scope import CampaignTable, local_date, paged
from mofan.supervision.models import Cadence, Escalation, LedgerItem, LedgerState
from mofan.supervision.selectors_ledger import ledger_items_for

NO_CAMPAIGN = "—"


def _labels(choices: Any) -> dict[Any, str]:
    return {value: str(label) for value, label in choices.choices}


class _CampaignItems(CampaignTable):
    """Rows of a model with `committee`, `campaign` and `unit`, read through a selector: each row
    starts with the item's unit and campaign, then what `item_row` makes of `item_fields`."""

    item_fields: tuple[str, ...] = ()

    def check(self) -> None:
        self.check_reader()

    def scoped(self) -> QuerySet[Any]:
        raise NotImplementedError

    def item_columns(self) -> list[Column]:
        raise NotImplementedError

    def item_row(self, item: dict[str, Any]) -> list[Any]:
        raise NotImplementedError

    def items(self) -> QuerySet[Any]:
        belongs = Q(campaign=self.campaign)
        if self.is_staff:
            belongs |= Q(campaign__isnull=True, committee_id=self.campaign.committee_id)
        return self.of_units(self.scoped().filter(belongs))

    def count(self) -> int:
        return int(self.items().count())

    def columns(self) -> list[Column]:
        return [
            Column(_("单位"), "text", 14),
            Column(_("所属活动"), "text", 12),
            *self.item_columns(),
        ]

    def rows(self) -> Iterator[Sequence[Any]]:
        """By unit (in the committee's order) and deadline, a page per query."""
        qs = (
            self.items()
            .order_by("unit__sort_order", "unit_id", "deadline", "pk")
            .values("unit__name", "campaign__name", *self.item_fields)
        )
        for item in paged(qs):
            yield [item["unit__name"], item["campaign__name"] or NO_CAMPAIGN, *self.item_row(item)]


@register
class ProblemListExporter(_CampaignItems):
    identifier = "problem_list"
    label = gettext_lazy("问题清单")  # type: ignore[assignment]
    formats = ("xlsx", "csv")
    item_fields = (
        "source",
        "node__code",
        "node__title",
        "description",
        "severity",
        "responsible_person",
        "deadline",
        "state",
        "created_at",
        "closed_at",
    )

    def scoped(self) -> QuerySet[ProblemItem]:
        return problem_items_for(self.actor)

    def item_columns(self) -> list[Column]:
        return [
            Column(_("来源"), "text", 8),
            Column(_("对应指标"), "text", 12),
            Column(_("问题描述"), "text", 30),
            Column(_("严重程度"), "text", 4),
            Column(_("整改责任人"), "text", 6),
            Column(_("整改时限"), "date", 6),
            Column(_("状态"), "text", 7),
            Column(_("是否逾期"), "text", 4),
            Column(_("提出日期"), "date", 6),
            Column(_("销号日期"), "date", 6),
        ]

    @cached_property
    def labels(self) -> tuple[dict[Any, str], dict[Any, str], dict[Any, str]]:
        return _labels(ProblemSource), _labels(ProblemSeverity), _labels(ProblemState)

    def item_row(self, item: dict[str, Any]) -> list[Any]:
        sources, severities, states = self.labels
        node = " ".join(p for p in (item["node__code"], item["node__title"]) if p)
        overdue = item["state"] in OPEN_STATES and item["deadline"] < self.today
        return [
            sources.get(item["source"], item["source"]),
            node,
            item["description"],
            severities.get(item["severity"], item["severity"]),
            item["responsible_person"],
            item["deadline"],
            states.get(item["state"], item["state"]),
            _("是") if overdue else _("否"),
            local_date(item["created_at"]),
            local_date(item["closed_at"]),
        ]


@register
class SupervisionLedgerExporter(_CampaignItems):
    identifier = "supervision_ledger"
    label = gettext_lazy("督办台账")  # type: ignore[assignment]
    formats = ("xlsx", "csv")
    item_fields = (
        "task",
        "leader_in_charge",
        "deadline",
        "cadence",
        "state",
        "escalation",
        "last_report_at",
        "closed_at",
    )

    def scoped(self) -> QuerySet[LedgerItem]:
        return ledger_items_for(self.actor)

    def item_columns(self) -> list[Column]:
        return [
            Column(_("督办事项"), "text", 30),
            Column(_("分管领导"), "text", 6),
            Column(_("完成时限"), "date", 6),
            Column(_("进展报告频次"), "text", 6),
            Column(_("状态"), "text", 5),
            Column(_("督办升级"), "text", 5),
            Column(_("是否逾期"), "text", 4),
            Column(_("最近报告日期"), "date", 6),
            Column(_("办结日期"), "date", 6),
        ]

    @cached_property
    def labels(self) -> tuple[dict[Any, str], dict[Any, str], dict[Any, str]]:
        return _labels(Cadence), _labels(LedgerState), _labels(Escalation)

    def item_row(self, item: dict[str, Any]) -> list[Any]:
        cadences, states, levels = self.labels
        overdue = item["state"] == LedgerState.OPEN and item["deadline"] < self.today
        return [
            item["task"],
            item["leader_in_charge"],
            item["deadline"],
            cadences.get(item["cadence"], item["cadence"]),
            states.get(item["state"], item["state"]),
            levels.get(item["escalation"], str(item["escalation"])),
            _("是") if overdue else _("否"),
            local_date(item["last_report_at"]),
            local_date(item["closed_at"]),
        ]
