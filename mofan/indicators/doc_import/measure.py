"""Node-level precision and recall of an imported tree against a hand-checked expected one:
titles, points and methods, each compared at the same code (so a node placed at the wrong
depth counts against all three). Titles match when one, less punctuation and spaces, begins
with the other (a title read up to its first full stop rather than its comma is still right)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from mofan.indicators.tree import NodeData, walk

TITLE_CHARS = 40
ASPECTS = ("titles", "points", "methods")


def _title(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", str(text))[:TITLE_CHARS]


def _points(value: Any) -> str:
    return "-" if value is None else format(Decimal(str(value)).normalize(), "f")


def facts(nodes: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {aspect: {} for aspect in ASPECTS}
    for node in nodes:
        code = str(node["code"])
        out["titles"][code] = _title(node["title"])
        out["points"][code] = _points(node.get("points"))
        out["methods"][code] = str(node.get("method"))
    return out


def _same(aspect: str, a: str, b: str) -> bool:
    if aspect == "titles":  # one read further than the other, e.g. to the comma
        return bool(a and b) and (a.startswith(b) or b.startswith(a))
    return a == b


def tree_nodes(roots: list[NodeData]) -> list[dict[str, Any]]:
    return [
        {"code": n.code, "title": n.title, "points": n.points, "method": n.method_type}
        for n, _depth in walk(roots)
    ]


def score(
    got: Sequence[Mapping[str, Any]], want: Sequence[Mapping[str, Any]]
) -> dict[str, list[float]]:
    """{aspect: [precision, recall]}, each rounded to 3 places."""
    found, expected = facts(got), facts(want)
    out = {}
    for aspect in ASPECTS:
        mine, theirs = found[aspect], expected[aspect]
        hits = sum(1 for code in mine if code in theirs and _same(aspect, mine[code], theirs[code]))
        precision = hits / len(mine) if mine else 0.0
        recall = hits / len(theirs) if theirs else 0.0
        out[aspect] = [round(precision, 3), round(recall, 3)]
    return out
