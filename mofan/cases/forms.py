"""Forms of the brand-case pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mofan.cases import rules
from mofan.cases.models import CaseCall
from mofan.evidence.models import Evidence


class CallForm(forms.ModelForm):
    criteria_text = forms.CharField(
        label=_("评审标准（每行“名称:分值”）"),
        widget=forms.Textarea(attrs={"rows": 5}),
        initial=rules.criteria_text([{"name": n, "points": p} for n, p in rules.DEFAULT_CRITERIA]),
        help_text=_("专家按各项标准分别打分，各项分值之和为满分。"),
    )

    class Meta:
        model = CaseCall
        fields = ("title", "year", "deadline", "per_unit_limit", "quota", "notes")
        widgets = {
            "deadline": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(
            ["title", "year", "deadline", "per_unit_limit", "criteria_text", "quota", "notes"]
        )
        if self.instance.pk:
            self.initial["criteria_text"] = rules.criteria_text(self.instance.criteria)

    def clean_criteria_text(self) -> list[dict[str, Any]]:
        try:
            return rules.parse_criteria(self.cleaned_data["criteria_text"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def values(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["criteria"] = self.cleaned_data["criteria_text"]
        return data


class CaseForm(forms.Form):
    title = forms.CharField(label=_("案例标题"), max_length=100)
    brand = forms.CharField(label=_("品牌名称"), max_length=50)
    summary = forms.CharField(
        label=_("案例摘要（不超过300字）"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
    )
    body = forms.CharField(label=_("案例正文"), widget=forms.Textarea(attrs={"rows": 12}))
    tags = forms.CharField(
        label=_("标签"), required=False, max_length=100, help_text=_("多个标签用逗号分隔")
    )
    evidence = forms.ModelMultipleChoiceField(
        label=_("附件（从本单位佐证库选择，可不选）"),
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, files: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = files  # type: ignore[attr-defined]


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("open", "review", "publish", "close")])
    reason = forms.CharField(required=False, max_length=2000)


class DrawForm(forms.Form):
    size = forms.IntegerField(label=_("抽取专家人数"), min_value=1, max_value=50, initial=5)
    seed = forms.CharField(
        label=_("随机种子"),
        required=False,
        max_length=64,
        help_text=_("留空则自动生成；抽取结果可凭种子和专家库复核。"),
    )


class ScoreForm(forms.Form):
    """One integer field per criterion (`c0`, `c1`, ...) and the comment."""

    comment = forms.CharField(
        label=_("评语"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, criteria: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i, criterion in enumerate(criteria):
            self.fields[f"c{i}"] = forms.IntegerField(
                label=f"{criterion['name']}（0–{criterion['points']}）",
                min_value=0,
                max_value=int(criterion["points"]),
            )
        self.order_fields([f"c{i}" for i in range(len(criteria))] + ["comment"])
        self.count = len(criteria)

    def points(self) -> list[int]:
        return [self.cleaned_data[f"c{i}"] for i in range(self.count)]
