"""Units → a proposed indicator tree. Outline numbering sets the depth (the styles in the
order they appear, a restart at 1 going one deeper, a sequence continued in another style
staying at its level); a table's first-column labels are types; points come from the title,
their own cell or a "每项N分" stated once; a document whose tree is a single level of headings
(a 实施方案's tasks written as paragraphs) has each paragraph split into its sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from mofan.indicators.doc_import.grid import Grid, read_grid
from mofan.indicators.doc_import.lines import (
    EACH_POINTS,
    Marker,
    Unit,
    points_in,
    split_units,
)

# Titles of a plan's sections that hold the indicators, and of those that do not.
CONTENT_WORDS = (
    "主要任务",
    "主要内容",
    "创建内容",
    "任务目标",
    "重点任务",
    "考核内容",
    "考核指标",
    "考评内容",
    "评分标准",
    "考核细则",
    "达标标准",
    "考核标准",
    "建设标准",
    "评分细则",
    "具体内容",
    "建设内容",
    "工作任务",
    "创建标准",
    "测评内容",
    "评价标准",
    "评定内容",
    "评分内容",
    "评定标准",
    "测评标准",
    "评价内容",
    "考核评分",
    "积分内容",
    "积分标准",
    "计分内容",
)
# Sections of rules that stand beside the content (kept as their own types).
RULE_WORDS = ("否决", "撤销", "取消", "下列情形", "加分", "扣分", "奖励")
SKIP_WORDS = (
    "指导思想",
    "总体要求",
    "工作目标",
    "目标要求",
    "基本原则",
    "创建原则",
    "方法步骤",
    "实施步骤",
    "步骤安排",
    "时间安排",
    "进度安排",
    "组织领导",
    "组织保障",
    "保障措施",
    "工作要求",
    "推进措施",
    "方法及措施",
    "工作措施",
    "考核办法",
    "考核方式",
    "结果运用",
    "其他事项",
    "附则",
    "适用范围",
    "考核对象",
    "评定办法",
    "评分办法",
    "评价办法",
    "星级认定",
    "等次评定",
    "等级评定",
    "评定等次",
    "结果认定",
    "等次划分",
)
TITLE_MAX = 120
# A document's tail, never an item's criteria: annexes, copies, contacts, dates, signatures.
TAIL = re.compile(
    r"^(附件|附[:：]|抄送|联系人|联系电话|印发|[（(]此件|\d{4}\s*年\s*\d{1,2}\s*月(\s*\d{1,2}\s*日)?$)"
)
OPEN, CLOSE = "（(“《【「‘", "）)”》】」’"


@dataclass
class PNode:
    """A proposed node while the tree is built."""

    title: str
    points: Decimal | None = None
    criteria: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    children: list[PNode] = field(default_factory=list)
    label: bool = False  # a type written as a table label
    each: Decimal | None = None  # "每项N分": the points of each child
    spans: list[tuple[int, int, int, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        body = "".join(self.criteria)
        if body.startswith(self.title) or not body:
            return body or self.title
        # a stop between the title and its body, so a rule's clause does not run into the title
        stop = "" if self.title.endswith(("。", "；", ";", "：", ":")) else "。"
        return self.title + stop + body


@dataclass
class Frame:
    style: str
    last: int
    node: PNode


_FAMILY = {"cn": "n", "num": "n", "pcn": "p", "pnum": "p"}


class Outline:
    """The open headings, deepest last; places each numbered unit at its depth."""

    def __init__(self) -> None:
        self.stack: list[Frame] = []
        self.roots: list[PNode] = []
        self.nested = False  # a table with two columns of labels

    def level(self, found: Marker) -> int:
        stack = self.stack
        same = [i for i, f in enumerate(stack) if f.style == found.style]
        if found.style.startswith("bullet"):
            return max(same) if same else len(stack)
        if found.style.startswith("dot"):  # 1.2.3 says its own depth: under the open 1.2
            if same:
                return max(same)
            above = f"dot{found.depth_hint - 1}"
            parents = [i for i, f in enumerate(stack) if f.style == above]
            return max(parents) + 1 if parents else len(stack)
        follows = [i for i in same if stack[i].last == found.number - 1]
        if follows:
            return max(follows)
        if same and found.number != 1:
            return max(same)
        if not same and found.number > 1:
            family = _FAMILY.get(found.style)
            kin = [
                i
                for i, f in enumerate(stack)
                if family and _FAMILY.get(f.style) == family and f.last == found.number - 1
            ]
            if kin:
                return max(kin)
        return len(stack)

    def add(self, node: PNode, found: Marker | None) -> None:
        if found is None:  # a label: a new type at the top, or one level down
            self._add_label(node)
            return
        level = self.level(found)
        del self.stack[level:]
        if self.stack:
            self.stack[-1].node.children.append(node)
        else:
            self.roots.append(node)
        self.stack.append(Frame(found.style, found.number, node))

    @property
    def current(self) -> PNode | None:
        return self.stack[-1].node if self.stack else None

    def current_labels(self) -> list[PNode]:
        return [f.node for f in self.stack if f.style == "label"]

    def _add_label(self, node: PNode) -> None:
        """A label right after a label is a level down (类别 then 二级类, two label columns);
        once a table has shown two label levels, a later label stays at the second while its
        points fit in the open first-level label's declared total."""
        labels = [i for i, f in enumerate(self.stack) if f.style == "label"]
        if labels and self.stack[-1].style == "label" and not self.stack[-1].node.children:
            self.nested = True
            self.stack[-1].node.children.append(node)
            self.stack.append(Frame("label", 0, node))
            return
        if self.nested:  # a sibling of the deepest label whose parent still has room for it
            for k in reversed(range(1, len(labels))):
                parent = self.stack[labels[k - 1]].node
                taken = sum((c.points or Decimal(0)) for c in parent.children)
                if (
                    parent.points is None
                    or node.points is None
                    or taken + node.points <= parent.points
                ):
                    parent.children.append(node)
                    self.stack = [*self.stack[: labels[k - 1] + 1], Frame("label", 0, node)]
                    return
        self.stack = [Frame("label", 0, node)]
        self.roots.append(node)


