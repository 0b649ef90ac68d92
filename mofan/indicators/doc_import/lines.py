"""Source lines → units: a paragraph, or a table cell (a line led by a tab, or a pipe-table
cell, with the short lines that continue it), each classified as a numbered heading, a label
written in a table's first column, a points cell, a table header, or body text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0}


def cn_number(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20 (numbers an outline uses)."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        elif char in CN_DIGITS:
            current = CN_DIGITS[char]
        else:
            return 0
    return total + current


_CN = "[一二三四五六七八九十百]+"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# (style, pattern); the first that matches wins. A style is a kind of numbering; its depth in
# a document is found from the order the styles appear in (see build.Outline).
MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chapter", re.compile(rf"^第({_CN}|\d+)[章部篇](?:分)?[\s、：:]*")),
    ("article", re.compile(rf"^第({_CN}|\d+)条[\s　]*")),
    ("cn", re.compile(rf"^({_CN})\s*[、．.]\s*")),
    ("pcn", re.compile(rf"^[（(]\s*({_CN})\s*[）)]\s*[、．.]?\s*")),
    ("dot", re.compile(r"^(\d{1,2}(?:[.．]\d{1,2})+)(?![\d%％分倍])[.．、]?\s*")),
    ("num", re.compile(r"^(\d{1,2})\s*[.．、](?![\d%％])\s*")),
    ("pnum", re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]\s*[、．.]?\s*")),
    ("circ", re.compile(rf"^([{_CIRCLED}])\s*[、．.]?\s*")),
    ("bullet", re.compile(r"^([■□●○◆◇▲△★☆•▪►◎])\s*")),
    ("bare", re.compile(r"^(\d{1,2})[ \u3000]+(?=[^\d\s分%％])")),
    ("half", re.compile(r"^(\d{1,2})[)）](?![\d])\s*")),
)

POINTS_TAIL = re.compile(
    r"[（(]\s*(?:分值|满分|计|共)?[:：]?\s*(\d+(?:\.\d+)?)\s*分\s*[）)]\s*[。；;，,]?\s*$"
)
POINTS_ANY = re.compile(r"[（(]\s*(?:分值|满分|计|共)?[:：]?\s*(\d+(?:\.\d+)?)\s*分\s*[）)]")
POINTS_LABEL = re.compile(r"(?:分值|分数|满分|标准分)\s*[:：为]?\s*(\d+(?:\.\d+)?)\s*分?")
POINTS_ONLY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*分?\s*$")
POINTS_LINE = re.compile(
    r"^\s*(?:(?:分值|分数|标准分|满分)\s*[:：]\s*(\d+(?:\.\d+)?)\s*分?|(\d+(?:\.\d+)?)\s*分)\s*$"
)
STATED_TOTAL = re.compile(r"[（(][^（）()]*?(?:共|合计|总分)\s*(\d+(?:\.\d+)?)\s*分[^（）()]*[）)]")
EACH_POINTS = re.compile(r"(?:每项|每条|各项|各)\s*(\d+(?:\.\d+)?)\s*分")
HEADER_WORDS = {
    "项目",
    "类型",
    "类别",
    "考核项目",
    "考核内容",
    "考评内容",
    "考评要点",
    "考核要点",
    "考核标准",
    "评分标准",
    "评分细则",
    "评分办法",
    "评分方法",
    "计分方法",
    "分值",
    "标准分",
    "得分",
    "自评得分",
    "评价",
    "备注",
    "序号",
    "指标",
    "一级指标",
    "二级指标",
    "三级指标",
    "测评内容",
    "测评要点",
    "考核方式",
    "佐证材料",
    "评价标准",
    "具体内容",
    "考评项目",
    "评分项目",
    "计分办法",
    "计分标准",
    "扣分标准",
    "评分依据",
    "考核指标",
    "考评标准",
    "考评办法",
    "评分",
    "内容",
    "标准",
}
NOTE_START = re.compile(r"^(备注|注|说明)\s*[:：]")
CONTINUATION_MAX = 20  # a short unnumbered line after a cell continues it (a wrapped cell)
LABEL_MAX = 16  # an unnumbered table cell this short is a label (a type written in column 1)


@dataclass
class Marker:
    style: str
    number: int
    depth_hint: int  # segments of a dotted number (1.2.3 → 3), else 1
    end: int  # where the text after the marker starts


def marker(text: str) -> Marker | None:
    for style, pattern in MARKERS:
        match = pattern.match(text)
        if not match:
            continue
        raw = match.group(1)
        if style == "dot":
            segments = re.split(r"[.．]", raw)
            return Marker(f"dot{len(segments)}", int(segments[-1]), len(segments), match.end())
        if style == "bullet":  # unnumbered: each bullet character is a level of its own
            return Marker(f"bullet{raw}", 0, 1, match.end())
        if style == "bare":  # "1 思想道德建设" heading a "1.1" outline
            return Marker("dot1", int(raw), 1, match.end())
        if style == "circ":
            return Marker(style, _CIRCLED.index(raw) + 1, 1, match.end())
        number = cn_number(raw) if style in ("cn", "pcn", "chapter", "article") else int(raw)
        if number <= 0:
            return None
        return Marker(style, number, 1, match.end())
    return None


@dataclass
class Unit:
    """One paragraph or table cell: its source lines and its text."""

    lines: list[int]  # 1-based source line numbers
    text: str  # joined text, stripped
    cell: bool = False
    kind: str = "text"  # header | points | label | numbered | text | note | blank
    marker: Marker | None = None
    points: Decimal | None = None
    spans: list[tuple[int, int, int, str]] = field(default_factory=list)  # (line, start, end, css)


def _strip(text: str) -> str:
    return text.replace("\u3000", " ").replace("\xa0", " ").strip()


def _is_pipe_row(text: str) -> bool:
    return text.startswith("|") and text.count("|") >= 2


def _pipe_cells(text: str) -> list[str]:
    inner = text.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [c.strip() for c in inner.split("|")]


def split_units(source: str) -> tuple[list[str], list[Unit]]:
    """The source's lines and its units, in order."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    units: list[Unit] = []
    current: Unit | None = None  # an open table cell, which short lines may continue
    for number, raw in enumerate(lines, start=1):
        text = _strip(raw)
        if not text:
            if raw.startswith("\t"):  # an empty cell: a wrapped label may follow it
                current = Unit([], "", cell=True)
            continue
        if _is_pipe_row(text):
            current = None
            cells = _pipe_cells(text)
            if all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
                units.append(Unit([number], text, cell=True, kind="blank"))
                continue
            for cell in cells:
                if cell:
                    units.append(Unit([number], cell, cell=True))
            continue
        if raw.startswith("\t"):
            current = Unit([number], text, cell=True)
            units.append(current)
            continue
        if (
            current is not None
            and re.sub(r"\s+", "", current.text) not in HEADER_WORDS
            and len(text) <= CONTINUATION_MAX
            and marker(text) is None
            and not NOTE_START.match(text)
            and not POINTS_ONLY.match(text)
        ):
            if not current.lines:
                units.append(current)
            current.lines.append(number)
            current.text += text
            continue
        current = None
        units.append(Unit([number], text))
    for unit in units:
        classify(unit)
    return lines, units


