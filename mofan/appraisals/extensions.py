"""What 述职评议 contributes to the registries (core/extensions.py): its page in the navigation,
the histories of results at the foot of the unit and roster-member pages, the use of evidence
files linked to a report, who else may open those files (the round's panel while it rates),
the labels of its audit entries and its kinds of notices."""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.appraisals.models import Appraisal, RoundState
from mofan.appraisals.selectors import history_for
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
from mofan.evidence import selectors as evidence_selectors
from mofan.evidence import usage
from mofan.organizations.models import Member, Unit


def _reads_appraisals(actor: Any) -> bool:
    """Committee staff, a unit's 联络员 and 单位领导, and reviewers (panel members are usually
    named among them; the page shows each only what they may see). No query: asked per page."""
    return (
        rules.is_committee_staff(actor) or rules.reads_unit_work(actor) or rules.is_reviewer(actor)
    )


menu.register(MenuEntry(73, _("述职评议"), "appraisals:round_list", shows=_reads_appraisals))

HISTORY = "appraisals/sections/history.html"


def _unit_history(*, actor: Any, unit: Unit, **_page: Any) -> dict[str, Any] | None:
    rows = list(history_for(actor).filter(unit=unit).select_related("member"))
    return {"appraisals": rows, "show_unit": False} if rows else None


def _member_history(*, actor: Any, member: Member, **_page: Any) -> dict[str, Any] | None:
    rows = list(history_for(actor).filter(member=member))
    return {"appraisals": rows, "show_unit": True} if rows else None


page_sections.register(PageSection("organizations.unit.end", 55, HISTORY, _unit_history))
page_sections.register(PageSection("organizations.member.end", 55, HISTORY, _member_history))

usage.register(
    Appraisal.evidence,
    message=_("该文件已关联到书记述职报告，不能删除。"),
    order=60,
)


def _panel_reads_reports(actor: Actor) -> Q | None:
    """A panel member opens the files linked to the submitted reports of a round they rate."""
    # the system's own actor (manage.py export without --user) has no saved account
    if not actor.user.is_authenticated or actor.user.pk is None:
        return None
    return Q(
        appraisal_reports__round__panel=actor.user.pk,
        appraisal_reports__round__state=RoundState.RATING,
    )


evidence_selectors.register_readers(_panel_reads_reports)

notice_kinds.register(NoticeKind("appraisal.", _("述职评议"), owner="appraisals"))

audit_actions_register(
    {
        "appraisal.round.create": _("新建述职评议"),
        "appraisal.round.panel": _("设置述职评议组成员"),
        "appraisal.round.open": _("开始书记述职"),
        "appraisal.round.rate": _("开始述职评议"),
        "appraisal.round.close": _("完成述职评议"),
        "appraisal.secretary": _("修改述职人"),
        "appraisal.submit": _("提交述职报告"),
        "appraisal.return": _("退回述职报告"),
        "appraisal.rate": _("评定述职评议结果"),
        "appraisal.ballots": _("录入评议票数"),
        "appraisal.rating": _("评议组成员评议"),
        "appraisal.": _("述职评议"),
    }
)
audit_objects_register(
    {
        "appraisals.appraisalround": _("述职评议"),
        "appraisals.appraisal": _("书记述职"),
        "appraisals.rating": _("评议票"),
    }
)
