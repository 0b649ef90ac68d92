"""The navigation each role sees: the menu entries the apps registered (`extensions.py` of each
app, `core.extensions.menu`), in order, those whose predicate holds for the actor. Pages check
permissions themselves; this only shows links."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from mofan.accounts.access import Actor
from mofan.core.extensions import menu


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


def items_for(actor: Actor) -> list[NavItem]:
    return [
        NavItem(
            str(entry.label),
            reverse(entry.url_name, args=entry.args(actor) if entry.args else None),
        )
        for entry in sorted(menu, key=lambda entry: entry.order)
        if entry.shows(actor)
    ]
