"""Organisation forms; every choice of a related object is limited to the same unit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mofan.core.choosers import ChooserField, ChooserMultipleField
from mofan.organizations.models import Member, PartyOrganization, Unit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "short_name", "credit_code", "category", "sort_order", "is_active"]

    def clean_credit_code(self) -> str:
        code = (self.cleaned_data.get("credit_code") or "").strip().upper()
        if code:
            taken = Unit.objects.filter(credit_code=code)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                # The holder may belong to another committee: never name it.
                raise forms.ValidationError(
                    _("该统一社会信用代码已被其他单位使用。"), code="duplicate"
                )
        return code


class PartyOrgForm(forms.ModelForm):
    secretary = ChooserField(
        kind="person",
        scope="roster",
        queryset=Member.objects.none(),
        required=False,
        label=_("书记"),
        help_text=_("从本单位成员名册中选择。"),
    )
    committee_members = ChooserMultipleField(
        kind="person",
        scope="roster",
        queryset=Member.objects.none(),
        required=False,
        label=_("委员"),
    )

    class Meta:
        model = PartyOrganization
        fields = [
            "kind",
            "name",
            "parent",
            "sort_order",
            "secretary",
            "committee_members",
            "elected_on",
            "term_years",
            "election_due_on",
        ]
        widgets = {
            "elected_on": DateInput(),
            "election_due_on": DateInput(),
        }

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = PartyOrganization.objects.filter(unit=unit)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        members = Member.objects.filter(unit=unit).order_by("name")
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["secretary"].queryset = members  # type: ignore[attr-defined]
        self.fields["secretary"].with_params(unit=unit.pk)  # type: ignore[attr-defined]
        self.fields["committee_members"].queryset = members  # type: ignore[attr-defined]
        self.fields["committee_members"].with_params(unit=unit.pk)  # type: ignore[attr-defined]
        self.instance.unit = unit


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["name", "gender", "birth_date", "political_status", "party_org", "post", "phone"]
        widgets = {"birth_date": DateInput()}

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party_org"].queryset = PartyOrganization.objects.filter(unit=unit)  # type: ignore[attr-defined]
        self.instance.unit = unit


class MemberAccountForm(forms.Form):
    """Which 党员 account of the unit is this member (only the unit's accounts not linked to
    another member are offered, so a tampered id fails validation)."""

    account = forms.ModelChoiceField(
        label=_("党员账号"),
        queryset=Member.objects.none(),
        empty_label=None,
        help_text=_("关联后，该党员登录即可在“我的活动”中记录本人的志愿服务、学习培训等。"),
    )

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts  # type: ignore[attr-defined]
        self.fields["account"].label_from_instance = (  # type: ignore[attr-defined]
            lambda user: f"{user.full_name}（{user.username}）"
        )
