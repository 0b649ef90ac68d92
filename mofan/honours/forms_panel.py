"""Forms of the expert panel's pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PanelDrawForm(forms.Form):
    size = forms.IntegerField(label=_("抽取专家人数"), min_value=1, max_value=50, initial=5)
    blind = forms.BooleanField(
        label=_("盲评（专家看不到推荐单位名称；评选单位时以“候选对象A、B…”代替）"),
        required=False,
        initial=True,
    )
    seed = forms.CharField(
        label=_("随机种子"),
        required=False,
        max_length=64,
        help_text=_("留空则自动生成；抽取结果可凭种子和专家库复核。"),
    )


class PanelScoreForm(forms.Form):
    nomination = forms.IntegerField(widget=forms.HiddenInput)
    score = forms.DecimalField(
        label=_("评分（0–100）"), min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    note = forms.CharField(
        label=_("评语"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PanelCloseForm(forms.Form):
    accept_missing = forms.BooleanField(label=_("缺评的推荐对象按已有评分计算"), required=False)
