"""The expert panel block of a programme's page (`honours/panel_section.html`), computed from
the page's actor so the programme view stays as it is: nothing for people outside the
committee's staff."""

from __future__ import annotations

from typing import Any

from django import template

from mofan.accounts.access import actor_of
from mofan.honours.forms_panel import PanelCloseForm, PanelDrawForm
from mofan.honours.models import HonourProgramme
from mofan.honours.panel_selectors import panel_section

register = template.Library()


@register.inclusion_tag("honours/panel_block.html", takes_context=True)
def panel_block(context: template.Context, programme: HonourProgramme) -> dict[str, Any]:
    request = context["request"]
    section = panel_section(actor_of(request), programme)
    if section is None:
        return {"section": None}
    section["draw_form"] = PanelDrawForm() if section.get("can_draw") else None
    section["close_form"] = PanelCloseForm() if section.get("can_close") else None
    return {"section": section, "csrf_token": context.get("csrf_token")}
