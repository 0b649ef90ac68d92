"""Forms of the survey pages (the respondent's form is read by `rules.read_form`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mofan.campaigns.models import Campaign
from mofan.surveys.models import QuestionKind, Questionnaire, QuestionnaireState, Section
from mofan.surveys.templates import TEMPLATE_CHOICES


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class TemplateForm(forms.Form):
    template = forms.ChoiceField(label=_("模板"), choices=TEMPLATE_CHOICES)


class SectionForm(forms.Form):
    title = forms.CharField(label=_("部分标题"), max_length=200)


class QuestionForm(forms.Form):
    section = forms.ModelChoiceField(label=_("所在部分"), queryset=Section.objects.none())
    kind = forms.ChoiceField(label=_("题型"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("题目"), max_length=300)
    options = forms.CharField(
        label=_("选项（每行一个）"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    satisfied = forms.CharField(
        label=_("计为满意的选项（每行一个；量表填4、5；不计分则留空）"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    required = forms.BooleanField(label=_("必答"), required=False, initial=True)

    def __init__(self, *args: Any, questionnaire: Questionnaire, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = questionnaire.sections.all()  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "section": data["section"],
            "kind": data["kind"],
            "text": data["text"],
            "options": _lines(data["options"]),
            "satisfied": _lines(data["satisfied"]),
            "required": data["required"],
        }


class SurveyOpenForm(forms.Form):
    questionnaire = forms.ModelChoiceField(label=_("问卷"), queryset=Questionnaire.objects.none())
    campaign = forms.ModelChoiceField(label=_("创建活动"), queryset=Campaign.objects.none())
    title = forms.CharField(label=_("测评名称"), max_length=200)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, committee_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].queryset = Questionnaire.objects.filter(  # type: ignore[attr-defined]
            committee_id=committee_id, state=QuestionnaireState.PUBLISHED
        )
        self.fields["campaign"].queryset = Campaign.objects.filter(  # type: ignore[attr-defined]
            committee_id=committee_id
        ).order_by("-year", "-pk")


class TokensForm(forms.Form):
    count = forms.IntegerField(label=_("生成一次性链接数"), min_value=1, max_value=500)


class ProblemForm(forms.Form):
    deadline = forms.DateField(label=_("整改期限"), widget=forms.DateInput(attrs={"type": "date"}))


class QuestionEditForm(forms.Form):
    text = QuestionForm.base_fields["text"]
    options = QuestionForm.base_fields["options"]
    satisfied = QuestionForm.base_fields["satisfied"]
    required = QuestionForm.base_fields["required"]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "text": data["text"],
            "options": _lines(data["options"]),
            "satisfied": _lines(data["satisfied"]),
            "required": data["required"],
        }
