from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from mofan.home.navigation import items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    if actor is None or not request.user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": items_for(actor), "actor": actor}
