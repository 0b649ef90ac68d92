"""What evaluations contributes to the registries (core/extensions.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.campaigns.selectors import units_to_enrol
from mofan.core.choosers import ChooserScope, register_scope
from mofan.core.extensions import (
    MenuEntry,
    NoticeKind,
    ReminderJob,
    WorkSource,
    audit_actions_register,
    audit_objects_register,
    menu,
    notice_kinds,
    reminders,
    work_sources,
)
from mofan.core.params import parse_id
from mofan.evaluations.models import EvidenceLink
from mofan.evaluations.reminders import send_evaluation_reminders
from mofan.evaluations.review_groups import campaign_reviewers
from mofan.evaluations.selectors import campaigns_managed_by, evidence_reviewed_by
from mofan.evaluations.work import evaluation_work
from mofan.evidence import selectors, usage
from mofan.organizations.models import Unit


def _campaigns(actor: Any) -> bool:
    return rules.is_committee_staff(actor) or rules.reads_unit_work(actor)


menu.register(MenuEntry(40, _("创建活动"), "campaigns:list", shows=_campaigns))
menu.register(MenuEntry(70, _("评审任务"), "reviews:mine", shows=rules.is_reviewer))
notice_kinds.register(NoticeKind("approval.", _("综合审定"), owner="evaluations"))
notice_kinds.register(NoticeKind("enrollment.submit_on_behalf", _("自评提交"), owner="evaluations"))
for kind, label in {
    "enrollment.submitted": _("自评提交"),
    "enrollment.received": _("自评提交"),
    "enrollment.returned": _("退回修改"),
    "enrollment.extended": _("延期"),
    "enrollment.due7": _("填报截止提醒"),
    "enrollment.due1": _("填报截止提醒"),
    "enrollment.": _("单位自评"),
    "review.": _("评审"),
    "review.due7": _("评审截止提醒"),
    "review.due1": _("评审截止提醒"),
    "results.": _("结果公布"),
}.items():
    notice_kinds.register(NoticeKind(kind, label, owner="evaluations"))
reminders.register(ReminderJob(20, "evaluation-deadlines", send_evaluation_reminders))
work_sources.register(WorkSource(10, evaluation_work))

# The evidence store: a file in use is not deleted (and who else may open one).
usage.register(
    EvidenceLink.evidence,
    message=_("该材料仍关联着考评指标，请先取消全部关联再删除。"),
    order=10,
)
selectors.register_readers(evidence_reviewed_by)

audit_actions_register(
    {
        "enrollment.start": _("开始自评"),
        "enrollment.resume": _("重新自评"),
        "enrollment.submit": _("提交自评"),
        "enrollment.return": _("退回自评"),
        "enrollment.review": _("完成评审"),
        "enrollment.approve": _("审定通过"),
        "enrollment.reopen": _("撤回审定"),
        "enrollment.extend": _("延长填报期限"),
        "enrollment.": _("单位创建进度"),
        "self_score.save": _("保存自评评分"),
        "ledger_figures.refresh": _("重新取数"),
        "ledger_figures.": _("台账取数"),
        "review_score.save": _("保存评审评分"),
        "review.submit": _("提交评审意见"),
        "review.consolidate": _("汇总评审意见"),
        "review.finding": _("记录评审发现"),
        "review.visit": _("记录实地查看"),
        "review.assignment.draw": _("抽签分配评审单位"),
        "review.": _("评审"),
        "review_group.create": _("建立评审组"),
        "review_group.draw": _("随机抽取评审员"),
        "review_group.": _("评审组"),
        "approval.campaign": _("审定活动结果"),
        "approval.result": _("审定单位结果"),
        "approval.publish": _("公布结果"),
        "approval.veto_input": _("录入否决意见"),
        "approval.quota_tie": _("决定先进名额线上的并列"),
        "approval.prepare": _("准备审定（报领导签批）"),
        "approval.sign": _("领导签批审定"),
        "approval.run_request": _("提交后台审定"),
        "approval.withdraw": _("撤回待签批的审定"),
        "approval.close": _("结束审定"),
        "enrollment.incomplete": _("记为未完成"),
        "approval.": _("审定"),
        "evidence.link": _("关联佐证材料"),
        "evidence.unlink": _("取消关联佐证材料"),
    }
)
audit_objects_register(
    {
        "evaluations.evidencelink": _("佐证材料关联"),
        "evaluations.ledgerfigures": _("台账取数"),
        "evaluations.approvalbatch": _("一轮审定"),
        "evaluations.approvalrun": _("后台审定"),
        "evaluations.quotatiedecision": _("并列决定"),
        "evaluations.selfscore": _("自评评分"),
        "evaluations.reviewgroup": _("评审组"),
        "evaluations.reviewerseat": _("评审组成员"),
        "evaluations.draw": _("抽签记录"),
        "evaluations.assignment": _("评审分配"),
        "evaluations.visit": _("实地查看"),
        "evaluations.reviewscore": _("评审评分"),
        "evaluations.reviewsubmission": _("评审意见"),
        "evaluations.finding": _("评审发现"),
        "evaluations.consolidatedscore": _("汇总评分"),
        "evaluations.vetoinput": _("否决意见"),
        "evaluations.unitresult": _("单位结果"),
        "evaluations.resultsummary": _("结果汇总"),
        "evaluations.unittotals": _("单位得分"),
    }
)


def _campaign_reviewers(actor: Any, params: Any) -> Any:
    return campaign_reviewers(actor, parse_id(params.get("campaign")))


# The chooser of the review-group form: the reviewers of the campaign's committee.
register_scope(ChooserScope(kind="reviewer", name="campaign", queryset=_campaign_reviewers))


def _units_to_enrol(actor: Any, params: Any) -> Any:
    pk = parse_id(params.get("campaign"))
    campaign = None if pk is None else campaigns_managed_by(actor).filter(pk=pk).first()
    return Unit.objects.none() if campaign is None else units_to_enrol(campaign)


# The chooser of "增加参评单位": the committee's active units not yet in the campaign.
register_scope(ChooserScope(kind="unit", name="to_enrol", queryset=_units_to_enrol))
