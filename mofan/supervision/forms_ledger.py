"""Forms of the ledger, 约谈 and yellow card pages. Choice fields are limited to what the actor
may use (the committee's units, the unit's own evidence), so a tampered id fails validation;
the services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mofan.campaigns.models import Campaign
from mofan.core.choosers import ChooserField
from mofan.evidence.models import Evidence
from mofan.organizations.models import PartyOrganization, Unit
from mofan.supervision.common import problem_lines
from mofan.supervision.forms_common import DateInput, ScopedForm
from mofan.supervision.models import Cadence, Escalation, LedgerItem, LedgerState
from mofan.supervision.selectors_ledger import BoardFilters


class LedgerItemForm(ScopedForm):
    unit = ChooserField(
        kind="unit", scope="ledger", label=_("责任单位"), queryset=Unit.objects.none()
    )
    task = forms.CharField(label=_("督办事项"), widget=forms.Textarea(attrs={"rows": 3}))
    leader_in_charge = forms.CharField(label=_("分管领导"), max_length=50)
    deadline = forms.DateField(label=_("完成时限"), widget=DateInput())
    cadence = forms.ChoiceField(
        label=_("进展报告频次"),
        choices=Cadence.choices,
        initial=Cadence.MONTHLY,
        help_text=_("最频繁为每周一次；不要求每日报送或打卡。"),
    )
    campaign = forms.ModelChoiceField(
        label=_("创建活动（可选）"),
        queryset=Campaign.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, units: Any, campaigns: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit(unit=units, campaign=campaigns)


class LedgerUpdateForm(forms.Form):
    deadline = forms.DateField(label=_("完成时限"), widget=DateInput())
    cadence = forms.ChoiceField(label=_("进展报告频次"), choices=Cadence.choices)
    leader_in_charge = forms.CharField(label=_("分管领导"), max_length=50)
    note = forms.CharField(
        label=_("调整说明（可选）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def for_item(cls, item: LedgerItem, data: Any = None) -> LedgerUpdateForm:
        return cls(
            data,
            initial={
                "deadline": item.deadline,
                "cadence": item.cadence,
                "leader_in_charge": item.leader_in_charge,
                "version": item.version,
            },
        )


class ProgressReportForm(ScopedForm):
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 4}))
    percent = forms.IntegerField(label=_("完成进度（%）"), min_value=0, max_value=100, initial=0)
    evidence = forms.ModelMultipleChoiceField(
        label=_("佐证材料（可选，从本单位佐证材料库中选择）"),
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, evidence: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit(evidence=evidence)


class LedgerTransitionForm(forms.Form):
    to = forms.ChoiceField(
        label=_("处理"),
        choices=[
            (LedgerState.DONE, _("确认办结")),
            (LedgerState.CANCELLED, _("撤销督办")),
        ],
    )
    note = forms.CharField(label=_("办结说明或撤销理由"), widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class BoardFilterForm(forms.Form):
    """Only renders the filters; `BoardFilters.from_query` reads them leniently."""

    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[*LedgerState.choices, ("all", _("全部状态"))],
    )
    unit = forms.CharField(label=_("单位"), required=False, max_length=50)
    escalation = forms.ChoiceField(
        label=_("督办升级"),
        required=False,
        choices=[("", _("全部等级")), *Escalation.choices],
    )
    overdue = forms.BooleanField(label=_("仅看逾期"), required=False)
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("deadline", _("完成时限（近到远）")),
            ("-deadline", _("完成时限（远到近）")),
            ("unit", _("单位")),
            ("escalation", _("督办升级（高到低）")),
            ("created", _("最新挂账")),
        ],
    )

    @classmethod
    def showing(cls, filters: BoardFilters) -> BoardFilterForm:
        """The form showing the filters the board applies."""
        return cls(
            initial={
                "state": filters.state or "all",
                "unit": filters.unit,
                "escalation": "" if filters.escalation is None else filters.escalation,
                "overdue": filters.overdue,
                "sort": filters.sort,
            }
        )


class InterviewForm(ScopedForm):
    unit = ChooserField(
        kind="unit", scope="ledger", label=_("被约谈单位"), queryset=Unit.objects.none()
    )
    ledger_item = forms.ModelChoiceField(
        label=_("关联督办事项（可选）"),
        queryset=LedgerItem.objects.none(),
        required=False,
    )
    interviewer = forms.CharField(label=_("约谈人"), max_length=100)
    interviewee = forms.CharField(label=_("被约谈人"), max_length=100)
    held_on = forms.DateField(label=_("约谈日期"), widget=DateInput())
    points = forms.CharField(
        label=_("指出的问题"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("将作为一项问题列入该单位的问题清单。"),
    )
    commitments = forms.CharField(
        label=_("整改承诺"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rectify_by = forms.DateField(
        label=_("整改时限（可选）"),
        required=False,
        widget=DateInput(),
        help_text=_("留空则为登记之日起 30 天。"),
    )

    def __init__(self, *args: Any, units: Any, items: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit(unit=units, ledger_item=items)
        self.fields["ledger_item"].label_from_instance = (  # type: ignore[attr-defined]
            lambda item: (
                f"{item.unit.short_name or item.unit.name}：{item.task[:40]}"
                f"（{item.get_escalation_display()}）"
            )
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        item, unit = data.get("ledger_item"), data.get("unit")
        if item is not None and unit is not None and item.unit_id != unit.pk:
            self.add_error("ledger_item", _("所选督办事项不属于该单位。"))
        return data


class YellowCardForm(ScopedForm):
    party_org = ChooserField(
        kind="party_org",
        scope="cardable",
        label=_("党组织"),
        queryset=PartyOrganization.objects.none(),
        help_text=_("输入党组织或所在单位名称查找；已挂黄牌未摘牌的党组织不在可选范围内。"),
    )
    reasons = forms.CharField(
        label=_("认定软弱涣散的理由"), widget=forms.Textarea(attrs={"rows": 4})
    )
    issued_on = forms.DateField(label=_("挂牌日期"), widget=DateInput())
    problems = forms.CharField(
        label=_("挂牌整改问题（可选，每行一项）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行列入一项问题清单；全部销号后方可摘牌。"),
    )
    rectify_by = forms.DateField(
        label=_("整改时限（可选）"),
        required=False,
        widget=DateInput(),
        help_text=_("留空则为挂牌之日起 30 天。"),
    )

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("issued_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.limit(party_org=orgs)

    def problem_list(self) -> list[str]:
        return problem_lines(self.cleaned_data.get("problems", ""))


class YellowCardLiftForm(forms.Form):
    lifted_on = forms.DateField(label=_("摘牌日期"), widget=DateInput())
    note = forms.CharField(label=_("摘牌说明"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("lifted_on", timezone.localdate())
        super().__init__(*args, **kwargs)
