"""What honours contributes to the registries (core/extensions.py): its page in the navigation,
the histories of honours at the foot of the unit, party-organisation and roster-member pages,
the labels of its audit entries, its kinds of notices, and the expert panel's menu entry and
work-queue line (an expert's candidates left to score)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.extensions import (
    MenuEntry,
    NoticeKind,
    PageSection,
    WorkSource,
    audit_actions_register,
    audit_objects_register,
    menu,
    notice_kinds,
    page_sections,
    work_sources,
)
from mofan.honours.models import Nomination
from mofan.honours.panel_selectors import expert_work
from mofan.honours.selectors import honours_readable_by
from mofan.organizations.models import Member, PartyOrganization, Unit


def _reads_honours(actor: Any) -> bool:
    return rules.is_committee_staff(actor) or rules.is_unit_person(actor)


menu.register(MenuEntry(65, _("评先评优"), "honours:programme_list", shows=_reads_honours))
menu.register(MenuEntry(72, _("专家评审"), "honours:panel_list", shows=rules.is_reviewer))

# --- histories: a subject's honours over the years, newest first, on its page ----------------
HISTORY = "honours/sections/history.html"


def _history(actor: Any, honours: list[Nomination], *, subject: bool) -> dict[str, Any] | None:
    """The section's context (None without honours): the reason of a revocation only for the
    committee's staff and the nominating unit's admin and leader."""
    if not honours:
        return None
    reasons = {
        n.pk
        for n in honours
        if rules.is_staff_of(actor, n.programme.committee_id) or rules.reads_unit(actor, n.unit_id)
    }
    return {"honours": honours, "show_subject": subject, "reasons_shown": reasons}


def _unit_history(*, actor: Any, unit: Unit, **_page: Any) -> dict[str, Any] | None:
    """Every honour the unit put forward and was named: itself, its organisations, its people."""
    return _history(actor, list(honours_readable_by(actor).filter(unit=unit)), subject=True)


def _org_history(*, actor: Any, org: PartyOrganization, **_page: Any) -> dict[str, Any] | None:
    return _history(actor, list(honours_readable_by(actor).filter(party_org=org)), subject=False)


def _member_history(*, actor: Any, member: Member, **_page: Any) -> dict[str, Any] | None:
    return _history(actor, list(honours_readable_by(actor).filter(member=member)), subject=False)


for page, context in (
    ("organizations.unit.end", _unit_history),
    ("organizations.party_org.end", _org_history),
    ("organizations.member.end", _member_history),
):
    page_sections.register(PageSection(page, 50, HISTORY, context))

work_sources.register(WorkSource(40, expert_work))  # an expert's candidates left to score

notice_kinds.register(NoticeKind("honour.", _("评先评优"), owner="honours"))

audit_actions_register(
    {
        "honour.programme.create": _("新建评选项目"),
        "honour.programme.update": _("修改评选项目"),
        "honour.programme.open": _("开始评选推荐"),
        "honour.programme.review": _("结束推荐、开始评审"),
        "honour.programme.publish": _("发布评选公示"),
        "honour.programme.name": _("评选命名"),
        "honour.programme.close": _("终止评选"),
        "honour.programme.sync": _("按考评审定结果更新先进单位评选"),
        "honour.campaign_candidate": _("先进单位列入或移出拟命名名单"),
        "honour.nominate": _("推荐评选对象"),
        "honour.review": _("评选评分"),
        "honour.veto": _("记录征求意见（纪检监察/巡察/审计）"),
        "honour.tie_decide": _("确定同分入选人选"),
        "honour.objection.lodge": _("提出公示异议"),
        "honour.objection.record": _("记录来电来信等反映的公示异议"),
        "honour.objection.resolve": _("处理公示异议"),
        "honour.revoke": _("撤销荣誉"),
        "honour.register": _("导出荣誉命名登记册"),
        "honour.panel.draw": _("抽取评选专家评审组"),
        "honour.panel.score": _("专家评分"),
        "honour.panel.close": _("结束专家评分"),
        "honour.": _("评先评优"),
    }
)
audit_objects_register(
    {
        "honours.honourprogramme": _("评选项目"),
        "honours.nomination": _("评选推荐"),
        "honours.objection": _("公示异议"),
        "honours.expertpanel": _("专家评审组"),
    }
)
