"""A plan's phases from its steps section (方法步骤 / 实施步骤 / 时间安排):
"（一）动员部署（7月上旬）" and its paragraph → {key, name, due, due_month_day, description}."""

from __future__ import annotations

import calendar
import re
from typing import Any

from mofan.indicators.doc_import.lines import Unit

STEP_WORDS = ("方法步骤", "实施步骤", "步骤安排", "时间安排", "进度安排", "工作步骤", "阶段安排")
DUE = re.compile(r"^(.{2,16}?)\s*[（(]([^（）()]*?(\d{1,2})\s*月([^（）()]*))[）)]\s*[。.]?$")
DAY = re.compile(r"(\d{1,2})\s*日")


def month_day(month: int, rest: str) -> str | None:
    """The latest day a wording allows: 7月上旬 → 07-10, 9月底前 → 09-30, 7月15日前 → 07-15."""
    if not 1 <= month <= 12:
        return None
    last = calendar.monthrange(2001, month)[1]  # a year without 29 February
    day = DAY.search(rest)
    if day:
        value = int(day.group(1))
        return f"{month:02d}-{value:02d}" if 1 <= value <= last else None
    if "上旬" in rest:
        return f"{month:02d}-10"
    if "中旬" in rest:
        return f"{month:02d}-20"
    return f"{month:02d}-{last:02d}"


def phases(units: list[Unit]) -> tuple[list[dict[str, Any]], set[int]]:
    """The phases and the units they were read from."""
    top = next(
        (u.marker.style for u in units if u.marker and u.marker.style in ("chapter", "cn")), None
    )
    if top is None:
        return [], set()
    found: list[dict[str, Any]] = []
    used: set[int] = set()
    inside = False
    current: dict[str, Any] | None = None
    for index, unit in enumerate(units):
        if unit.marker and unit.marker.style == top:
            title = unit.text[unit.marker.end :]
            inside = any(w in title[:12] for w in STEP_WORDS)
            current = None
            if inside:
                used.add(index)
            continue
        if not inside:
            continue
        if unit.marker is not None:
            match = DUE.match(unit.text[unit.marker.end :].strip())
            current = None
            if match:
                current = {
                    "key": f"phase_{len(found) + 1}",
                    "name": match.group(1).strip(),
                    "due": match.group(2).strip(),
                }
                day = month_day(int(match.group(3)), match.group(4))
                if day:
                    current["due_month_day"] = day
                found.append(current)
                used.add(index)
            continue
        if current is not None and unit.kind == "text":
            current["description"] = current.get("description", "") + unit.text
            used.add(index)
    return found, used
