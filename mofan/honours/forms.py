"""Forms of the honours pages; choices are limited to what the actor may pick."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mofan.campaigns.models import Campaign
from mofan.core.choosers import ChooserField
from mofan.honours.models import HonourKind, HonourProgramme, ObjectionChannel, VetoSource
from mofan.honours.services import FIELDS as PROGRAMME_FIELDS
from mofan.organizations.choosers import roster_people
from mofan.organizations.models import PartyOrganization, Unit


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = HonourProgramme
        fields = list(PROGRAMME_FIELDS)
        widgets = {"materials": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, committee_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Campaign.objects.filter(committee_id=committee_id).order_by("-year", "-pk")
        field.required = False
        self.fields["year"].widget.attrs.update(min=2000, max=2100)


class NominationForm(forms.Form):
    """A unit's nomination: the candidate (the unit itself, one of its party organisations or a
    person on its roster) and the statement."""

    party_org = forms.ModelChoiceField(
        label=_("党组织"), queryset=PartyOrganization.objects.none(), required=False
    )
    statement = forms.CharField(label=_("推荐理由（主要事迹）"), widget=forms.Textarea)

    def __init__(self, *args: Any, programme: HonourProgramme, unit: Unit, actor: Any, **kw: Any):
        super().__init__(*args, **kw)
        if programme.kind == HonourKind.PARTY_ORG:
            org = self.fields["party_org"]
            assert isinstance(org, forms.ModelChoiceField)
            org.queryset = PartyOrganization.objects.filter(unit=unit)
            org.required = True
        else:
            del self.fields["party_org"]
        if programme.kind == HonourKind.PERSON:
            self.fields["member"] = ChooserField(
                kind="person",
                scope="roster",
                queryset=roster_people(actor, unit.pk),
                label=_("人员"),
            ).with_params(unit=unit.pk)
            self.order_fields(["member", "statement"])


class ReviewForm(forms.Form):
    score = forms.DecimalField(
        label=_("评审得分"), min_value=0, max_value=100, max_digits=6, decimal_places=2
    )
    note = forms.CharField(
        label=_("评审意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class VetoForm(forms.Form):
    source = forms.ChoiceField(label=_("征求意见部门"), choices=VetoSource.choices)
    vetoes = forms.TypedChoiceField(
        label=_("意见"),
        choices=[("0", _("无异议")), ("1", _("否决（一票否决）"))],
        coerce=lambda v: v == "1",
    )
    document = forms.CharField(label=_("来源文件（文号）"), max_length=150)
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TieForm(forms.Form):
    chosen = forms.TypedMultipleChoiceField(
        label=_("入选对象"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, tied: list[tuple[int, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["chosen"].choices = tied  # type: ignore[attr-defined]


class TransitionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("open", "review", "publish", "name", "close")]
    )
    document_number = forms.CharField(required=False, max_length=100)
    reason = forms.CharField(required=False, max_length=2000)


class ObjectionForm(forms.Form):
    text = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("处理结果"),
        choices=[("0", _("异议不成立")), ("1", _("异议成立（不予命名）"))],
        coerce=lambda v: v == "1",
    )
    resolution = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 2}))


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), widget=forms.Textarea(attrs={"rows": 2}))
    document = forms.CharField(label=_("撤销文件（文号）"), max_length=100)


class RecordedObjectionForm(forms.Form):
    """An objection the committee received outside the platform during 公示."""

    channel = forms.ChoiceField(
        label=_("反映方式"),
        choices=[c for c in ObjectionChannel.choices if c[0] != ObjectionChannel.PLATFORM],
    )
    source_name = forms.CharField(
        label=_("反映人"), required=False, max_length=100, help_text=_("匿名反映的可不填")
    )
    text = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}))
