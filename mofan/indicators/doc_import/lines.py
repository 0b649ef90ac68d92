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
POINTS_COLON = re.compile(r"[:：]\s*(\d+(?:\.\d+)?)\s*分\s*[。；;，,]?\s*$")  # "支部会议：10分"
POINTS_ANY = re.compile(r"[（(]\s*(?:分值|满分|计|共)?[:：]?\s*(\d+(?:\.\d+)?)\s*分\s*[）)]")
POINTS_LABEL = re.compile(r"(?:分值|分数|满分|标准分)\s*[:：为]?\s*(\d+(?:\.\d+)?)\s*分?")
POINTS_ONLY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*分?\s*$")
POINTS_LINE = re.compile(
    r"^\s*[（(]?\s*(?:(?:分值|分数|标准分|满分)\s*[:：]\s*(\d+(?:\.\d+)?)\s*分?|(\d+(?:\.\d+)?)\s*分)\s*$"
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
    "分数",
    "分比",
    "考评方法",
    "考核方法",
    "检查方法",
    "评分说明",
    "得分情况",
    "自评",
    "考评",
    "自查分",
    "考核分",
    "自评分",
    "考评得分",
    "实得分",
    "分项得分",
    "小计",
    "考核内容和要求",
    "评价指标及基础分值",
}
# Headers not in the list: 内容与要求, 考核内容及标准, 评价标准及分值…
HEADER_PATTERN = re.compile(
    r"^(考核|考评|评价|测评|检查)?(内容|标准|要求|要点)[与及和]?(要求|标准|分值|评分)?$"
)


def is_header(text: str) -> bool:
    squeezed = re.sub(r"\s+", "", text)
    return squeezed in HEADER_WORDS or bool(HEADER_PATTERN.match(squeezed))


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


# An outline number inside a run-on paragraph (a web page that lost its line breaks): after a
# stop, before 一、 / （一） / 1、.
INLINE = re.compile(
    rf"(?<=[。；;：:])\s*(?=(?:{_CN}、|[（(]{_CN}[）)]|\d{{1,2}}[、．.](?![\d%％])))"
)
RUN_ON = 120  # characters: a line this long with three inline numbers is split at them


def _pieces(lines: list[str]) -> list[tuple[int, str]]:
    """(line number, text) for each line, a run-on paragraph split at its outline numbers (the
    pieces keep the paragraph's line number)."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        if len(raw) > RUN_ON and len(INLINE.findall(raw)) >= 3 and "|" not in raw:
            out.extend((number, piece) for piece in INLINE.split(raw) if piece.strip())
        else:
            out.append((number, raw))
    return out


def _wrapped(current: Unit, text: str) -> bool:
    """Whether a line continues the cell before it, in a table whose cells lost their tabs:
    a vertical label's next characters ("组织" "领导"), or the rest of a cell broken inside a
    bracket ("（首" "问首接…）") or after a short tail."""
    if marker(text) is not None or POINTS_ONLY.match(text) or NOTE_START.match(text):
        return False
    before = current.text
    if re.sub(r"\s+", "", before) in HEADER_WORDS or POINTS_ONLY.match(before):
        return False
    if before.count("（") + before.count("(") > before.count("）") + before.count(")"):
        return True
    if len(text) > LABEL_MAX or re.search(r"[\d。；;，,分]", text):
        return False
    # the second half of a vertical label, or the last word of a numbered item's cell (its
    # points cell has not come yet)
    label = len(before) <= LABEL_MAX and not re.search(r"[\d。；;，,分扣]", before)
    unfinished = marker(before) is not None and not re.search(r"[。；;！？分]$", before)
    return label or unfinished


def split_units(source: str) -> tuple[list[str], list[Unit]]:
    """The source's lines and its units, in order."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    units: list[Unit] = []
    current: Unit | None = None  # an open table cell, which short lines may continue
    # A table whose cells lost their tabs (a PDF's text layer, a copied web table): from two
    # header cells in a row on, every line is a cell.
    untabbed = False
    for number, raw in _pieces(lines):
        text = _strip(raw)
        if not untabbed and is_header(text) and units:
            before = units[-1]
            between = lines[before.lines[-1] : number - 1] if before.lines else ["?"]
            if not "".join(between).strip() and is_header(before.text):
                untabbed = True
                before.cell = True
        plain = untabbed and text and not raw.startswith("\t") and not _is_pipe_row(text)
        if plain and not (current is not None and _wrapped(current, text)):
            raw = "\t" + raw
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
        if current is not None and (
            untabbed  # the line was not made a cell: it continues the one before
            or (
                re.sub(r"\s+", "", current.text) not in HEADER_WORDS
                and len(text) <= CONTINUATION_MAX
                and marker(text) is None
                and not NOTE_START.match(text)
                and not POINTS_ONLY.match(text)
            )
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
    if is_header(squeezed):
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
            and not re.search(r"扣|得分|计分|满分|打分|评分|平均", bare)
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
    match = POINTS_TAIL.search(text) or POINTS_COLON.search(text)
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
