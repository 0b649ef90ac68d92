"""What supervision tells the evidence store (found by `EvidenceConfig.ready`): a file that is
the evidence of a progress report is in use."""

from django.utils.translation import gettext_lazy as _

from mofan.evidence import usage
from mofan.supervision.models import ProgressReport

usage.register(
    ProgressReport.evidence,
    message=_("该材料是督办事项进展报告的佐证，不能删除。"),
    order=40,
)
