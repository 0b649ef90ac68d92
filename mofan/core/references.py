"""The references most records make (to a committee, a unit, a campaign, an account), one line
each: `unit = unit_ref("ledger_items", verbose_name=_("单位"))`.

Each is an ordinary ForeignKey. Deleting the record referred to is refused (PROTECT) unless
`on_delete` says otherwise; `optional=True` makes the reference nullable and blank in forms.
The targets are named as strings, so this module imports no app.
"""

from __future__ import annotations

from typing import Any

from django.db import models


def reference(
    to: str | type[models.Model],
    related_name: str = "+",
    *,
    optional: bool = False,
    on_delete: Any = models.PROTECT,
    **options: Any,
) -> models.ForeignKey[Any, Any]:
    """A ForeignKey to the model `to` (a class, or "app_label.Model", or "self")."""
    if optional:
        options.update(null=True, blank=True)
    return models.ForeignKey(to, on_delete=on_delete, related_name=related_name, **options)


def committee_ref(related_name: str = "+", **options: Any) -> models.ForeignKey[Any, Any]:
    return reference("organizations.Committee", related_name, **options)


def unit_ref(related_name: str = "+", **options: Any) -> models.ForeignKey[Any, Any]:
    return reference("organizations.Unit", related_name, **options)


def campaign_ref(related_name: str = "+", **options: Any) -> models.ForeignKey[Any, Any]:
    return reference("campaigns.Campaign", related_name, **options)


def user_ref(related_name: str = "+", **options: Any) -> models.ForeignKey[Any, Any]:
    """An account: who created, recorded, decided or closed something."""
    return reference("accounts.User", related_name, **options)
