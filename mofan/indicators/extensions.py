"""What indicators contributes to the registries (core/extensions.py)."""

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.extensions import MenuEntry, menu

menu.register(
    MenuEntry(30, _("指标体系"), "indicators:system_list", shows=rules.is_committee_staff)
)
