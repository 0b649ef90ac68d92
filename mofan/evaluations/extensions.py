"""What evaluations contributes to the registries (core/extensions.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.extensions import MenuEntry, menu


def _campaigns(actor: Any) -> bool:
    return rules.is_committee_staff(actor) or rules.reads_unit_work(actor)


menu.register(MenuEntry(40, _("创建活动"), "campaigns:list", shows=_campaigns))
menu.register(MenuEntry(70, _("评审任务"), "reviews:mine", shows=rules.is_reviewer))
