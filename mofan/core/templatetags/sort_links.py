"""Header links of sortable lists (see `mofan.core.sorting`).

{% load sort_links %}
<th>…</th> becomes {% sort_th sorting "unit" _("单位") %}
outside a table:  {% sort_link sorting "created" _("抽取时间") %}
"""

from __future__ import annotations

from typing import Any

from django import template

from mofan.core.sorting import Sorting

register = template.Library()


@register.inclusion_tag("core/_sort_th.html")
def sort_th(sorting: Sorting, column: str, label: Any) -> dict[str, Any]:
    return {"link": sorting.link(column), "label": label}


@register.inclusion_tag("core/_sort_link.html")
def sort_link(sorting: Sorting, column: str, label: Any) -> dict[str, Any]:
    return {"link": sorting.link(column), "label": label}
