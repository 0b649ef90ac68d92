"""What campaigns tells the evidence store (found by `EvidenceConfig.ready`): a file pinned as a
unit's 实施方案 is in use."""

from django.utils.translation import gettext_lazy as _

from mofan.campaigns.models import Enrollment
from mofan.evidence import usage

usage.register(
    Enrollment.plan,
    message=_("该材料是本单位的实施方案，不能删除。"),
    order=20,
)
