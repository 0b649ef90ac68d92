"""Forms of the committee's review pages: review groups, draws, vetoes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from mofan.accounts.models import User
from mofan.core.choosers import ChooserField, ChooserMultipleField
from mofan.evaluations.models import VetoSource


class GroupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("评审组名称"), max_length=50)
    leader = ChooserField(
        kind="reviewer", scope="campaign", label=gettext_lazy("组长"), queryset=User.objects.none()
    )
    reviewers = ChooserMultipleField(
        kind="reviewer",
        scope="campaign",
        label=gettext_lazy("成员"),
        queryset=User.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, pool: Any, campaign: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = pool  # type: ignore[attr-defined]
        self.fields["leader"].with_params(campaign=campaign.pk)  # type: ignore[attr-defined]
        self.fields["reviewers"].queryset = pool  # type: ignore[attr-defined]
        self.fields["reviewers"].with_params(campaign=campaign.pk)  # type: ignore[attr-defined]


class DrawForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("分配方式"),
        choices=[
            ("balanced", gettext_lazy("均衡（各组数量相近）")),
            ("random", gettext_lazy("随机")),
        ],
    )
    seed = forms.CharField(
        label=gettext_lazy("随机种子（可选）"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("留空则自动生成；种子与结果一并公开，任何人可复现。"),
    )


class VetoForm(forms.Form):
    source = forms.ChoiceField(label=gettext_lazy("征求意见部门"), choices=VetoSource.choices)
    vetoed = forms.BooleanField(label=gettext_lazy("否决"), required=False)
    opinion = forms.CharField(label=gettext_lazy("意见"), required=False)


class ReviewerDrawForm(forms.Form):
    groups = forms.IntegerField(
        label=gettext_lazy("评审组数"), min_value=1, max_value=50, initial=1
    )
    per_group = forms.IntegerField(
        label=gettext_lazy("每组人数"), min_value=1, max_value=20, initial=3
    )
    seed = forms.CharField(label=gettext_lazy("随机种子（可选）"), max_length=64, required=False)
