"""The menu in the header, for the actor: worked out lazily (only when a template shows the
header) and at most once per request, however many templates a response renders (an htmx save
renders its row and three out-of-band parts, none with the header)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from mofan.home.navigation import NavItem, items_for

_CACHE = "_mofan_nav_items"


def navigation(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    if actor is None or not request.user.is_authenticated:
        return {"nav_items": []}

    def items() -> list[NavItem]:
        cached = getattr(request, _CACHE, None)
        if cached is None:
            cached = items_for(actor)
            setattr(request, _CACHE, cached)
        return cached

    return {"nav_items": SimpleLazyObject(items), "actor": actor}
