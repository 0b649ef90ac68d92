"""The form behind the format buttons of the export page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.core.choosers import ChooserField
from mofan.organizations.models import Unit

FORMAT_LABELS = {
    "xlsx": gettext_lazy("Excel（xlsx）"),
    "csv": gettext_lazy("CSV"),
    "docx": gettext_lazy("Word（docx）"),
    "pdf": gettext_lazy("PDF"),
    "zip": gettext_lazy("压缩包（zip）"),
}


class ExportStartForm(forms.Form):
    """Which export, in which format, and for per-unit exports which unit: searched as you type
    among the campaign's units the actor may see (chooser scope `unit/export`), or typed by name
    without JavaScript, never a list of every unit."""

    exporter = forms.CharField(max_length=40)
    format = forms.CharField(max_length=8)
    unit = ChooserField(
        kind="unit",
        scope="export",
        label=gettext_lazy("单位"),
        queryset=Unit.objects.none(),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        offers: dict[str, Any],
        units: QuerySet[Unit],
        campaign_id: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.offers = offers
        field = self.fields["unit"]
        field.queryset = units  # type: ignore[attr-defined]
        field.with_params(campaign=campaign_id)  # type: ignore[attr-defined]

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
        if data.get("unit") is None:
            raise forms.ValidationError(_("请选择单位。"))
        return data
