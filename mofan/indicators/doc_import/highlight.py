"""The spans of a source line the importer read, for the review page: the outline number, the
points, and each rule's words (deductions, floors, bonuses, vetoes, grades, thresholds)."""

from __future__ import annotations

from mofan.indicators.doc_import import rules
from mofan.indicators.doc_import.lines import POINTS_ANY, POINTS_LABEL, marker

Segment = tuple[str, str]  # (text, css class or "")


def spans(text: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    head = marker(stripped)
    if head is not None:
        found.append((offset, offset + head.end, "hl-number"))
    for pattern in (POINTS_ANY, POINTS_LABEL):
        found.extend((m.start(), m.end(), "hl-points") for m in pattern.finditer(text))
    found.extend(rules.deductions(text)[1])
    found.extend(rules.floors(text)[1])
    found.extend(rules.bonus(text)[2])
    found.extend(rules.veto(text))
    found.extend(rules.grade_bands(text)[1])
    found.extend(rules.thresholds(text)[1])
    return found


def segments(text: str) -> list[Segment]:
    """The line cut into plain and highlighted pieces; where spans overlap, the one that starts
    first (then the longest) wins."""
    out: list[Segment] = []
    position = 0
    for start, end, css in sorted(spans(text), key=lambda s: (s[0], -s[1])):
        if start < position or end <= start:
            continue
        if start > position:
            out.append((text[position:start], ""))
        out.append((text[start:end], css.replace("rule-", "hl-")))
        position = end
    if position < len(text):
        out.append((text[position:], ""))
    return out
