"""The pure part of a spot check: `derive(inputs, seed)` gives the units and inspectors of a
draw from its recorded inputs alone; `spot_check_verify` derives a recorded draw again."""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from django.utils.translation import gettext as _

from mofan.evaluations import draws
from mofan.organizations.models import UnitCategory
from mofan.supervision.models import SpotCheckDraw

ALGORITHM = "mofan-spotcheck-1"
UNIT_PURPOSE = "spotcheck-units"


def derive(inputs: dict[str, Any], seed: str) -> dict[str, list[int]]:
    """The units and inspectors of a draw, from its recorded inputs and seed alone.

    Raises `draws.DrawError` (Chinese message) when the draw cannot be made, and `ValueError`
    for inputs of another algorithm version."""
    if inputs.get("algorithm") != ALGORITHM:
        raise ValueError(f"unknown spot-check algorithm: {inputs.get('algorithm')!r}")
    n, m = int(inputs["units"]), int(inputs["inspectors"])
    candidates = [
        draws.Candidate(id=int(c["id"]), home_unit_id=None, stratum=str(c["stratum"]))
        for c in inputs["candidates"]
    ]
    units = draws.draw_sample(
        candidates=candidates,
        n=n,
        seed=seed,
        purpose=UNIT_PURPOSE,
        strata=bool(inputs["stratify_by"]),
    )
    drawn = set(units)
    pool = []
    for person in inputs["pool"]:
        homes = {int(u) for u in person["home_units"]}
        conflicts = homes & drawn
        home = min(conflicts) if conflicts else min(homes, default=None)
        pool.append(draws.Candidate(id=int(person["id"]), home_unit_id=home))
    if m > 0 and not pool:
        raise draws.DrawError(_("本工委评审库中没有评审员，无法抽取检查人员。"))
    inspectors = draws.draw_inspectors(inspectors=pool, n=m, seed=seed, avoid_units=units)
    return {"units": units, "inspectors": inspectors}


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same calendar day `months` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stratum_label(stratify_by: str, stratum: str) -> str:
    if stratify_by == "category":
        return str(dict(UnitCategory.choices).get(stratum, stratum))
    return stratum


def spot_check_verify(draw: SpotCheckDraw) -> bool:
    """Does `derive(inputs, seed)` give the recorded result? (Any failure to derive: no.)"""
    try:
        return derive(draw.inputs, draw.seed) == draw.result
    except (draws.DrawError, ValueError, KeyError, TypeError):
        return False
