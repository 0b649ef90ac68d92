"""The clerk's corrections on the review page, applied to a proposal: a node's title, points
and method, by code. Pure: the page re-reads the same text (deterministic) and applies them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from mofan.indicators.tree import NodeData, walk

# The methods the clerk may switch a leaf to without giving parameters on this page; the
# editor sets the rest (bands, rules) on the draft.
SIMPLE_METHODS: dict[str, dict[str, Any]] = {
    "manual": {"type": "manual", "step": 0.5},
    "qualitative": {"type": "qualitative"},
    "veto": {"type": "veto"},
}


def apply_fixes(roots: list[NodeData], data: Mapping[str, str]) -> list[str]:
    """Apply `title-<code>`, `points-<code>`, `method-<code>` from the form; return the
    problems (Chinese, with the code) of values that cannot be read."""
    problems: list[str] = []
    for node, _depth in walk(roots):
        title = data.get(f"title-{node.code}")
        if title is not None:
            node.title = title.strip()
        raw = data.get(f"points-{node.code}")
        if raw is not None:
            raw = raw.strip()
            if not raw:
                node.points = None
            else:
                try:
                    node.points = Decimal(raw)
                except InvalidOperation:
                    problems.append(
                        _("%(c)s：分值“%(v)s”不是数字。") % {"c": node.code, "v": raw[:20]}
                    )
        method = data.get(f"method-{node.code}", "")
        if method in SIMPLE_METHODS and not node.children:
            node.method = dict(SIMPLE_METHODS[method])
            if method in ("qualitative", "veto"):
                node.points = None
    return problems
