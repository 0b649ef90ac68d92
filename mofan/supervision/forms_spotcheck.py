"""Forms of the spot-check pages: the committee's draw and the inspector's visit record."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mofan.campaigns.models import Campaign
from mofan.core.choosers import ChooserField
from mofan.organizations.models import Unit
from mofan.supervision.forms_common import DateInput, ScopedForm
from mofan.supervision.models import VisitMode
from mofan.supervision.spotcheck.drawing import MAX_EXCLUDE_MONTHS

STRATIFY_LABELS = [
    ("", _("不分层")),
    ("category", _("按单位类别分层")),
    ("score_band", _("按考评等次分层")),
]


class SpotCheckDrawForm(ScopedForm):
    campaign = forms.ModelChoiceField(label=_("创建活动"), queryset=Campaign.objects.none())
    title = forms.CharField(label=_("抽查名称"), max_length=200, required=False)
    units = forms.IntegerField(label=_("抽取单位数"), min_value=1, max_value=20000)
    inspectors = forms.IntegerField(label=_("抽取检查人员数"), min_value=1, max_value=1000)
    stratify_by = forms.ChoiceField(label=_("分层抽取"), choices=STRATIFY_LABELS, required=False)
    exclude_months = forms.IntegerField(
        label=_("排除近几个月内已抽查的单位"),
        min_value=0,
        max_value=MAX_EXCLUDE_MONTHS,
        initial=12,
        help_text=_("填 0 表示不排除。"),
    )
    mode = forms.ChoiceField(
        label=_("检查方式"),
        choices=VisitMode.choices,
        initial=VisitMode.UNANNOUNCED,
        help_text=_("暗访的抽查在全部单位检查完毕前不向被抽中单位公开。"),
    )
    seed = forms.CharField(
        label=_("随机种子（可选）"),
        max_length=64,
        required=False,
        help_text=_("留空则自动生成；种子与结果一并公开，任何人可据此复现抽取结果。"),
    )

    def __init__(self, *args: Any, campaigns: QuerySet[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit(campaign=campaigns)


class SpotCheckVisitForm(forms.Form):
    unit = ChooserField(
        kind="unit", scope="visit", label=_("被检查单位"), queryset=Unit.objects.none()
    )
    mode = forms.ChoiceField(label=_("检查方式"), choices=VisitMode.choices)
    visited_on = forms.DateField(label=_("检查日期"), widget=DateInput())
    findings = forms.CharField(label=_("检查情况"), widget=forms.Textarea(attrs={"rows": 5}))
    problems = forms.CharField(
        label=_("发现的问题"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "每行一个问题，将列入该单位的问题清单；对应某项指标的，在行首写指标编码和冒号，"
            "如“1.2：理论学习记录不全”。没有问题的留空。"
        ),
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], draw: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["unit"].with_params(draw=draw.pk)  # type: ignore[attr-defined]
        self.fields["unit"].help_text = _("本次抽查中尚未记录检查情况的单位。")


class VisitCorrectionForm(forms.Form):
    visited_on = forms.DateField(label=_("检查日期"), widget=DateInput())
    findings = forms.CharField(label=_("检查情况"), widget=forms.Textarea(attrs={"rows": 6}))
    reason = forms.CharField(
        label=_("更正理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("更正前后的内容和理由记入审计日志，检查记录上标明已更正；单位将收到通知。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def for_visit(cls, visit: Any, data: Any = None) -> VisitCorrectionForm:
        return cls(
            data,
            initial={
                "visited_on": visit.visited_on,
                "findings": visit.findings,
                "version": visit.version,
            },
        )