def sentences(text: str) -> list[tuple[int, str]]:
    """(start, sentence) split at 。！？ outside brackets and quotes."""
    out: list[tuple[int, str]] = []
    depth, start = 0, 0
    for i, char in enumerate(text):
        if char in OPEN:
            depth += 1
        elif char in CLOSE:
            depth = max(0, depth - 1)
        elif char in "。！？!?" and depth == 0:
            if text[start : i + 1].strip():
                out.append((start, text[start : i + 1]))
            start = i + 1
    if text[start:].strip():
        out.append((start, text[start:]))
    return out


def _title_and_body(rest: str) -> tuple[str, str]:
    """A heading's title (its first sentence, or what precedes a colon) and the text after."""
    parts = sentences(rest)
    if len(parts) > 1 and len(parts[0][1]) <= TITLE_MAX:
        title = parts[0][1]
        return title.rstrip("。！？!?").strip(), rest[len(parts[0][1]) :].strip()
    colon = re.search(r"[：:]", rest)
    if colon and colon.start() <= 30 and colon.end() < len(rest):
        return rest[: colon.start()].strip(), rest[colon.end() :].strip()
    return rest.strip(), ""


@dataclass
class Region:
    start: int
    end: int
    drop_heading: bool  # the region starts at a section heading that is not itself a node


def _section_title(unit: Unit) -> str:
    assert unit.marker is not None
    return unit.text[unit.marker.end :]


def choose_regions(units: list[Unit]) -> tuple[list[Region], str]:
    """Where the indicators are: a scoring table (from its header to the end) when the document
    has one; else the sections titled as content (主要任务, 考核内容…), or all but the
    preamble-like ones (指导思想, 组织保障…); else everything."""
    cells = [i for i, u in enumerate(units) if u.cell and u.kind != "blank"]
    if len(cells) >= 3:
        headers = [i for i in cells if units[i].kind == "header"]
        scored = [i for i in cells if units[i].kind in ("numbered", "points")]
        if scored:
            start = headers[0] if headers and headers[0] < scored[0] else scored[0]
            # a label cell just before the first numbered one belongs to the table
            while start > 0 and units[start - 1].cell and units[start - 1].kind == "label":
                start -= 1
            return [Region(start, len(units), False)], "table"
    numbered = [u for u in units if u.kind == "numbered" and u.marker is not None]
    top_styles = [
        u.marker.style for u in numbered if u.marker and u.marker.style in ("chapter", "cn")
    ]
    if not top_styles:
        return [Region(0, len(units), False)], "whole"
    top = top_styles[0]
    starts = [
        i
        for i, u in enumerate(units)
        if u.kind == "numbered" and u.marker and u.marker.style == top
    ]
    bounds = list(zip(starts, [*starts[1:], len(units)], strict=True))

    def titled(start: int, words: tuple[str, ...]) -> bool:
        return any(w in _section_title(units[start])[:20] for w in words)

    content = [(s, e) for s, e in bounds if titled(s, CONTENT_WORDS)]
    beside = [(s, e) for s, e in bounds if titled(s, RULE_WORDS) and (s, e) not in content]
    if len(content) == 1:
        s, e = content[0]
        return [Region(s, e, True), *(Region(b, f, False) for b, f in beside)], "section"
    if content:
        return [Region(s, e, False) for s, e in sorted(content + beside)], "sections"
    kept = [
        (s, e)
        for s, e in bounds
        if _scored(units[s : s + 2])
        or not any(w in _section_title(units[s])[:20] for w in SKIP_WORDS)
    ]
    if len(kept) == len(bounds):
        return [Region(starts[0], len(units), False)], "whole"
    return [Region(s, e, False) for s, e in kept], "sections"


