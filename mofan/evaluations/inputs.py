"""Reading a leaf's scoring input from a submitted form, per scoring method."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mofan.core.params import parse_id
from mofan.evaluations.score_write import score_fields
from mofan.indicators.methods import labels_of, rule_text


def field_name(prefix: str, key: str) -> str:
    return f"{prefix}{key}"


def parse_leaf_input(
    method: Mapping[str, Any], data: Mapping[str, Any], prefix: str = ""
) -> dict[str, Any]:
    """The method-specific input from POST data (`band`/`value`, `incident_<key>`, `level`,
    `vetoed`/`reason`)."""
    kind = method.get("type")

    def get(key: str) -> str:
        return str(data.get(field_name(prefix, key), "")).strip()

    if kind == "grade":
        band = get("band")
        if band not in labels_of(method):
            raise ValidationError(_("请选择等次。"))
        value = get("value")
        return {"band": band, **({"value": value} if value else {})}
    if kind == "deduction":
        incidents: dict[str, int] = {}
        for rule in method.get("rules", []):
            count = parse_id(get(f"incident_{rule['key']}") or "0")
            if count is None:
                raise ValidationError(_("“%(l)s”的次数应为非负整数。") % {"l": rule["label"]})
            if count:
                incidents[rule["key"]] = count
        return {"incidents": incidents}
    if kind in ("quantitative", "manual", "bonus"):
        value = get("value")
        if value == "":
            raise ValidationError(_("请填写数值。"))
        return {"value": value}
    if kind == "qualitative":
        level = get("level")
        if not level:
            raise ValidationError(_("请选择评价等级。"))
        return {"level": level}
    if kind == "veto":
        return {"vetoed": get("vetoed") in ("1", "on", "true"), "reason": get("reason")}
    raise ValidationError(_("该指标不可评分。"))


def _number(name: str, label: Any, value: Any, *, step: str, high: Any) -> dict[str, Any]:
    """A number input from 0 to `high` (no upper bound when None)."""
    return {
        "type": "number",
        "name": name,
        "label": label,
        "step": step,
        "min": "0",
        "max": high,
        "value": value,
    }


def _grade_fields(method: Mapping[str, Any], points: Any, value: Any, prefix: str) -> list[Any]:
    return [
        {
            "type": "select",
            "name": field_name(prefix, "band"),
            "label": _("等次"),
            "options": labels_of(method),
            "value": value.get("band", ""),
        },
        _number(
            field_name(prefix, "value"),
            _("得分（可选）"),
            value.get("value", ""),
            step="0.5",
            high=points,
        ),
    ]


def _deduction_fields(method: Mapping[str, Any], value: Any, prefix: str) -> list[Any]:
    incidents = value.get("incidents", {})
    return [
        {
            "type": "number",
            "name": field_name(prefix, f"incident_{rule['key']}"),
            "label": _("%(l)s（%(how)s）") % {"l": rule["label"], "how": rule_text(rule)},
            "step": "1",
            "min": "0",
            "value": incidents.get(rule["key"], 0),
        }
        for rule in method.get("rules", [])
    ]


def _veto_fields(value: Any, prefix: str) -> list[Any]:
    return [
        {
            "type": "checkbox",
            "name": field_name(prefix, "vetoed"),
            "label": _("否决"),
            "value": bool(value.get("vetoed")),
        },
        {
            "type": "text",
            "name": field_name(prefix, "reason"),
            "label": _("理由"),
            "value": value.get("reason", ""),
        },
    ]


def input_fields(
    method: Mapping[str, Any], points: Any, value: Mapping[str, Any] | None, prefix: str = ""
) -> list[dict[str, Any]]:
    """The form controls a leaf needs, with the current input filled in (for the templates)."""
    value = value or {}
    kind = method.get("type")
    current = value.get("value", "")
    name = field_name(prefix, "value")
    if kind == "grade":
        return _grade_fields(method, points, value, prefix)
    if kind == "deduction":
        return _deduction_fields(method, value, prefix)
    if kind == "quantitative":
        field = _number(name, _("实际数值"), current, step="any", high=None)
        del field["max"]
        return [field]
    if kind == "manual":
        step = str(method.get("step", "0.5"))
        return [_number(name, _("得分"), current, step=step, high=method.get("max", points))]
    if kind == "bonus":
        return [_number(name, _("加分"), current, step="0.5", high=method.get("cap"))]
    if kind == "qualitative":
        return [
            {
                "type": "select",
                "name": field_name(prefix, "level"),
                "label": _("评价"),
                "options": labels_of(method),
                "value": value.get("level", ""),
            }
        ]
    if kind == "veto":
        return _veto_fields(value, prefix)
    return []


def raw_leaf_input(
    method: Mapping[str, Any], data: Mapping[str, Any], prefix: str = ""
) -> dict[str, Any]:
    """What the person typed, unchecked, in the shape `input_fields` shows: the row refused
    for a bad input keeps every value (issue 14: a validation error never clears a form)."""
    kind = method.get("type")

    def get(key: str) -> str:
        return str(data.get(field_name(prefix, key), "")).strip()

    if kind == "grade":
        return {"band": get("band"), "value": get("value")}
    if kind == "deduction":
        rules = method.get("rules", [])
        return {"incidents": {r["key"]: get(f"incident_{r['key']}") for r in rules}}
    if kind == "qualitative":
        return {"level": get("level")}
    if kind == "veto":
        return {"vetoed": get("vetoed") in ("1", "on", "true"), "reason": get("reason")}
    return {"value": get("value")}


def mark_error(
    method: Mapping[str, Any], fields: list[dict[str, Any]], raw: Mapping[str, Any], message: str
) -> str:
    """Mark the control a refused input concerns (`error` on its field) and return the message
    naming it: “得分”：得分应在 0 到 5 之间。"""
    if not fields:
        return message
    chosen = fields[0]
    if method.get("type") == "grade" and raw.get("band") in labels_of(method):
        chosen = fields[1]  # the band is fine: the score within it is not
    for f in fields:
        if str(f["label"]).split("（")[0] in message and f["type"] != "checkbox":
            chosen = f
    chosen["error"] = True
    label = str(chosen["label"])
    if label.split("（")[0] in message:
        return message
    return _("“%(f)s”：%(m)s") % {"f": label, "m": message}


def checked_leaf_input(node: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """The leaf's input from the form, refused (ValidationError) when it does not fit the
    leaf's method: checked before any rule of the step, so that a refusal of the input can be
    told from a refusal of the save."""
    value = parse_leaf_input(node.method, data)
    score_fields(node, value)
    return value
