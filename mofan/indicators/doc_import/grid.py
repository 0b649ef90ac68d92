"""Tables whose rows keep their columns: Markdown pipe rows (with or without the outer bars)
and tab-separated rows, as Word and web pages give when a table is copied as text.

The header names each column's role: 序号 (serial), 分值/分数/分比 (points), 评分标准/评分说明
(rules), score-entry columns (自评, 得分, 备注…) left out, and text columns: the rightmost is the
item's content, those left of it are categories, one level each. A row then places its cells by
column: a category cell opens a type at its depth (a blank or repeated cell is the merged one
above it), a Chinese serial (一、二) makes the row a category, and the content cell is an item
with the row's points and rules. A content cell listing ①② parts with their own points gives
one child per part, paired with the rules cell's ①②. A row that lost its leading merged cells
(a web table's rowspan) is aligned to the right.

Returns flat entries (depth, title, points, criteria, line) for `build` to nest."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from mofan.indicators.doc_import.lines import is_header, marker, points_in

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
SERIAL = re.compile(r"^(序号|编号|序)$")
POINTS = re.compile(r"^(分值|分数|分比|标准分|基础分|满分|标准分值|权重|分值（分）|分值\(分\))$")
IGNORE = re.compile(
    r"得分|自评|自查|^考评$|考核分|实得|小计|备注|考核方式|检查方式|佐证|责任(单位|部门|人)"
)
RULES = re.compile(r"评分|计分|扣分|考评方法|考核方法|评价标准|评分说明|[^及]标准$")
NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*分?\s*$")
CN_SERIAL = re.compile(r"^[一二三四五六七八九十]+[、.．]?$")
AR_SERIAL = re.compile(r"^\d{1,3}[、.．]?$")
GLUED_POINTS = re.compile(r"^(.*?[^\d\s扣加得计减少于过为至到共满每各])\s*(\d+(?:\.\d+)?)\s*分$")
COLUMN_GAP = re.compile(r"[ \u3000]{2,}|\u3000")
PART_POINTS = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]\s*[。；;，,]?\s*$")


@dataclass
class Entry:
    depth: int
    title: str
    points: Decimal | None
    criteria: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class Grid:
    entries: list[Entry]
    lines: set[int]  # the table's lines (header included)


def _cells(raw: str, spaced: bool = False) -> list[str] | None:
    """A row's cells: between bars, between tabs, or (in a table whose header was set out with
    spaces) between runs of two or more spaces."""
    text = raw.rstrip("\n")
    if text.count("|") >= 2:
        inner = text.strip()
        inner = inner[1:] if inner.startswith("|") else inner
        return [c.strip() for c in inner.split("|")]
    if "\t" in text.strip("\t \u3000"):
        return [c.strip(" \u3000") for c in text.split("\t")]
    if spaced and len(COLUMN_GAP.findall(text.strip())) >= 1:
        return COLUMN_GAP.split(text.strip())
    return None


def _squeeze(text: str) -> str:
    return re.sub(r"[\s（）()]+", "", text)  # "计（扣）分办法" reads as 计扣分办法


def _role(head: str) -> str:
    name = _squeeze(head)
    if SERIAL.match(name):
        return "serial"
    if POINTS.match(name):
        return "points"
    if IGNORE.search(name):
        return "ignore"
    if RULES.search(name):
        return "rules"
    return "text"


def _is_header(cells: list[str]) -> bool:
    names = [_squeeze(c) for c in cells if c.strip()]
    known = [n for n in names if is_header(n) or _role(n) != "text"]
    return len(names) >= 2 and len(known) >= 2 and len(known) * 2 >= len(names)


def _clean(text: str) -> str:
    """A category cell as a title: a vertical label's spaces and brackets (好 的 班 子 ︻ 16分 ︼)
    undone, its outline number kept for `points_in` to ignore."""
    text = text.replace("︻", "（").replace("︼", "）").replace("︵", "（").replace("︶", "）")
    return re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f\d])|\s+(?=[（(])", "", text).strip()


def _category(text: str) -> tuple[str, Decimal | None]:
    text = _clean(text)
    found = marker(text)
    if found is not None:
        text = text[found.end :]
    points, title = points_in(text)
    if points is None:  # "党的思想理论建设30分": points written straight after the title
        bare = GLUED_POINTS.match(title)
        if bare and len(bare.group(1)) >= 2:
            title, points = bare.group(1), Decimal(bare.group(2))
    return title.strip(" ：:"), points


def _title(text: str) -> tuple[str, list[str]]:
    """An item's title (its first sentence, or up to a colon) and the rest as criteria."""
    found = marker(text)
    if found is not None and found.style not in ("circ",):
        text = text[found.end :]
    parts = re.split(r"(?<=[。！？])", text, maxsplit=1)
    title = parts[0].rstrip("。！？ ")
    rest = parts[1].strip() if len(parts) > 1 else ""
    colon = re.search(r"[：:]", title)
    if colon and 2 <= colon.start() <= 30 and colon.end() < len(title):
        title, rest = title[: colon.start()], (title[colon.end() :] + rest).strip()
    return title.strip(), [rest] if rest else []


