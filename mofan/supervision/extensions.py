"""What supervision contributes to the registries (core/extensions.py): its pages in the
navigation, the yellow-card notes on the organisation pages, its panels on the home page and its
kinds of notices."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.choosers import ChooserScope, register_scope
from mofan.core.extensions import (
    HomePanel,
    MenuEntry,
    NoticeKind,
    PageSection,
    WorkSource,
    audit_actions_register,
    audit_objects_register,
    home_panels,
    menu,
    notice_kinds,
    page_sections,
    work_sources,
)
from mofan.core.params import parse_id as param_id
from mofan.evidence import usage
from mofan.organizations.models import PartyOrganization, Unit
from mofan.supervision.models import ProgressReport
from mofan.supervision.selectors_ledger import (
    active_yellow_card,
    active_yellow_cards_of_unit,
    cardable_party_orgs,
    committee_supervision_counts,
    home_warnings,
    ledger_units_for,
)
from mofan.supervision.selectors_spotcheck import visitable_units
from mofan.supervision.work import supervision_work


def _bulletins(actor: Any) -> bool:
    return rules.is_committee_staff(actor) or rules.is_unit_person(actor)


menu.register(
    MenuEntry(60, _("督办台账"), "supervision:ledger_board", shows=rules.is_committee_staff)
)
menu.register(MenuEntry(60, _("督办事项"), "supervision:ledger_unit", shows=rules.reads_unit_work))
menu.register(
    MenuEntry(61, _("随机抽查"), "supervision:spotcheck_list", shows=rules.is_committee_staff)
)
menu.register(MenuEntry(62, _("通报"), "supervision:bulletin_list", shows=_bulletins))
menu.register(MenuEntry(71, _("我的抽查"), "supervision:spotcheck_mine", shows=rules.is_reviewer))


def _unit_cards(*, actor: Any, unit: Unit, **_page: Any) -> dict[str, Any] | None:
    cards = active_yellow_cards_of_unit(actor, unit)
    if not cards:
        return None
    return {"yellow_cards": cards, "marks": {org_id: _("黄牌") for org_id in cards}}


def _org_card(*, actor: Any, org: PartyOrganization, **_page: Any) -> dict[str, Any] | None:
    shown = active_yellow_card(actor, org)
    if shown is None:
        return None
    return {"yellow_card": shown, "title_badge": "supervision/sections/party_org_badge.html"}


page_sections.register(
    PageSection(
        "organizations.unit", 10, "supervision/sections/unit_yellow_cards.html", _unit_cards
    )
)
page_sections.register(
    PageSection(
        "organizations.party_org", 10, "supervision/sections/party_org_yellow_card.html", _org_card
    )
)

for kind, label in (
    ("ledger.", _("督办")),
    ("yellow_card.", _("黄牌警示")),
    ("spotcheck.", _("随机抽查")),
    ("bulletin.", _("通报")),
):
    notice_kinds.register(NoticeKind(kind, label, owner="supervision"))


def _committee_counts(*, actor: Any, today: Any, **_page: Any) -> dict[str, Any]:
    return {"counts": committee_supervision_counts(actor, today=today)}


def _warnings(*, actor: Any, today: Any, **_page: Any) -> dict[str, Any] | None:
    warnings = home_warnings(actor, today=today)
    return {"warnings": warnings} if warnings else None


home_panels.register(
    HomePanel("committee", 20, "supervision/home/committee_supervision.html", _committee_counts)
)
home_panels.register(HomePanel("alerts", 10, "supervision/_home_warnings.html", _warnings))

# The evidence store: a file in use is not deleted (and who else may open one).
usage.register(
    ProgressReport.evidence,
    message=_("该材料是督办事项进展报告的佐证，不能删除。"),
    order=40,
)

audit_actions_register(
    {
        "ledger.create": _("登记督办事项"),
        "ledger.update": _("修改督办事项"),
        "ledger.report": _("报告督办进展"),
        "ledger.escalate": _("督办逾期升级"),
        "ledger.interview_held": _("督办约谈完成"),
        "ledger.done": _("督办办结"),
        "ledger.cancel": _("撤销督办"),
        "ledger.": _("督办"),
        "interview.create": _("登记约谈"),
        "yellow_card.issue": _("挂黄牌"),
        "yellow_card.lift": _("摘黄牌"),
        "spotcheck.draw": _("随机抽查抽取"),
        "spotcheck.visit": _("记录抽查情况"),
        "bulletin.create": _("起草通报"),
        "bulletin.update": _("修改通报"),
        "bulletin.publish": _("发布通报"),
        "bulletin.withdraw": _("撤回通报"),
        "spotcheck.visit_correct": _("更正抽查记录"),
        "bulletin.": _("通报"),
    }
)
audit_objects_register(
    {
        "supervision.progressreport": _("进展报告"),
        "supervision.spotcheckvisit": _("抽查检查记录"),
    }
)

# The choosers of the ledger, 约谈 and yellow-card forms search exactly what the forms accept.
register_scope(
    ChooserScope(kind="unit", name="ledger", queryset=lambda actor, _p: ledger_units_for(actor))
)
register_scope(
    ChooserScope(
        kind="unit",
        name="visit",
        queryset=lambda actor, params: visitable_units(actor, param_id(params.get("draw"))),
    )
)
register_scope(
    ChooserScope(
        kind="party_org", name="cardable", queryset=lambda actor, _p: cardable_party_orgs(actor)
    )
)
work_sources.register(WorkSource(30, supervision_work))
