"""The clerk's corrections on the review page, applied to a proposal: a node's title, points
and method, by code, and the parameters of the method read from the text (each deduction
rule's name and amount or scale, the floor and cap; each grade band's name and deduction; a
bonus's cap). Pure: the page re-reads the same text (deterministic) and applies them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from mofan.indicators.fileformat import canonical
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
        elif not node.children:
            problems += apply_params(node, data)
    return problems


def _number(raw: str, code: str, problems: list[str]) -> Decimal | None:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        problems.append(_("%(c)s：“%(v)s”不是数字。") % {"c": code, "v": raw.strip()[:20]})
        return None
    if not value.is_finite() or value < 0:
        problems.append(_("%(c)s：“%(v)s”不是数字。") % {"c": code, "v": raw.strip()[:20]})
        return None
    return value


def _numbers(raw: str, code: str, problems: list[str]) -> list[Decimal] | None:
    """ "3" or "3, 5, 10" (a scale) or "1-3" (a band's range)."""
    parts = [p for p in re.split(r"[,，、\s~～—-]+", raw.strip()) if p]
    if not parts:
        problems.append(_("%(c)s：请填写扣分数值。") % {"c": code})
        return None
    values = [_number(p, code, problems) for p in parts]
    return None if any(v is None for v in values) else [v for v in values if v is not None]


def _text(data: Mapping[str, str], name: str) -> str | None:
    value = data.get(name)
    return value.strip()[:100] if value is not None and value.strip() else None


def _relabelled(
    items: list[dict[str, Any]], data: Mapping[str, str], prefix: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each rule or band, numbered from 1, with the label the clerk typed (`<prefix>-<n>-label`)."""
    for n, item in enumerate(items, start=1):
        label = _text(data, f"{prefix}-{n}-label")
        if label:
            item["label"] = label
        yield n, item


def _set_amount(rule: dict[str, Any], values: list[Decimal]) -> None:
    """One value: so much each time. Several: the totals after 1, 2, … times (a scale, which
    keeps its rate past the last step, if it had one)."""
    if len(values) == 1:
        rule.pop("scale", None)
        rule["per_incident"] = values[0]
    else:
        if "scale" not in rule:
            rule.pop("per_incident", None)
        rule["scale"] = values


def apply_params(node: NodeData, data: Mapping[str, str]) -> list[str]:
    """`rule-<code>-<n>-label` / `-amount` ("2" each time, or "3, 5, 10" after 1, 2, 3 times),
    `floor-<code>`, `cap-<code>`, `band-<code>-<n>-label` / `-deduct` ("1-3"); the method's
    other parameters stay as read. Returns the problems (Chinese, with the code)."""
    problems: list[str] = []
    method = dict(node.method)
    code = node.code
    kind = method.get("type")
    if kind == "deduction":
        rules = [dict(r) for r in method.get("rules", [])]
        for n, rule in _relabelled(rules, data, f"rule-{code}"):
            raw = data.get(f"rule-{code}-{n}-amount")
            values = _numbers(raw, code, problems) if raw is not None else None
            if values:
                _set_amount(rule, values)
        method["rules"] = rules
    if kind in ("deduction", "bonus"):
        for key in ("floor", "cap") if kind == "deduction" else ("cap",):
            raw = data.get(f"{key}-{code}")
            if raw is not None and not raw.strip() and key == "cap" and kind == "deduction":
                method.pop("cap", None)  # left empty: no limit per rule
            elif raw is not None and raw.strip():
                value = _number(raw, code, problems)
                if value is not None:
                    method[key] = value
    if kind == "grade":
        bands = [dict(b) for b in method.get("bands", [])]
        for n, band in _relabelled(bands, data, f"band-{code}"):
            raw = data.get(f"band-{code}-{n}-deduct")
            values = _numbers(raw, code, problems) if raw is not None and "deduct" in band else None
            if values:
                band["deduct"] = [values[0], values[-1]]
        method["bands"] = bands
    node.method = canonical(method)
    return problems
