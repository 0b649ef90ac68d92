"""What brand cases contribute to the registries: the menu entries (the calls, 优秀案例, the
expert's scoring), the 优秀案例 on the unit page, audit labels, notice kinds and the use of
evidence files (a file attached to a case is not deleted)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.cases.models import Case
from mofan.cases.selectors import excellent_for
from mofan.core.extensions import (
    MenuEntry,
    NoticeKind,
    PageSection,
    audit_actions_register,
    audit_objects_register,
    menu,
    notice_kinds,
    page_sections,
)
from mofan.evidence import usage
from mofan.organizations.models import Unit


def _reads_calls(actor: Any) -> bool:
    return rules.is_committee_staff(actor) or rules.reads_unit_work(actor)


def _member_only(actor: Any) -> bool:
    """A unit's 党员 (who does not open the calls): reads the committee's 优秀案例."""
    return rules.is_unit_person(actor) and not rules.reads_unit_work(actor)


menu.register(MenuEntry(68, _("品牌案例"), "cases:call_list", shows=_reads_calls))
menu.register(MenuEntry(66, _("优秀案例"), "cases:excellent", shows=_member_only))
menu.register(MenuEntry(74, _("案例评审"), "cases:scoring_list", shows=rules.is_reviewer))


def _unit_cases(*, actor: Any, unit: Unit, **_page: Any) -> dict[str, Any] | None:
    """The unit's published 优秀案例, for whoever of the committee reads the unit page."""
    cases = list(excellent_for(actor).filter(unit=unit))
    return {"cases": cases} if cases else None


page_sections.register(
    PageSection("organizations.unit.end", 55, "cases/sections/unit_cases.html", _unit_cases)
)

notice_kinds.register(NoticeKind("case.", _("品牌案例"), owner="cases"))

usage.register(Case.evidence, message=_("该文件已作为品牌案例的附件，不能删除。"), order=70)

audit_actions_register(
    {
        "case.call.create": _("新建案例征集"),
        "case.call.update": _("修改案例征集"),
        "case.call.open": _("开始案例征集"),
        "case.call.review": _("结束征集、开始评审"),
        "case.call.publish": _("公布优秀案例"),
        "case.call.close": _("终止案例征集"),
        "case.save": _("保存品牌案例"),
        "case.submit": _("报送品牌案例"),
        "case.panel.draw": _("抽取案例评审专家"),
        "case.score": _("案例专家评分"),
        "case.panel.close": _("结束案例专家评分"),
        "case.tie_decide": _("确定同分入选案例"),
        "case.": _("品牌案例"),
    }
)
audit_objects_register(
    {
        "cases.casecall": _("案例征集"),
        "cases.case": _("品牌案例"),
        "cases.casepanel": _("案例评审专家组"),
        "cases.caseseat": _("案例评审专家"),
        "cases.casescore": _("案例专家评分"),
    }
)
