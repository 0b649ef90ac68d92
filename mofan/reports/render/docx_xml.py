"""The WordprocessingML under python-docx: child elements in the schema's order, fonts named
for every script, runs and paragraphs in the GB/T 9704 units (exact lines, indents in
characters), paragraph borders and the PAGE field. The pieces `docx_page`, `docx_blocks`,
`docx_redhead` and `docx_table` build the official document from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from docx.enum.text import WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from mofan.reports import fonts
from mofan.reports.render.page import CHAR_PITCH_PT

RED = RGBColor(0xFF, 0x00, 0x00)
RED_HEX = "FF0000"

RPR_ORDER = [
    "rStyle",
    "rFonts",
    "b",
    "bCs",
    "i",
    "iCs",
    "caps",
    "smallCaps",
    "strike",
    "dstrike",
    "outline",
    "shadow",
    "emboss",
    "imprint",
    "noProof",
    "snapToGrid",
    "vanish",
    "webHidden",
    "color",
    "spacing",
    "w",
    "kern",
    "position",
    "sz",
    "szCs",
    "highlight",
    "u",
    "effect",
    "bdr",
    "shd",
    "fitText",
    "vertAlign",
    "rtl",
    "cs",
    "em",
    "lang",
    "eastAsianLayout",
    "specVanish",
    "oMath",
]
PPR_ORDER = [
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "framePr",
    "widowControl",
    "numPr",
    "suppressLineNumbers",
    "pBdr",
    "shd",
    "tabs",
    "suppressAutoHyphens",
    "kinsoku",
    "wordWrap",
    "overflowPunct",
    "topLinePunct",
    "autoSpaceDE",
    "autoSpaceDN",
    "bidi",
    "adjustRightInd",
    "snapToGrid",
    "spacing",
    "ind",
    "contextualSpacing",
    "mirrorIndents",
    "suppressOverlap",
    "jc",
    "textDirection",
    "textAlignment",
    "textboxTightWrap",
    "outlineLvl",
    "divId",
    "cnfStyle",
    "rPr",
    "sectPr",
    "pPrChange",
]
TBLPR_ORDER = [
    "tblStyle",
    "tblpPr",
    "tblOverlap",
    "bidiVisual",
    "tblStyleRowBandSize",
    "tblStyleColBandSize",
    "tblW",
    "jc",
    "tblCellSpacing",
    "tblInd",
    "tblBorders",
    "shd",
    "tblLayout",
    "tblCellMar",
    "tblLook",
    "tblCaption",
    "tblDescription",
]
BORDER_ORDER = ("top", "left", "bottom", "right", "between", "bar")


# --- low-level helpers -------------------------------------------------------------------------


def insert_ordered(parent: Any, child: Any, successors: Iterable[str]) -> None:
    """Insert `child` before the first existing element of `successors` (schema order)."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def set_child(element: Any, tag: str, order: Sequence[str] = (), **attrs: str) -> Any:
    """Get or create the child `tag` (e.g. "w:sz") of `element` and set its w: attributes; a
    new child goes where the schema's `order` (local names) puts it."""
    child = element.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        local = tag.split(":", 1)[1]
        later = order[order.index(local) + 1 :] if local in order else ()
        insert_ordered(element, child, [f"w:{name}" for name in later])
    for key, value in attrs.items():
        child.set(qn(f"w:{key}"), value)
    return child


def set_fonts(rpr: Any, name: str) -> None:
    """Name the font for every script of a run, East Asian included (``w:eastAsia``): Word
    otherwise sets Chinese in its default East Asian font."""
    rfonts = set_child(rpr, "w:rFonts", RPR_ORDER)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        rfonts.set(qn(f"w:{attr}"), name)
    for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        rfonts.attrib.pop(qn(f"w:{theme}"), None)
    rfonts.set(qn("w:hint"), "eastAsia")


def style_run(
    run: Run,
    role: str,
    size: float,
    *,
    bold: bool = False,
    color: RGBColor | None = None,
    scale: int | None = None,
    spacing: int | None = None,
) -> Run:
    """Font (all scripts), size, weight, colour; `scale` narrows the characters (per cent),
    `spacing` overrides the default condensing (twentieths of a point)."""
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    rpr = run._r.get_or_add_rPr()
    set_fonts(rpr, fonts.docx_name(role))
    if spacing is not None:
        set_child(rpr, "w:spacing", RPR_ORDER, val=str(spacing))
    if scale is not None and scale != 100:
        set_child(rpr, "w:w", RPR_ORDER, val=str(scale))
    return run


def exact_lines(paragraph: DocxParagraph, line_pt: float) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(line_pt)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def indent_chars(
    paragraph: DocxParagraph,
    *,
    first: float = 0,
    left: float = 0,
    right: float = 0,
    pitch_pt: float = CHAR_PITCH_PT,
) -> None:
    """Indents in characters: the twips and the *Chars attributes (hundredths of a
    character) Word keeps for Chinese text."""
    fmt = paragraph.paragraph_format
    if first:
        fmt.first_line_indent = Pt(first * pitch_pt)
    if left:
        fmt.left_indent = Pt(left * pitch_pt)
    if right:
        fmt.right_indent = Pt(right * pitch_pt)
    ind = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if ind is None:
        return
    for attr, value in (("firstLineChars", first), ("leftChars", left), ("rightChars", right)):
        if value:
            ind.set(qn(f"w:{attr}"), str(round(value * 100)))


def border(paragraph: DocxParagraph, side: str, *, size: int, color: str, space: int) -> None:
    """A paragraph border; `size` in eighths of a point, `space` in points."""
    bdr = set_child(paragraph._p.get_or_add_pPr(), "w:pBdr", PPR_ORDER)
    line = set_child(bdr, f"w:{side}", BORDER_ORDER)
    for key, value in (("val", "single"), ("sz", str(size)), ("space", str(space))):
        line.set(qn(f"w:{key}"), value)
    line.set(qn("w:color"), color)


def off_grid(paragraph: DocxParagraph) -> None:
    """Lines of this paragraph keep their own height (titles, tables, the 版记)."""
    set_child(paragraph._p.get_or_add_pPr(), "w:snapToGrid", PPR_ORDER, val="0")


def page_field(paragraph: DocxParagraph, role: str, size: float) -> None:
    """A PAGE field (complex field, with "1" as its cached result)."""

    def run_with(element: Any) -> None:
        run = style_run(paragraph.add_run(), role, size, spacing=0)
        run._r.append(element)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    style_run(paragraph.add_run("1"), role, size, spacing=0)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)