def _parts(text: str) -> list[tuple[int, str]]:
    """①… ②…: the numbered parts of one cell, (number, text)."""
    pieces = re.split(f"([{_CIRCLED}])", text)
    out = []
    for i in range(1, len(pieces) - 1, 2):
        out.append((_CIRCLED.index(pieces[i]) + 1, pieces[i + 1].strip()))
    return out


@dataclass
class Columns:
    categories: list[int]
    content: int
    meaningful: int  # the columns up to the last one that is not a score-entry column
    serial: int | None
    points: int | None
    rules: int | None


def _columns(header: list[str]) -> Columns | None:
    """Each column's role from its header (an empty header cell continues the one before it,
    as a merged header does); None when no column holds text."""
    roles: list[str] = []
    for i, head in enumerate(header):
        roles.append(_role(head) if head.strip() or i == 0 else roles[-1])
    texts = [i for i, r in enumerate(roles) if r == "text"]
    if not texts:
        return None
    return Columns(
        categories=[i for i in texts if i < texts[-1]],
        content=texts[-1],
        meaningful=max(i for i, r in enumerate(roles) if r != "ignore" and header[i].strip()) + 1,
        serial=roles.index("serial") if "serial" in roles else None,
        points=roles.index("points") if "points" in roles else None,
        rules=roles.index("rules") if "rules" in roles else None,
    )


def read_grid(lines: list[str]) -> Grid | None:
    rows = [(n, _cells(raw)) for n, raw in enumerate(lines, start=1)]
    start = next(
        (i for i, (_n, cells) in enumerate(rows) if cells is not None and _is_header(cells)), None
    )
    if start is None:  # a header set out with spaces: read every row that way
        rows = [(n, _cells(raw, spaced=True)) for n, raw in enumerate(lines, start=1)]
        start = next(
            (
                i
                for i, (_n, c) in enumerate(rows)
                if c is not None and len(c) >= 3 and _is_header(c)
            ),
            None,
        )
    if start is None:
        return None
    header = rows[start][1]
    assert header is not None
    columns = _columns(header)
    if columns is None:
        return None
    categories, content, meaningful = columns.categories, columns.content, columns.meaningful
    serial, points_col, rules_col = columns.serial, columns.points, columns.rules
    entries: list[Entry] = []
    used = {rows[start][0]}
    open_cats: list[str] = ["" for _ in categories]
    serial_categories = False
    for number, cells in rows[start + 1 :]:
        if cells is None:
            if not lines[number - 1].strip():
                continue
            break  # the table ended
        used.add(number)
        if not any(c.strip() for c in cells) or all(
            re.fullmatch(r":?-{2,}:?", c) or not c.strip() for c in cells
        ):
            continue
        if _is_header(cells) and not entries:
            continue  # a second header row (自评 / 考评)
        filled = max(i for i, c in enumerate(cells) if c.strip()) + 1
        if filled < meaningful and categories:
            cells = [""] * (meaningful - filled) + cells  # lost its leading merged cells
        cells = cells + [""] * (len(header) - len(cells))

        def cell(index: int | None, row: list[str] = cells) -> str:
            return row[index].strip() if index is not None and index < len(row) else ""

        for depth, col in enumerate(categories):
            value = cell(col)
            if not value or _squeeze(value) == open_cats[depth]:
                continue
            title, points = _category(value)
            if not title:
                continue
            open_cats[depth] = _squeeze(value)
            for deeper in range(depth + 1, len(open_cats)):
                open_cats[deeper] = ""
            entries.append(Entry(depth, title, points, [], [number]))
        text = cell(content)
        row_points = NUMBER.match(cell(points_col))
        points = Decimal(row_points.group(1)) if row_points else None
        rules = cell(rules_col)
        if not text:
            if points is not None and entries and entries[-1].points is None:
                entries[-1].points = points  # a category row with its total
            continue
        depth = len(categories)
        if serial is not None and CN_SERIAL.match(cell(serial)):
            title, own = _category(text)
            entries.append(Entry(depth, title, points or own, [rules] if rules else [], [number]))
            serial_categories = True  # 一、组织领导 in the serial column: items one deeper
            continue
        entries.extend(_items(text, points, rules, depth + serial_categories, number))
    if not entries:
        return None
    return Grid(entries, used)


def _items(text: str, points: Decimal | None, rules: str, depth: int, number: int) -> list[Entry]:
    parts = _parts(text)
    scored = [p for p in parts if PART_POINTS.search(p[1])]
    if len(parts) >= 2 and len(scored) == len(parts):
        title = text[: text.index(_CIRCLED[parts[0][0] - 1])].strip()
        own, title = points_in(title)
        rule_parts = dict(_parts(rules))
        children = []
        for n, part in parts:
            match = PART_POINTS.search(part)
            assert match is not None
            head, criteria = _title(part[: match.start()])
            extra = [rule_parts[n]] if n in rule_parts else []
            children.append(
                Entry(depth + 1, head, Decimal(match.group(1)), criteria + extra, [number])
            )
        if title:
            parent = Entry(depth, _title(title)[0], points or own, [], [number])
            return [parent, *children]
        return [Entry(depth, c.title, c.points, c.criteria, c.lines) for c in children]
    own, stripped = points_in(text)
    title, criteria = _title(stripped)
    if rules:
        criteria.append(rules)
    return [Entry(depth, title, points if points is not None else own, criteria, [number])]
