"""What the home app contributes to the registries (core/extensions.py)."""

from django.utils.translation import gettext_lazy as _

from mofan.core.extensions import MenuEntry, menu

menu.register(MenuEntry(0, _("首页"), "home:home", shows=lambda actor: True))
