"""Forms for campaigns and the unit's own work."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mofan.campaigns.models import Cadence, Campaign, LeadershipRole, QuotaTiePolicy, TaskStatus
from mofan.core.choosers import ChooserMultipleField
from mofan.indicators.models import IndicatorVersion
from mofan.organizations.models import Unit


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker, which reads and sends 2030-10-31T23:59 only."""

    input_type = "datetime-local"

    def __init__(self, attrs: Any = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _ratio_field(
    label: Any, initial: str, *, required: bool = False, help_text: Any = ""
) -> forms.DecimalField:
    """A share between 0 and 1 to three places (a grade's lowest score rate, a quota)."""
    return forms.DecimalField(
        required=required,
        label=label,
        min_value=Decimal(0),
        max_value=Decimal(1),
        initial=Decimal(initial),
        decimal_places=3,
        help_text=help_text,
    )


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("活动名称"), max_length=200)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    version = forms.ModelChoiceField(
        label=_("指标体系（已发布版本）"), queryset=IndicatorVersion.objects.none()
    )
    all_units = forms.BooleanField(label=_("纳入本工委全部单位"), required=False, initial=True)
    units = ChooserMultipleField(
        kind="unit",
        scope="administered",
        label=_("或选择单位"),
        queryset=Unit.objects.none(),
        required=False,
    )
    cadence = forms.ChoiceField(
        label=_("考评节奏"),
        required=False,
        choices=[("", _("按所选模板")), *Cadence.choices],
        help_text=_("焦作方案一年一考评、三年一总评；岳阳方案常态化开展；忻州方案分阶段推进。"),
    )
    cycle_start_year = forms.IntegerField(
        label=_("三年一总评周期起始年"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("留空时按模板（如焦作方案自 2020 年起每三年一个周期）。"),
    )
    submission_deadline = forms.DateTimeField(
        label=_("自评提交截止"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("留空时取模板“考评验收”阶段的截止日。"),
    )
    honours_quota = _ratio_field(_("先进单位比例上限"), "0.2", required=True)
    tie_policy = forms.ChoiceField(
        label=_("先进名额线并列的处理"),
        choices=QuotaTiePolicy.choices,
        initial=QuotaTiePolicy.DECIDE,
        required=False,
        help_text=_("并列单位跨过先进名额线时：事先定为全部入选或全部不入选，或届时由工委决定。"),
    )
    weight_self = forms.DecimalField(
        label=_("自评分权重"), min_value=Decimal(0), initial=0, decimal_places=2
    )
    weight_review = forms.DecimalField(
        label=_("评审分权重"), min_value=Decimal(0), initial=1, decimal_places=2
    )
    weight_survey = forms.DecimalField(
        label=_("满意度测评权重"),
        min_value=Decimal(0),
        initial=0,
        decimal_places=2,
        required=False,
        help_text=_("满意率按指标体系总分折算后计入；单位没有测评答卷时不计入该项。"),
    )
    band_excellent = _ratio_field(_("优秀：得分率不低于"), "0.9")
    band_good = _ratio_field(_("良好：得分率不低于"), "0.8")
    band_pass = _ratio_field(
        _("达标：得分率不低于"),
        "0.6",
        help_text=_("低于达标线为不达标。定性指标体系按各等级数量评定。"),
    )
    veto_blocks_excellent = forms.BooleanField(
        label=_("一票否决的单位不得评为优秀"), required=False, initial=True
    )
    veto_blocks_advanced = forms.BooleanField(
        label=_("一票否决的单位不得命名为先进单位"), required=False, initial=True
    )
    rectify_below = forms.ChoiceField(
        label=_("自动整改的等次"),
        required=False,
        initial="不达标",
        choices=[
            ("不达标", _("不达标")),
            ("达标", _("达标及以下")),
            ("良好", _("良好及以下")),
            ("none", _("不自动列入问题清单")),
        ],
        help_text=_("审定后，这些等次的单位自动列入问题清单；全部销号后由原评审组复核。"),
    )
    rectify_lowest = forms.IntegerField(
        label=_("无单项低于及格线时列入的最低分指标数"),
        min_value=0,
        max_value=50,
        initial=5,
        required=False,
        help_text=_(
            "审定后，需整改单位低于及格线（达标线）的每项指标都列入问题清单，评审组列为问题的"
            "发现也一并列入；若没有任何单项低于及格线，则列入得分率最低的这几项指标（满分项不列）。"
        ),
    )
    rectify_days = forms.IntegerField(
        label=_("整改期限（天）"), min_value=1, max_value=365, initial=60, required=False
    )
    evidence_max_mb = forms.IntegerField(
        label=_("佐证文件大小上限（MB）"), min_value=1, max_value=200, initial=20, required=False
    )
    evidence_cap = forms.IntegerField(
        label=_("每项指标最多关联佐证数"),
        min_value=1,
        max_value=50,
        required=False,
        help_text=_("留空为不限。"),
    )
    approved_by = forms.CharField(label=_("批准机关"), max_length=100, required=False)
    document_number = forms.CharField(
        label=_("批准文号"), max_length=100, required=False, help_text=_("如 焦直文〔2020〕140号")
    )
    document_title = forms.CharField(
        label=_("文件标题"),
        max_length=200,
        required=False,
        help_text=_("如 市直机关创建模范机关实施方案"),
    )

    def __init__(self, *args: Any, versions: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions  # type: ignore[attr-defined]
        self.fields["units"].queryset = units  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("all_units") and not data.get("units"):
            self.add_error("units", _("请选择参加的单位，或勾选“全部单位”。"))
        if (data.get("weight_self") or 0) + (data.get("weight_review") or 0) <= 0:
            self.add_error("weight_review", _("权重之和应大于 0。"))
        for key, default in (("band_excellent", "0.9"), ("band_good", "0.8"), ("band_pass", "0.6")):
            if data.get(key) is None:
                data[key] = Decimal(default)
        for key, number in (("rectify_lowest", 5), ("rectify_days", 60)):
            if data.get(key) is None:
                data[key] = number
        bands = [data.get("band_excellent"), data.get("band_good"), data.get("band_pass")]
        if None not in bands and not bands[0] > bands[1] > bands[2]:  # type: ignore[operator]
            self.add_error("band_good", _("等次线应依次降低：优秀 > 良好 > 达标。"))
        return data

    def grade_bands(self) -> list[dict[str, object]]:
        data = self.cleaned_data
        return [
            {"label": "优秀", "min_ratio": float(data["band_excellent"])},
            {"label": "良好", "min_ratio": float(data["band_good"])},
            {"label": "达标", "min_ratio": float(data["band_pass"])},
            {"label": "不达标", "min_ratio": 0},
        ]

    def rectify_grades(self) -> list[str]:
        """The grades that get a problem list: the chosen one and every grade below it."""
        chosen = self.cleaned_data.get("rectify_below") or "不达标"
        if chosen == "none":
            return []
        order = ["良好", "达标", "不达标"]
        return order[order.index(chosen) :]

    def veto_blocks(self) -> list[str]:
        data = self.cleaned_data
        return [
            name
            for name, on in (
                ("优秀", data["veto_blocks_excellent"]),
                ("advanced", data["veto_blocks_advanced"]),
            )
            if on
        ]


class CampaignEditForm(forms.Form):
    """The campaign's settings after creation, and one start/end pair per phase
    (`phase_<id>_start`, `phase_<id>_end`)."""

    name = forms.CharField(label=_("活动名称"), max_length=200)
    document_title = CampaignForm.base_fields["document_title"]
    approved_by = CampaignForm.base_fields["approved_by"]
    document_number = CampaignForm.base_fields["document_number"]
    cadence = forms.ChoiceField(label=_("考评节奏"), choices=Cadence.choices)
    cycle_start_year = forms.IntegerField(
        label=_("三年一总评周期起始年"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("属于三年一总评周期时填写；留空为不参加总评。"),
    )
    submission_deadline = forms.DateTimeField(
        label=_("自评提交截止"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("过此时间单位不能再提交自评（已延期的单位以延期时间为准）。"),
    )
    weight_self = CampaignForm.base_fields["weight_self"]
    weight_review = CampaignForm.base_fields["weight_review"]
    weight_survey = CampaignForm.base_fields["weight_survey"]
    honours_quota = CampaignForm.base_fields["honours_quota"]
    tie_policy = forms.ChoiceField(label=_("先进名额线并列的处理"), choices=QuotaTiePolicy.choices)

    def __init__(self, *args: Any, campaign: Campaign, phases: Any, **kwargs: Any) -> None:
        weights = campaign.composite_weights
        initial = {
            "name": campaign.name,
            "document_title": campaign.document_title,
            "approved_by": campaign.approved_by,
            "document_number": campaign.document_number,
            "cadence": campaign.cadence,
            "cycle_start_year": campaign.cycle_start_year,
            "submission_deadline": campaign.submission_deadline,
            "weight_self": Decimal(str(weights.get("self", 0))),
            "weight_review": Decimal(str(weights.get("review", 0))),
            "weight_survey": Decimal(str(weights.get("survey", 0))),
            "honours_quota": campaign.honours_quota,
            "tie_policy": campaign.tie_policy,
        }
        self.campaign = campaign
        self.phases = list(phases)
        for phase in self.phases:
            initial[f"phase_{phase.pk}_start"] = phase.starts_on
            initial[f"phase_{phase.pk}_end"] = phase.ends_on
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for phase in self.phases:
            help_text = phase.due_text and _("方案原文：%(t)s") % {"t": phase.due_text}
            self.fields[f"phase_{phase.pk}_start"] = forms.DateField(
                label=_("%(p)s 开始") % {"p": phase.name}, required=False, widget=DateInput()
            )
            self.fields[f"phase_{phase.pk}_end"] = forms.DateField(
                label=_("%(p)s 截止") % {"p": phase.name},
                required=False,
                widget=DateInput(),
                help_text=help_text,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("weight_self") or 0) + (data.get("weight_review") or 0) <= 0:
            self.add_error("weight_review", _("权重之和应大于 0。"))
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        weights = {
            k: str(v)
            for k, v in (
                ("self", data["weight_self"]),
                ("review", data["weight_review"]),
                ("survey", data.get("weight_survey")),
            )
            if v
        }
        fields = ("name", "document_title", "approved_by", "document_number", "cadence")
        return {
            **{f: data[f] for f in fields},
            "cycle_start_year": data["cycle_start_year"],
            "submission_deadline": self._deadline(data["submission_deadline"]),
            "composite_weights": weights,
            "honours_quota": data["honours_quota"],
            "tie_policy": data["tie_policy"],
        }

    def _deadline(self, posted: Any) -> Any:
        """The picker shows minutes only: the deadline it showed, posted back, is unchanged
        (23:59 stays 23:59:59)."""
        stored = self.campaign.submission_deadline
        if (
            posted is not None
            and stored is not None
            and posted == stored.replace(second=0, microsecond=0)
        ):
            return stored
        return posted

    def phase_dates(self) -> dict[int, tuple[Any, Any]]:
        data = self.cleaned_data
        return {
            p.pk: (data.get(f"phase_{p.pk}_start"), data.get(f"phase_{p.pk}_end"))
            for p in self.phases
        }


class UnitsAddForm(forms.Form):
    """Units to enrol in a running campaign, searched as you type among the committee's active
    units not yet in it (the chooser scope `unit/to_enrol`, keyed by the campaign)."""

    units = ChooserMultipleField(
        kind="unit", scope="to_enrol", label=_("增加参评单位"), queryset=Unit.objects.none()
    )

    def __init__(self, *args: Any, units: Any, campaign_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["units"]
        field.queryset = units  # type: ignore[attr-defined]
        field.with_params(campaign=campaign_id)  # type: ignore[attr-defined]


class BulkExtendForm(forms.Form):
    """Extend several units at once: the enrollments ticked in the progress table."""

    enrollments = forms.ModelMultipleChoiceField(
        label=_("延期的单位"), queryset=Unit.objects.none(), widget=forms.MultipleHiddenInput
    )
    until = forms.DateTimeField(label=_("延期至"), widget=DateTimeInput())
    reason = forms.CharField(label=_("理由"), required=False)

    def __init__(self, *args: Any, enrollments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enrollments"].queryset = enrollments  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))


class ExtendForm(forms.Form):
    until = forms.DateTimeField(label=_("延期至"), widget=DateTimeInput())
    reason = forms.CharField(label=_("理由"), required=False)


class LeadershipForm(forms.Form):
    role = forms.ChoiceField(label=_("职务"), choices=LeadershipRole.choices)
    name = forms.CharField(label=_("姓名"), max_length=50)
    post = forms.CharField(label=_("单位职务"), max_length=100, required=False)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("任务"), max_length=300)
    person = forms.CharField(label=_("责任人"), max_length=50)
    deadline = forms.DateField(label=_("完成时限"), widget=DateInput())


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=TaskStatus.choices)
