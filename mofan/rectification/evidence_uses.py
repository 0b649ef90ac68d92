"""What rectification tells the evidence store (found by `EvidenceConfig.ready`): a file that is
the evidence of a problem item is in use."""

from django.utils.translation import gettext_lazy as _

from mofan.evidence import usage
from mofan.rectification.models import ProblemItem

usage.register(
    ProblemItem.evidence,
    message=_("该材料是问题整改的佐证，不能删除。"),
    order=30,
)
