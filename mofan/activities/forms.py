"""The ledger's forms: a record (its people are ticked on the roster the template draws from
`roster_of`, read by the view) and a committee's own kind."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mofan.activities.models import ActivityKind, ActivityRecord, Attendance, Hours
from mofan.evidence.models import Evidence
from mofan.organizations.forms import DateInput
from mofan.organizations.models import PartyOrganization

THEORY_CHOICES = [("", _("—")), ("1", _("是")), ("0", _("否"))]


class StartForm(forms.Form):
    """First step on a phone: which organisation and which kind (the form then shows the
    organisation's roster and the kind's fields)."""

    org = forms.ModelChoiceField(
        label=_("党组织"), queryset=PartyOrganization.objects.none(), empty_label=None
    )
    kind = forms.ModelChoiceField(
        label=_("活动类型"), queryset=ActivityKind.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, orgs: Any, kinds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["kind"].queryset = kinds  # type: ignore[attr-defined]


def record_initial(record: ActivityRecord) -> dict[str, Any]:
    """The form's first values when a record is changed: what it holds."""
    theory = {True: "1", False: "0", None: ""}[record.political_theory]
    return {
        "held_on": record.held_on,
        "topic": record.topic,
        "hours": record.hours,
        "political_theory": theory,
        "minutes": record.minutes,
    }


class RecordForm(forms.Form):
    held_on = forms.DateField(label=_("日期"), widget=DateInput())
    topic = forms.CharField(label=_("主题"), max_length=200)
    hours = forms.DecimalField(
        label=_("学时"), required=False, min_value=0, max_digits=5, decimal_places=1
    )
    political_theory = forms.TypedChoiceField(
        label=_("是否政治理论学习"),
        choices=THEORY_CHOICES,
        required=False,
        coerce=lambda v: v == "1",
        empty_value=None,
    )
    minutes = forms.CharField(
        label=_("记录（纪要）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("会议或活动的主要内容、决定事项；不要求上传照片。"),
    )
    evidence = forms.ModelMultipleChoiceField(
        label=_("关联佐证材料（从本单位佐证库选择，可不选）"),
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, kind: ActivityKind, files: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = files  # type: ignore[attr-defined]
        if kind.hours == Hours.NONE:
            del self.fields["hours"]
        else:
            self.fields["hours"].required = kind.hours == Hours.REQUIRED
        if not kind.theory_flag:
            del self.fields["political_theory"]


class KindForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=40)
    code = forms.SlugField(
        label=_("代码"), max_length=40, help_text=_("英文字母、数字和连字符，如 safety-drill")
    )
    group = forms.CharField(label=_("类别"), max_length=20, required=False)
    attendance = forms.ChoiceField(label=_("出席"), choices=Attendance.choices)
    absence_reasons = forms.BooleanField(label=_("记录缺席原因"), required=False)
    hours = forms.ChoiceField(label=_("学时"), choices=Hours.choices)
    theory_flag = forms.BooleanField(label=_("区分是否政治理论"), required=False)
    description = forms.CharField(label=_("说明"), max_length=200, required=False)


class OwnRecordForm(RecordForm):
    """A 党员's own one-person record on a phone: no roster, no files from the unit's library."""

    def __init__(self, *args: Any, kind: ActivityKind, **kwargs: Any) -> None:
        super().__init__(*args, kind=kind, files=Evidence.objects.none(), **kwargs)
        del self.fields["evidence"]
        self.fields["topic"].widget.attrs["placeholder"] = _("如：社区文明创建志愿服务")
        self.fields["minutes"].label = _("主要内容（可不填）")
        self.fields["minutes"].help_text = _("做了什么、在哪里、有何收获；不要求上传照片。")
