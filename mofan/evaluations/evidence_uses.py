"""What evaluations tells the evidence store (found by `EvidenceConfig.ready`): a file linked to
an indicator is in use, and a reviewer may open the files of the enrollments assigned to them."""

from django.utils.translation import gettext_lazy as _

from mofan.evaluations.models import EvidenceLink
from mofan.evaluations.selectors import evidence_reviewed_by
from mofan.evidence import selectors, usage

usage.register(
    EvidenceLink.evidence,
    message=_("该材料仍关联着考评指标，请先取消全部关联再删除。"),
    order=10,
)
selectors.register_readers(evidence_reviewed_by)
