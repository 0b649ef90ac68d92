"""What the supervision forms share: the date widget and choice fields limited to the actor's
scope."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ScopedForm(forms.Form):
    """A form whose choice fields offer only what the actor may use: `limit(field=queryset)`,
    so a tampered id fails validation."""

    def limit(self, **querysets: Any) -> None:
        for name, queryset in querysets.items():
            self.fields[name].queryset = queryset  # type: ignore[attr-defined]
