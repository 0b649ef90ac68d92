"""Figures of the composite that higher apps compute (issue 17 point 4): the survey slot of
`results.composite`. Evaluations imports none of them; an app registers a source here from its
`extensions.py` (surveys: the satisfaction share of the campaign's latest survey).

A source gives, for a campaign and some units, each unit's figure as a share from 0 to 1 (a unit
without one is left out: it is then not counted, `results.composite` weighs the components
present). The composite takes share × the indicator system's total (× 100 without one), so the
slot shares the scale of the scores. Asked only when the campaign weighs the component."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from decimal import ROUND_HALF_UP, Decimal

Source = Callable[[int, Collection[int]], Mapping[int, Decimal]]
COMPONENTS = ("survey",)
_sources: dict[str, Source] = {}


def register(component: str, source: Source) -> None:
    if component not in COMPONENTS:
        raise ValueError(f"unknown external component {component!r}")
    _sources[component] = source


def points(
    component: str,
    *,
    campaign_id: int,
    unit_ids: Collection[int],
    weights: Mapping[str, Decimal],
    top: Decimal | None,
) -> dict[int, Decimal]:
    """Each unit's figure on the scores' scale, by unit id; empty when the campaign does not
    weigh the component or nothing is registered for it."""
    source = _sources.get(component)
    if source is None or not weights.get(component) or not unit_ids:
        return {}
    scale = top if top else Decimal(100)
    return {
        unit_id: (share * scale).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for unit_id, share in source(campaign_id, unit_ids).items()
    }
