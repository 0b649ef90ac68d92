"""What evaluations contributes to the registries (core/extensions.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.extensions import MenuEntry, NoticeKind, menu, notice_kinds
from mofan.evaluations.models import EvidenceLink
from mofan.evaluations.selectors import evidence_reviewed_by
from mofan.evidence import selectors, usage


def _campaigns(actor: Any) -> bool:
    return rules.is_committee_staff(actor) or rules.reads_unit_work(actor)


menu.register(MenuEntry(40, _("创建活动"), "campaigns:list", shows=_campaigns))
menu.register(MenuEntry(70, _("评审任务"), "reviews:mine", shows=rules.is_reviewer))
notice_kinds.register(NoticeKind("approval.", _("综合审定"), owner="evaluations"))
notice_kinds.register(NoticeKind("enrollment.submit_on_behalf", _("自评提交"), owner="evaluations"))

# The evidence store: a file in use is not deleted (and who else may open one).
usage.register(
    EvidenceLink.evidence,
    message=_("该材料仍关联着考评指标，请先取消全部关联再删除。"),
    order=10,
)
selectors.register_readers(evidence_reviewed_by)
