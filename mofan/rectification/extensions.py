"""What rectification contributes to the registries (core/extensions.py): its pages in the
navigation, the re-review section of the score trace, the daily deadline reminders and its
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
    ReminderJob,
    WorkSource,
    audit_actions_register,
    audit_objects_register,
    home_panels,
    menu,
    notice_kinds,
    page_sections,
    reminders,
    work_sources,
)
from mofan.evidence import usage
from mofan.rectification.models import ProblemItem
from mofan.rectification.reminders import send_problem_reminders
from mofan.rectification.selectors import (
    committee_item_counts,
    listable_units,
    open_items_of_units,
    rereview_trace,
)
from mofan.rectification.services import ACTION_LABELS
from mofan.rectification.work import rectification_work

menu.register(
    MenuEntry(50, _("问题整改"), "rectification:item_board", shows=rules.is_committee_staff)
)
menu.register(MenuEntry(50, _("问题清单"), "rectification:unit_items", shows=rules.reads_unit_work))


def _trace(*, enrollment: Any, nodes_by_id: dict[int, Any], **_page: Any) -> dict[str, Any] | None:
    rereviews = rereview_trace(enrollment, nodes_by_id)
    return {"rereviews": rereviews} if rereviews else None


page_sections.register(
    PageSection("evaluations.trace", 10, "rectification/sections/trace_rereviews.html", _trace)
)
reminders.register(ReminderJob(10, "problem-deadlines", send_problem_reminders))
notice_kinds.register(NoticeKind("problem.", _("问题整改"), owner="rectification"))
notice_kinds.register(NoticeKind("rereview.", _("复核"), owner="rectification"))


def _committee_counts(*, actor: Any, today: Any, **_page: Any) -> dict[str, Any]:
    return {"counts": committee_item_counts(actor, today=today)}


def _unit_problems(*, actor: Any, unit_ids: list[int], today: Any, **_page: Any) -> dict[int, Any]:
    """Each of the actor's units it administers or leads: its open items (two queries)."""
    items = open_items_of_units(actor, today=today)
    return {pk: {"problems": items[pk], "unit_id": pk} for pk in unit_ids if pk in items}


home_panels.register(
    HomePanel("committee", 10, "rectification/home/committee_problems.html", _committee_counts)
)
work_sources.register(WorkSource(20, rectification_work))
home_panels.register(HomePanel("unit", 10, "rectification/home/unit_problems.html", _unit_problems))

# The evidence store: a file in use is not deleted (and who else may open one).
usage.register(
    ProblemItem.evidence,
    message=_("该材料是问题整改的佐证，不能删除。"),
    order=30,
)

audit_actions_register(
    {
        "problem.create": _("登记整改问题"),
        "problem.update": _("修改整改问题"),
        **{f"problem.{name}": label for name, label in ACTION_LABELS.items()},
        "problem.": _("问题整改"),
        "rereview.create": _("发起复核"),
        "rereview.refresh": _("更新复核范围"),
        "rereview.score": _("复核评分"),
        "rereview.open": _("开始复核"),
        "rereview.submit": _("提交复核"),
        "rereview.approve": _("批准复核结果"),
        "rereview.reject": _("驳回复核"),
        "rereview.withdraw": _("撤回复核"),
        "rereview.close": _("结束整改（不再复核）"),
        "problem.bulk_from_findings": _("评审发现批量列入问题清单"),
        "rereview.": _("复核"),
        "result.rereview": _("按复核更新结果"),
        "result.rereview_reapply": _("重新应用复核结果"),
        "result.": _("结果"),
    }
)
audit_objects_register(
    {
        "rectification.problemevent": _("整改记录"),
        "rectification.rereviewscore": _("复核评分"),
    }
)

# The chooser of the committee's new-item form searches the units it accepts.
register_scope(
    ChooserScope(kind="unit", name="listable", queryset=lambda actor, _p: listable_units(actor))
)