def _heads_a_list(units: list[Unit], index: int) -> bool:
    """A longer unnumbered cell in a label column: plain words (no rule, no number) right
    before a list that starts again at 1 ("严格落实中央重要会议精神和重大决策部署" then "1.…")."""
    unit = units[index]
    after = units[index + 1] if index + 1 < len(units) else None
    return (
        unit.cell
        and len(unit.text) <= 30
        and not re.search(r"[\d。；;，,：:]|扣|分", unit.text)
        and after is not None
        and after.kind == "numbered"
        and after.marker is not None
        and after.marker.number == 1
    )


def _scored(head: list[Unit]) -> bool:
    """A section whose heading states points ("一、组织领导" then "（10分）") is scored, whatever
    its title: a 组织领导 section of a scoring table is not the plan's preamble."""
    return any(u.kind == "points" or points_in(u.text)[0] is not None for u in head)


@dataclass
class Built:
    lines: list[str]
    units: list[Unit]
    roots: list[PNode]
    mode: str
    used: set[int]  # units that went into the tree (or were read as headers, points, notes)
    notes: list[Unit]


def build(source: str) -> Built:
    lines, units = split_units(source)
    table = read_grid(lines)
    if table is not None:
        return _from_grid(table, lines, units)
    regions, mode = choose_regions(units)
    outline = Outline()
    used: set[int] = set()
    notes: list[Unit] = []
    last: PNode | None = None
    for region in regions:
        outline.stack = []  # each region starts at the top
        first = True
        for index in range(region.start, region.end):
            unit = units[index]
            if first and region.drop_heading:
                first = False
                used.add(index)
                continue
            first = False
            kind = unit.kind
            if kind in ("blank", "header"):
                used.add(index)
                continue
            if kind == "note":
                notes.append(unit)
                used.add(index)
                if mode == "table":
                    break  # a table's notes close it; what follows is the document's tail
                continue
            if kind == "points":
                if _points_cell(unit, last, outline, mode):
                    used.add(index)
                continue
            if kind == "text" and mode == "table" and _heads_a_list(units, index):
                kind = "label"
            if kind == "label" and mode == "table":
                last = _label_cell(unit, outline) or last
                used.add(index)
                continue
            if kind == "numbered" and unit.marker is not None:
                last = _numbered(unit, outline)
                used.add(index)
                continue
            if _body(unit, outline):
                used.add(index)
    roots = outline.roots
    one_level = roots and all(not r.children and r.points is None for r in roots)
    if one_level and mode != "table":
        for root in roots:
            _split_paragraph(root)
    return Built(lines, units, roots, mode, used, notes)


def _points_cell(unit: Unit, last: PNode | None, outline: Outline, mode: str) -> bool:
    """A points cell or line gives the node before it its points; after a group's last item
    (which has its own) they are the points of the label heading the group."""
    target = last
    if target is not None and target.points is not None and mode == "table":
        open_labels = [n for n in outline.current_labels() if n.points is None]
        target = open_labels[-1] if open_labels else target
    if target is None or target.points is not None:
        return False
    target.points = unit.points
    target.lines.extend(unit.lines)
    unit.spans.append((unit.lines[0], 0, 10_000, "span-points"))
    return True


def _label_cell(unit: Unit, outline: Outline) -> PNode | None:
    """A label cell opens a type, unless it repeats an open one (merged cells, page breaks)."""
    points, title = points_in(unit.text)
    same = [c for c in outline.current_labels() if c.title == title and points in (None, c.points)]
    if same:
        same[0].lines.extend(unit.lines)
        return None
    node = PNode(title=title, points=points, lines=list(unit.lines), label=True)
    _mark(unit, "span-title", points)
    outline.add(node, None)
    return node


