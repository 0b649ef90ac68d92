"""Organisation forms; every choice of a related object is limited to the same unit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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
            "committee_members": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = PartyOrganization.objects.filter(unit=unit)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        members = Member.objects.filter(unit=unit).order_by("name")
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["secretary"].queryset = members  # type: ignore[attr-defined]
        self.fields["committee_members"].queryset = members  # type: ignore[attr-defined]
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
