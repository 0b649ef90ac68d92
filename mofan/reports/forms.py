"""The form behind the format buttons of the export page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.organizations.models import Unit

# Above this many units the chooser is a text field (name, short name or credit code) instead of
# a <select>: a province's 20,000 options would make the page megabytes long.
UNIT_SELECT_LIMIT = 300

FORMAT_LABELS = {
    "xlsx": gettext_lazy("Excel（xlsx）"),
    "csv": gettext_lazy("CSV"),
    "docx": gettext_lazy("Word（docx）"),
    "pdf": gettext_lazy("PDF"),
    "zip": gettext_lazy("压缩包（zip）"),
}


class ExportStartForm(forms.Form):
    exporter = forms.CharField(max_length=40)
    format = forms.CharField(max_length=8)
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False)
    unit_name = forms.CharField(max_length=100, required=False)

    def __init__(
        self, *args: Any, offers: dict[str, Any], units: QuerySet[Unit], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.offers = offers
        self.units = units
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        offer = self.offers.get(data.get("exporter", ""))
        if offer is None or offer.unavailable:
            raise forms.ValidationError(_("不能导出这项报表。"))
        if data.get("format") not in offer.formats:
            raise forms.ValidationError(_("这项报表不能导出为该格式。"))
        data["offer"] = offer
        if not offer.per_unit:
            data["unit"] = None
            return data
        if data.get("unit") is None and data.get("unit_name"):
            data["unit"] = self._unit_named(data["unit_name"].strip())
        if data.get("unit") is None:
            raise forms.ValidationError(_("请选择单位。"))
        return data

    def _unit_named(self, text: str) -> Unit:
        matches = list(
            self.units.filter(Q(name=text) | Q(short_name=text) | Q(credit_code=text))[:2]
        )
        if not matches:
            raise forms.ValidationError(_("没有找到单位「%(name)s」。") % {"name": text})
        if len(matches) > 1:
            raise forms.ValidationError(
                _("「%(name)s」对应多个单位，请输入单位全称或统一社会信用代码。") % {"name": text}
            )
        return matches[0]
