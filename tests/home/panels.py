"""Reading the home page's panels (core.extensions.home_panels) in tests."""

from __future__ import annotations

from typing import Any


def committee_panel(response: Any, app: str) -> dict[str, Any]:
    """The committee overview's panel contributed by `app` (its template's folder)."""
    panels = response.context["committee"]["panels"]
    [panel] = [p for p in panels if p["template"].startswith(f"{app}/")]
    return panel
