"""Forms of the 述职评议 pages; choices are limited to what the actor may pick."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mofan.appraisals.models import Level, ReportWay
from mofan.core.choosers import ChooserField
from mofan.evidence.models import Evidence
from mofan.organizations.models import Member


class RoundForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    title = forms.CharField(
        label=_("名称"),
        max_length=100,
        required=False,
        help_text=_("留空时为“某年度党组（党委）书记抓基层党建工作述职评议”。"),
    )


class PanelForm(forms.Form):
    usernames = forms.CharField(
        label=_("评议组成员（用户名，每行一个或用逗号分隔）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def names(self) -> list[str]:
        return [n for n in re.split(r"[\s,，、;；]+", self.cleaned_data["usernames"]) if n]


class ReportForm(forms.Form):
    """The unit's 述职 report: the text (required), the way of reporting, and files of its own
    evidence library (optional; never photos required)."""

    way = forms.ChoiceField(
        label=_("述职方式"), choices=ReportWay.choices, widget=forms.RadioSelect
    )
    report = forms.CharField(
        label=_("述职报告"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("书面述职的单位在此提交述职材料全文；现场述职的单位提交述职稿。"),
    )
    evidence = forms.ModelMultipleChoiceField(
        label=_("关联佐证材料（从本单位佐证库选择，可不选）"),
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, files: QuerySet[Evidence], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = files  # type: ignore[attr-defined]


class SecretaryForm(forms.Form):
    def __init__(self, *args: Any, people: QuerySet[Member], unit_id: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["member"] = ChooserField(
            kind="person", scope="roster", queryset=people, label=_("述职的书记")
        ).with_params(unit=unit_id)


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class BallotsForm(forms.Form):
    """The tallies of the paper ballots of one secretary."""

    good = forms.IntegerField(label=Level.GOOD.label, min_value=0, max_value=10_000, initial=0)
    fairly_good = forms.IntegerField(
        label=Level.FAIRLY_GOOD.label, min_value=0, max_value=10_000, initial=0
    )
    average = forms.IntegerField(
        label=Level.AVERAGE.label, min_value=0, max_value=10_000, initial=0
    )
    poor = forms.IntegerField(label=Level.POOR.label, min_value=0, max_value=10_000, initial=0)

    def counts(self) -> dict[str, int]:
        return {level: self.cleaned_data[level] for level in Level.values}


class RatingForm(forms.Form):
    level = forms.ChoiceField(choices=Level.choices)


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("open", "rate", "close")])
