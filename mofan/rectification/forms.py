"""Forms of the problem-list pages. Choice fields are limited to what the actor may use, so a
tampered id fails validation; the services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mofan.campaigns.models import Campaign
from mofan.core.choosers import ChooserField
from mofan.evidence import checks as store
from mofan.evidence.models import Evidence
from mofan.indicators.models import IndicatorNode
from mofan.organizations.models import Unit
from mofan.rectification.models import ProblemSource, ProblemState, Severity
from mofan.rectification.selectors import ItemFilters

# What the committee enters by hand; findings, results, 约谈 and yellow cards have their own flows.
COMMITTEE_SOURCES = (
    ProblemSource.COMMITTEE_CHECK,
    ProblemSource.SPOT_CHECK,
    ProblemSource.SURVEY,
    ProblemSource.PEER,
)
UNIT_SOURCES = (ProblemSource.SELF_CHECK, ProblemSource.PEER)

SORT_CHOICES = [
    ("deadline", _("整改时限（最近的在前）")),
    ("-deadline", _("整改时限（最远的在前）")),
    ("age", _("列入时间（最久的在前）")),
    ("newest", _("列入时间（最新的在前）")),
    ("unit", _("单位")),
    ("state", _("状态")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class ItemFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), ("unclosed", _("未销号（全部）")), *ProblemState.choices],
    )
    q = forms.CharField(label=_("单位或问题"), required=False, max_length=100)
    source = forms.ChoiceField(
        label=_("来源"), required=False, choices=[("", _("全部来源")), *ProblemSource.choices]
    )
    severity = forms.ChoiceField(
        label=_("严重程度"), required=False, choices=[("", _("全部程度")), *Severity.choices]
    )
    campaign = forms.ModelChoiceField(
        label=_("创建活动"),
        required=False,
        queryset=Campaign.objects.none(),
        empty_label=_("全部活动"),
    )
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=SORT_CHOICES)

    def __init__(
        self, *args: Any, campaigns: QuerySet[Campaign], unit_search: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
        if not unit_search:
            self.fields["q"].label = _("问题")

    def filters(self) -> ItemFilters:
        """The filters asked for; anything invalid is left out rather than refused."""
        if not self.is_bound:
            return ItemFilters()
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return ItemFilters(
            state=data.get("state") or "",
            q=(data.get("q") or "").strip(),
            source=data.get("source") or "",
            severity=data.get("severity") or "",
            campaign=data.get("campaign"),
            overdue=bool(data.get("overdue")),
            sort=data.get("sort") or "deadline",
        )


class _ItemFields(forms.Form):
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices)
    required_measures = forms.CharField(
        label=_("整改要求"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    responsible_person = forms.CharField(label=_("整改责任人"), required=False, max_length=50)
    deadline = forms.DateField(label=_("整改时限"), widget=DateInput())


class CommitteeItemForm(_ItemFields):
    """A committee's own item (上级点): any unit of its committee."""

    unit = ChooserField(
        kind="unit", scope="listable", label=_("单位"), queryset=Unit.objects.none()
    )
    source = forms.ChoiceField(
        label=_("来源"), choices=[(s.value, s.label) for s in COMMITTEE_SOURCES]
    )
    campaign = forms.ModelChoiceField(
        label=_("创建活动（可选）"), required=False, queryset=Campaign.objects.none()
    )
    node_code = forms.CharField(
        label=_("对应指标编号（可选）"),
        required=False,
        max_length=32,
        help_text=_("如 1.2；须先选择创建活动，按该活动的指标体系查找。"),
    )
    field_order = [
        "unit",
        "source",
        "campaign",
        "node_code",
        "description",
        "severity",
        "required_measures",
        "responsible_person",
        "deadline",
    ]

    def __init__(
        self, *args: Any, units: QuerySet[Unit], campaigns: QuerySet[Campaign], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("node_code") or "").strip()
        campaign = data.get("campaign")
        unit = data.get("unit")
        data["node"] = None
        if campaign is not None and unit is not None and campaign.committee_id != unit.committee_id:
            self.add_error("campaign", _("创建活动不属于该单位所在工委。"))
        if code:
            if campaign is None:
                self.add_error("node_code", _("填写指标编号时须选择创建活动。"))
            else:
                node = IndicatorNode.objects.filter(
                    version_id=campaign.indicator_version_id, code=code
                ).first()
                if node is None:
                    self.add_error("node_code", _("该活动的指标体系中没有这个指标编号。"))
                data["node"] = node
        return data


class UnitItemForm(_ItemFields):
    """A unit's own item (自查自纠 / 互查互评)."""

    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.none())
    source = forms.ChoiceField(label=_("来源"), choices=[(s.value, s.label) for s in UNIT_SOURCES])
    field_order = [
        "unit",
        "source",
        "description",
        "severity",
        "required_measures",
        "responsible_person",
        "deadline",
    ]

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["required_measures"].label = _("整改目标")
        if len(units) == 1:
            self.fields["unit"].widget = forms.HiddenInput()
            self.fields["unit"].initial = units[0].pk


class FindingItemForm(forms.Form):
    """Listing a reviewer's finding: the committee sets the deadline and what it expects."""

    deadline = forms.DateField(label=_("整改时限"), widget=DateInput())
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices)
    required_measures = forms.CharField(label=_("整改要求"), required=False, max_length=2000)
    responsible_person = forms.CharField(label=_("整改责任人"), required=False, max_length=50)


class _Versioned(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MeasuresForm(_Versioned):
    measures = forms.CharField(
        label=_("整改措施"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写明整改的具体措施、责任人和完成时间。"),
    )


class ReasonForm(_Versioned):
    reason = forms.CharField(
        label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, required: bool = False, label: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        if label is not None:
            self.fields["reason"].label = label


class ReportForm(_Versioned):
    report = forms.CharField(
        label=_("整改完成情况"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("简要说明整改结果即可，不需要照片或额外的台账。"),
    )
    evidence = forms.ModelMultipleChoiceField(
        label=_("从本单位佐证材料库中选择"),
        required=False,
        queryset=Evidence.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    file = forms.FileField(
        label=_("上传新的佐证材料（可选）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.xlsx,.jpg,.jpeg,.png,.ofd"}),
    )

    def __init__(
        self, *args: Any, files_of_unit: QuerySet[Evidence], may_upload: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = files_of_unit  # type: ignore[attr-defined]
        if may_upload:
            self.fields["file"].help_text = _(
                "可上传 %(types)s，单个文件不超过 %(n)d MB，上传后存入本单位佐证材料库。"
            ) % {"types": store.allowed_types_text(), "n": store.DEFAULT_MAX_MB}
        else:
            del self.fields["file"]


class UpdateForm(_Versioned):
    deadline = forms.DateField(label=_("整改时限"), widget=DateInput())
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices)
    responsible_person = forms.CharField(label=_("整改责任人"), required=False, max_length=50)
    reason = forms.CharField(label=_("调整说明（可选）"), required=False, max_length=500)
