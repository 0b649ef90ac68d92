"""What campaigns contributes to the registries (core/extensions.py and the evidence store's)."""

from django.utils.translation import gettext_lazy as _

from mofan.campaigns.models import Enrollment
from mofan.evidence import usage

# The evidence store: a file in use is not deleted (and who else may open one).
usage.register(
    Enrollment.plan,
    message=_("该材料是本单位的实施方案，不能删除。"),
    order=20,
)