def _body(unit: Unit, outline: Outline) -> bool:
    """Body text: the criteria of the node it follows (a table cell may bring its points, or
    repeat them as a merged cell does)."""
    current = outline.current
    if current is None or TAIL.match(unit.text):
        return False
    points, text = (None, unit.text)
    if unit.cell and current.points is not None:
        again, rest = points_in(unit.text)
        if again == current.points and not rest.strip():
            current.lines.extend(unit.lines)
            return True
    if unit.cell and current.points is None:
        points, text = points_in(unit.text)
        if points is not None:
            current.points = points
    current.criteria.append(text)
    current.lines.extend(unit.lines)
    _each(current, text)
    _mark(unit, "span-criteria", points)
    return True


def _from_grid(table: Grid, lines: list[str], units: list[Unit]) -> Built:
    """The tree of a table read by columns (grid.py); its cells' units count as read."""
    roots: list[PNode] = []
    stack: list[tuple[int, PNode]] = []
    for entry in table.entries:
        node = PNode(entry.title, entry.points, list(entry.criteria), list(entry.lines))
        _each(node, "".join(entry.criteria))
        while stack and stack[-1][0] >= entry.depth:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((entry.depth, node))
    used = {i for i, u in enumerate(units) if u.lines and set(u.lines) <= table.lines}
    notes = [u for i, u in enumerate(units) if u.kind == "note" and i not in used]
    used |= {i for i, u in enumerate(units) if u.kind == "note"}
    return Built(lines, units, roots, "grid", used, notes)


def _numbered(unit: Unit, outline: Outline) -> PNode:
    assert unit.marker is not None
    whole = unit.text[unit.marker.end :]
    points, rest = points_in(whole)
    bare = TRAILING_POINTS.search(rest) if points is None else None
    if bare:  # "1.设立工作机构，指定专人负责 2": a table row whose 分值 column lost its tab
        points, rest = Decimal(bare.group(1)), rest[: bare.start()]
    title, body = _title_and_body(rest)
    if len(title) > TITLE_MAX:
        title, body = title[:TITLE_MAX], rest
    node = PNode(title=title, points=points, lines=list(unit.lines))
    if body:
        node.criteria.append(body)
    _each(node, whole)
    _mark(unit, "span-title", points)
    outline.add(node, unit.marker)
    return node


TRAILING_POINTS = re.compile(r"(?<=[^\d\s.．、])[ \u3000]+(\d{1,2}(?:\.\d)?)$")


def _mark(unit: Unit, css: str, points: Decimal | None) -> None:
    for number in unit.lines:
        unit.spans.append((number, 0, 10_000, css))


def _each(node: PNode, text: str) -> None:
    match = EACH_POINTS.search(text)
    if match and node.each is None:
        node.each = Decimal(match.group(1))


def _split_paragraph(root: PNode) -> None:
    """A single-level heading with a paragraph of tasks: each task becomes a leaf. Where short
    sentences head the tasks (推进政治机关建设进程。…), each heads one leaf with the sentences
    that follow as its criteria (headings in parallel, sharing their first two characters);
    otherwise each sentence is a leaf."""
    body = "".join(root.criteria)
    parts = [s.strip() for _start, s in sentences(body) if s.strip()]
    if len(parts) < 2:
        return
    # headings written in parallel (推进…。推进…。) share their first two characters
    heads = [i for i, s in enumerate(parts) if _is_head(s) and s[:2] == parts[0][:2]]
    if len(heads) >= 2 and heads[0] == 0:
        for n, start in enumerate(heads):
            end = heads[n + 1] if n + 1 < len(heads) else len(parts)
            child = PNode(title=parts[start].rstrip("。！？!?"), lines=list(root.lines))
            child.criteria = ["".join(parts[start + 1 : end])] if end > start + 1 else []
            root.children.append(child)
    else:
        for part in parts:
            title = _short_title(part)
            root.children.append(PNode(title=title, criteria=[part], lines=list(root.lines)))
    root.criteria = []


def _is_head(sentence: str) -> bool:
    bare = sentence.rstrip("。！？!?")
    return 2 <= len(bare) <= 20 and not re.search(r"[，,；;：:]", bare)


def _short_title(sentence: str) -> str:
    first = re.split(r"[，,；;：:]", sentence.rstrip("。！？!?"), maxsplit=1)[0]
    return first[:TITLE_MAX] or sentence[:TITLE_MAX]
