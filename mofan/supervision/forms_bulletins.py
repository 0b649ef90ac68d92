"""Bulletin forms. Campaign choices are limited to the committee's own campaigns and finding
choices to its findings marked as problems, so a tampered id fails validation."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mofan.campaigns.models import Campaign
from mofan.evaluations.models import Finding
from mofan.organizations.models import Committee
from mofan.supervision.models import Bulletin
from mofan.supervision.selectors_bulletins import problem_findings

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthInput(forms.TextInput):
    input_type = "month"


def _campaign_field(committee: Committee) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("创建活动"),
        queryset=Campaign.objects.filter(committee=committee).order_by("-year", "-pk"),
        required=False,
        empty_label=_("不限（全部活动）"),
    )


class FindingFilterForm(forms.Form):
    """The GET filter of the compose page (campaign, unit or text)."""

    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)
    q = forms.CharField(label=_("单位或问题"), required=False, max_length=100)

    def __init__(self, *args: Any, committee: Committee, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"] = _campaign_field(committee)


class ComposeForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)
    findings = forms.ModelMultipleChoiceField(queryset=Finding.objects.none(), required=False)
    include_status = forms.BooleanField(label=_("包含各单位整改落实情况"), required=False)
    include_overdue = forms.BooleanField(
        label=_("包含逾期未完成事项（问题清单、督办事项）"), required=False
    )
    title = forms.CharField(label=_("标题（可留空，自动生成）"), required=False, max_length=200)

    def __init__(self, *args: Any, committee: Committee, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"] = _campaign_field(committee)
        self.fields["findings"] = forms.ModelMultipleChoiceField(
            label=_("发现的问题"),
            queryset=problem_findings(committee.pk),
            required=False,
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        campaign = data.get("campaign")
        findings = data.get("findings") or []
        if campaign is not None and any(
            f.assignment.enrollment.campaign_id != campaign.pk for f in findings
        ):
            raise forms.ValidationError(_("所选问题发现不属于所选创建活动。"))
        if not findings and not data.get("include_status") and not data.get("include_overdue"):
            raise forms.ValidationError(
                _("请至少选择一项通报内容（问题发现、整改情况或逾期事项）。")
            )
        return data


class MonthlyForm(forms.Form):
    month = forms.CharField(
        label=_("通报月份"), widget=MonthInput(attrs={"placeholder": "YYYY-MM"}), max_length=7
    )
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)

    def __init__(self, *args: Any, committee: Committee, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"] = _campaign_field(committee)

    def clean_month(self) -> tuple[int, int]:
        match = MONTH.match(self.cleaned_data["month"].strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError(_("请按“年-月”选择月份，例如 2026-03。"))
        return int(match.group(1)), int(match.group(2))


class BulletinEditForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Bulletin
        fields = ["title", "document_number", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 30})}
        help_texts = {"document_number": _("例如：市直工〔2026〕5号")}


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class WithdrawForm(VersionForm):
    reason = forms.CharField(
        label=_("撤回理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("将显示在通报页面上，并写入撤回通知。"),
    )