def classify(unit: Unit) -> None:
    if unit.kind == "blank":
        return
    text = unit.text
    squeezed = re.sub(r"\s+", "", text)
    if squeezed in HEADER_WORDS:
        unit.kind = "header"
        return
    only = POINTS_ONLY.match(text) if unit.cell else POINTS_LINE.match(text)
    if only:
        unit.kind = "points"
        unit.points = Decimal(only.group(1) or only.group(2))
        return
    if NOTE_START.match(text):
        unit.kind = "note"
        return
    found = marker(text)
    if found is not None:
        unit.kind = "numbered"
        unit.marker = found
        return
    if unit.cell:
        bare = POINTS_ANY.sub("", squeezed)
        if (
            0 < len(bare) <= LABEL_MAX
            and not re.search(r"[。；;，,\d]", bare)
            and not re.search(r"扣|得分|计分|满分", bare)
        ):
            unit.kind = "label"
            return
    unit.kind = "text"


def points_in(text: str) -> tuple[Decimal | None, str]:
    """The points a title states ("（10分）" at its end or "分值：10"), and the title without
    them."""
    match = STATED_TOTAL.search(text)
    if match:  # "（以下每项5分，共20分）": the total; the children's share is read apart
        return Decimal(match.group(1)), (text[: match.start()] + text[match.end() :]).strip()
    match = POINTS_TAIL.search(text)
    if match:
        return Decimal(match.group(1)), text[: match.start()].rstrip()
    match = POINTS_ANY.search(text)
    if match and match.start() <= 60:
        return Decimal(match.group(1)), (text[: match.start()] + text[match.end() :]).strip()
    match = POINTS_LABEL.search(text)
    if match:
        return Decimal(match.group(1)), (text[: match.start()] + text[match.end() :]).strip(
            " ，,；;"
        )
    return None, text
