"""Forms of the indicator editor."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mofan.indicators.methods import METHOD_TYPES, param_problems

METHOD_LABELS = {
    "rollup": _("汇总（下级之和或最差等级）"),
    "grade": _("等次（优/良/一般/不合格）"),
    "deduction": _("按次扣分"),
    "quantitative": _("量化（按记录计算）"),
    "manual": _("人工打分"),
    "qualitative": _("定性（达标/基本达标/未达标）"),
    "bonus": _("加分"),
    "veto": _("一票否决"),
}

METHOD_SHORT = {
    "rollup": _("汇总"),
    "grade": _("等次"),
    "deduction": _("扣分"),
    "quantitative": _("量化"),
    "manual": _("打分"),
    "qualitative": _("定性"),
    "bonus": _("加分"),
    "veto": _("否决"),
}

PRESETS: dict[str, dict[str, Any]] = {
    "rollup": {"mode": "sum"},
    "grade": {
        "bands": [
            {"label": "优", "deduct": [0, 0]},
            {"label": "良", "deduct": [1, 3]},
            {"label": "一般", "deduct": [3, 5]},
            {"label": "不合格", "ratio": [0, 0.5]},
        ]
    },
    "deduction": {"rules": [{"key": "incident", "label": "问题", "per_incident": 1}], "floor": 0},
    "quantitative": {"rule": "", "credit": "linear"},
    "manual": {"step": 0.5},
    "qualitative": {"labels": ["达标", "基本达标", "未达标"]},
    "bonus": {"cap": 5},
    "veto": {"reason_required": True},
}


class PointsForm(forms.Form):
    points = forms.DecimalField(
        label=_("分值"), required=False, min_value=Decimal(0), max_digits=8, decimal_places=2
    )


class NodeForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=500)
    points = forms.DecimalField(
        label=_("分值"),
        required=False,
        min_value=Decimal(0),
        max_digits=8,
        decimal_places=2,
        help_text=_("定性指标留空。"),
    )
    criteria = forms.CharField(
        label=_("考核标准"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    method_type = forms.ChoiceField(
        label=_("评分方法"), choices=[(t, METHOD_LABELS[t]) for t in METHOD_TYPES]
    )
    params = forms.CharField(
        label=_("方法参数（JSON）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("留空则使用该方法的常用参数。格式见《指标文件格式》说明。"),
    )
    evidence = forms.CharField(
        label=_("佐证材料"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence_required = forms.BooleanField(label=_("须附佐证"), required=False)
    weight = forms.DecimalField(
        label=_("权重"), initial=1, min_value=Decimal("0.001"), max_digits=6, decimal_places=3
    )
    override_points = forms.BooleanField(label=_("分值单独设定（不等于下级之和）"), required=False)
    note = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, rules: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> None:
        self.rules = rules or []
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("method_type")
        raw = (data.get("params") or "").strip()
        if not kind:
            return data
        if raw:
            try:
                params = json.loads(raw)
            except json.JSONDecodeError:
                self.add_error("params", _("参数不是有效的 JSON。"))
                return data
            if not isinstance(params, dict):
                self.add_error("params", _('参数应为 JSON 对象，例如 {"step": 0.5}。'))
                return data
        else:
            params = dict(PRESETS[kind])
        params.pop("type", None)
        method = {"type": kind, **params}
        for problem in param_problems(method, data.get("points"), self.rules):
            self.add_error("params" if raw else "method_type", problem)
        data["method"] = method
        return data

    @classmethod
    def initial_for(cls, node: Any) -> dict[str, Any]:
        params = {k: v for k, v in (node.method or {}).items() if k != "type"}
        return {
            "title": node.title,
            "points": node.points,
            "criteria": node.criteria,
            "method_type": node.method.get("type", "manual"),
            "params": json.dumps(params, ensure_ascii=False) if params else "",
            "evidence": node.evidence,
            "evidence_required": node.evidence_required,
            "weight": node.weight,
            "override_points": node.override_points,
            "note": node.note,
        }


class NewNodeForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=500)
    points = forms.DecimalField(
        label=_("分值"), required=False, min_value=Decimal(0), max_digits=8, decimal_places=2
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("指标文件（.yaml 或 .xlsx）"))


class DocumentForm(forms.Form):
    """A plan document to read: a file, or its text pasted."""

    file = forms.FileField(label=_("方案文件（.docx、.pdf 或 .txt）"), required=False)
    text = forms.CharField(
        label=_("或粘贴方案文本"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
