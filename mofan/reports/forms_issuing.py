"""The forms of drafting and issuing: the draft's texts (one textarea per heading and paragraph;
tables are bound to the data and not editable), the issue form and the register's 机关代字."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mofan.reports.issuing import EDITABLE, PREFIX_MAX

TEXT_MAX = 5000


class DraftEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    title = forms.CharField(label=_("标题"), max_length=200, required=False)

    def __init__(self, *args: Any, blocks: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.block_fields: list[tuple[int, str, str]] = []  # (index, field name, kind)
        for index, block in enumerate(blocks):
            kind = block.get("kind")
            if kind not in EDITABLE:
                continue
            name = f"block_{index}"
            label = _("标题（第%(n)d段）") if kind == "heading" else _("段落（第%(n)d段）")
            self.fields[name] = forms.CharField(
                label=label % {"n": index + 1},
                required=False,
                max_length=TEXT_MAX,
                initial=block.get("text", ""),
                widget=forms.Textarea(attrs={"rows": 2 if kind == "heading" else 5}),
            )
            self.block_fields.append((index, name, str(kind)))

    def texts(self) -> dict[int, str]:
        return {index: self.cleaned_data[name] for index, name, _kind in self.block_fields}

    def rows(self) -> list[tuple[str, forms.BoundField]]:
        return [(kind, self[name]) for _index, name, kind in self.block_fields]


class IssueForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    date = forms.DateField(
        label=_("成文日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean_date(self) -> Any:
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("成文日期不能晚于今天。"))
        if day.year < 2000:
            raise forms.ValidationError(_("请填写正确的成文日期。"))
        return day


class RegisterForm(forms.Form):
    code = forms.CharField(label=_("机关代字"), max_length=PREFIX_MAX)
