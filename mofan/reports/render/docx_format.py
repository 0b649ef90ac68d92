"""Word (.docx) in the layout of GB/T 9704-2012 《党政机关公文格式》, with python-docx.

`render(export, stream, progress)` writes a `Document` (its `build()` → `Doc`) as an official
document, or an `Exporter` (a table, e.g. the score sheet) as a document holding the table.
`build_doc(doc)` and `build_table(...)` return the two layouts as python-docx documents.

The layout (clause numbers of the standard):

* 5.2.1 A4, 210 × 297 mm. 5.2.2 版心 156 × 225 mm; 天头 (top) 37 mm, 订口 (left) 28 mm, so
  bottom 35 mm and right 26 mm.
* 5.2.4 22 lines of 28 characters. Lines: a line grid (``w:docGrid``, pitch 225 mm / 22 =
  579 twips, 28.95 pt) and every paragraph set exactly 28.95 pt. Characters: 28 characters of
  3号 (16 pt) are 448 pt, wider than the 442 pt of the 版心, so the default character spacing is
  condensed by 0.25 pt (``w:spacing w:val="-5"`` in the document defaults), which puts 28 on a
  line in Word, WPS and LibreOffice alike. (A character grid, ``w:type="linesAndChars"`` with a
  negative ``w:charSpace``, does the same in Word but makes LibreOffice give each character
  two cells, 14 to a line, so it is not used.)
* 7.2.4 发文机关标志 (issuer): centred, red, 小标宋, its upper edge 35 mm below the top of the
  版心; its size is the largest (at most 小初, 36 pt) that keeps it within the 版心, narrowing
  the characters (``w:w``, at least 60 %) before shrinking them. 7.2.5 发文字号 two lines below,
  centred, 仿宋 3号, 六角括号. 7.2.7 a red rule the width of the 版心 4 mm below the number
  (a bottom border of the number's paragraph).
* 7.3.1 标题: two lines below the rule, 2号 小标宋, centred, long titles broken into balanced
  lines (a line break inside one paragraph). 7.3.2 主送机关 one line below the title, flush left,
  ending with a full-width colon. 7.3.3 正文 3号 仿宋, each paragraph indented two characters;
  headings 一、 黑体, （一） 楷体, 1. 仿宋 (bold here).
* 7.3.4 附件说明 one line below the text, two characters in: 附件：1.… with later names aligned.
* 7.3.5.2 (no seal): the signature one line below the text, two characters from the right; the
  date (Arabic numerals) on the next line starting two characters right of the signature's
  first character, or, when the date is the longer, two characters from the right with the
  signature moved left to keep the two-character offset.
* 7.5 版记: 抄送 and 印发机关/印发日期 in 4号 仿宋 one character in from each side, between rules
  (the first and last 0.35 mm, the one between 0.25 mm). It follows the signature (the standard
  wants it at the foot of the last page; a frame anchored there works in Word but LibreOffice
  drops the frame's rules, so the office moves it down when it finalises the document).
* 7.5.3 页码: 4号 宋体 "— 1 —", odd pages one character from the right, even pages one
  character from the left (``w:evenAndOddHeaders`` and two footers, each with a PAGE field).

Fonts are written by name in ``w:rFonts`` (ascii, hAnsi, eastAsia, cs) with the standard's
typefaces (`mofan.reports.fonts`); the font table names a substitute (``w:altName``) for readers
without them. Asian/Latin auto-spacing is off so numbers such as 2020年 are not padded.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.section import Section
from docx.shared import Emu, Mm, Pt, RGBColor, Twips
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run
from lxml import etree

from mofan.reports import fonts
from mofan.reports.base import (
    Column,
    Doc,
    Document,
    Export,
    Exporter,
    Heading,
    Paragraph,
    Progress,
    Table,
)
from mofan.reports.documents.common import (
    attachment_lines,
    cc_line,
    cn_date,
    numbered,
    printed_line,
    split_title,
    width_em,
)

# --- the page (GB/T 9704-2012 5.2) -------------------------------------------------------------

PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
TOP_MM = 37
BOTTOM_MM = 35
LEFT_MM = 28
RIGHT_MM = 26
TEXT_WIDTH_MM = PAGE_WIDTH_MM - LEFT_MM - RIGHT_MM  # 156
TEXT_HEIGHT_MM = PAGE_HEIGHT_MM - TOP_MM - BOTTOM_MM  # 225
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28

BODY_PT = fonts.SIZES["三号"]  # 16
TITLE_PT = fonts.SIZES["二号"]  # 22
ISSUER_MAX_PT = fonts.SIZES["小初"]  # 36
PAGE_NUMBER_PT = fonts.SIZES["四号"]  # 14
IMPRINT_PT = fonts.SIZES["四号"]  # 版记
TABLE_PT = fonts.SIZES["小四"]  # tables inside a document
SHEET_PT = fonts.SIZES["五号"]  # a table exported on its own (score sheet)
ISSUER_MIN_SCALE = 60  # per cent: narrower characters look worse below this

RED = RGBColor(0xFF, 0x00, 0x00)
RED_HEX = "FF0000"


def _twips(mm: float) -> int:
    return round(Mm(mm).twips)


TEXT_WIDTH_TWIPS = _twips(PAGE_WIDTH_MM) - _twips(LEFT_MM) - _twips(RIGHT_MM)  # 8845
# Twips are what Word stores; compute the grid from them so it matches Word's arithmetic.
LINE_PITCH_TWIPS = _twips(TEXT_HEIGHT_MM) // LINES_PER_PAGE  # 579 → 28.95 pt
LINE_PT = LINE_PITCH_TWIPS / 20


def condensing(text_width_twips: int, chars: int, font_pt: float) -> int:
    """The character spacing (twentieths of a point, ≤ 0) that puts `chars` characters of
    `font_pt` on a line of the given width, and no more."""
    twentieths = 0
    while (font_pt + twentieths / 20) * chars > text_width_twips / 20:
        twentieths -= 1
    return twentieths


CHAR_SPACING = condensing(TEXT_WIDTH_TWIPS, CHARS_PER_LINE, BODY_PT)  # -5: 0.25 pt
CHAR_PITCH_PT = BODY_PT + CHAR_SPACING / 20  # 15.75 pt: 28 of them fit 442.25 pt

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


def _insert_ordered(parent: Any, child: Any, successors: Iterable[str]) -> None:
    """Insert `child` before the first existing element of `successors` (schema order)."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def _set(element: Any, tag: str, order: Sequence[str] = (), **attrs: str) -> Any:
    """Get or create the child `tag` (e.g. "w:sz") of `element` and set its w: attributes; a
    new child goes where the schema's `order` (local names) puts it."""
    child = element.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        local = tag.split(":", 1)[1]
        later = order[order.index(local) + 1 :] if local in order else ()
        _insert_ordered(element, child, [f"w:{name}" for name in later])
    for key, value in attrs.items():
        child.set(qn(f"w:{key}"), value)
    return child


def set_fonts(rpr: Any, name: str) -> None:
    """Name the font for every script of a run, East Asian included (``w:eastAsia``): Word
    otherwise sets Chinese in its default East Asian font."""
    rfonts = _set(rpr, "w:rFonts", RPR_ORDER)
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
        _set(rpr, "w:spacing", RPR_ORDER, val=str(spacing))
    if scale is not None and scale != 100:
        _set(rpr, "w:w", RPR_ORDER, val=str(scale))
    return run


def _exact(paragraph: DocxParagraph, line_pt: float) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(line_pt)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def _indent_chars(
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


def _border(paragraph: DocxParagraph, side: str, *, size: int, color: str, space: int) -> None:
    """A paragraph border; `size` in eighths of a point, `space` in points."""
    bdr = _set(paragraph._p.get_or_add_pPr(), "w:pBdr", PPR_ORDER)
    line = _set(bdr, f"w:{side}", BORDER_ORDER)
    for key, value in (("val", "single"), ("sz", str(size)), ("space", str(space))):
        line.set(qn(f"w:{key}"), value)
    line.set(qn("w:color"), color)


def _off_grid(paragraph: DocxParagraph) -> None:
    """Lines of this paragraph keep their own height (titles, tables, the 版记)."""
    _set(paragraph._p.get_or_add_pPr(), "w:snapToGrid", PPR_ORDER, val="0")


def _page_field(paragraph: DocxParagraph, role: str, size: float) -> None:
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


# --- document set-up ---------------------------------------------------------------------------


def _font_table(document: DocxDocument) -> None:
    """Declare the standard's typefaces in fontTable.xml with a substitute (w:altName), the
    GB2312 character set and the family class, so a reader without them gets a close face."""
    part = next(
        p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"
    )
    root = etree.fromstring(part.blob)
    known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for role in ("title", "body", "heading1", "heading2", "page_number"):
        entry = fonts.face(role)
        name = fonts.docx_name(role)
        if name in known:
            continue
        known.add(name)
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, value in (
            ("w:altName", fonts.docx_alt_name(role)),
            ("w:charset", "86"),
            ("w:family", entry.family_class),
            ("w:pitch", "variable"),
        ):
            child = etree.SubElement(font, qn(tag))
            child.set(qn("w:val"), value)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _defaults(document: DocxDocument) -> None:
    """Body text 3号 仿宋 in Chinese, condensed to 28 a line, exact 28.95 pt lines, no paragraph
    spacing, no Asian/Latin auto-spacing."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, fonts.docx_name("body"))
    _set(rpr, "w:spacing", RPR_ORDER, val=str(CHAR_SPACING))
    _set(rpr, "w:sz", RPR_ORDER, val=str(int(BODY_PT * 2)))
    _set(rpr, "w:szCs", RPR_ORDER, val=str(int(BODY_PT * 2)))
    _set(rpr, "w:lang", RPR_ORDER, val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    _set(ppr, "w:autoSpaceDE", PPR_ORDER, val="0")
    _set(ppr, "w:autoSpaceDN", PPR_ORDER, val="0")
    _set(ppr, "w:spacing", PPR_ORDER, after="0", line=str(LINE_PITCH_TWIPS), lineRule="exact")
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    set_fonts(normal.element.get_or_add_rPr(), fonts.docx_name("body"))
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PT)
    fmt.space_after = Pt(0)
    fmt.space_before = Pt(0)
    fmt.widow_control = False  # a 公文 keeps 22 lines on every page
    normal_ppr = normal.element.get_or_add_pPr()
    _set(normal_ppr, "w:autoSpaceDE", PPR_ORDER, val="0")
    _set(normal_ppr, "w:autoSpaceDN", PPR_ORDER, val="0")
    _font_table(document)


def _page(section: Section, *, landscape: bool = False) -> tuple[int, int]:
    """A4 with the standard's margins (rotated for a landscape table); returns the text block
    (width, height) in twips."""
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(PAGE_HEIGHT_MM), Mm(PAGE_WIDTH_MM)
        section.top_margin, section.bottom_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
        section.left_margin, section.right_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
        section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
        section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    section.header_distance = Mm(15)
    # 7.5.3: the dash of the page number 7 mm below the text block.
    bottom = RIGHT_MM if landscape else BOTTOM_MM
    section.footer_distance = Emu(Mm(bottom - 7) - Pt(PAGE_NUMBER_PT * 1.5))
    section.gutter = Mm(0)
    width = round(Emu(section.page_width - section.left_margin - section.right_margin).twips)
    height = round(Emu(section.page_height - section.top_margin - section.bottom_margin).twips)
    return width, height


def _grid(section: Section) -> None:
    """The line grid: 22 lines in the 版心 (see the module docstring on characters)."""
    grid = _set(section._sectPr, "w:docGrid")
    for attr in list(grid.attrib):
        del grid.attrib[attr]
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))


def _footers(document: DocxDocument, section: Section) -> None:
    """ "— N —" in 4号 宋体: odd pages right, even pages left, one character in."""
    document.settings.odd_and_even_pages_header_footer = True
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        paragraph.alignment = align
        _exact(paragraph, PAGE_NUMBER_PT * 1.5)
        _off_grid(paragraph)
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            _indent_chars(paragraph, right=1, pitch_pt=PAGE_NUMBER_PT)
        else:
            _indent_chars(paragraph, left=1, pitch_pt=PAGE_NUMBER_PT)
        style_run(paragraph.add_run("— "), "page_number", PAGE_NUMBER_PT, spacing=0)
        _page_field(paragraph, "page_number", PAGE_NUMBER_PT)
        style_run(paragraph.add_run(" —"), "page_number", PAGE_NUMBER_PT, spacing=0)


def new_official_document(*, landscape: bool = False) -> tuple[DocxDocument, int]:
    """An empty .docx with the GB/T 9704 page, grid, defaults and page-number footers; returns
    it with the width of its text block in twips."""
    document = new_document()
    _defaults(document)
    section = document.sections[0]
    width, _height = _page(section, landscape=landscape)
    _grid(section)
    _footers(document, section)
    body = document.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)  # the template's empty first paragraph
    return document, width


# --- paragraphs of an official document --------------------------------------------------------


def _blank(document: DocxDocument, lines: int = 1) -> None:
    for _line in range(lines):
        _exact(document.add_paragraph(), LINE_PT)


def _text(
    document: DocxDocument,
    text: str,
    *,
    role: str = "body",
    size: float = BODY_PT,
    bold: bool = False,
    align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY,
    first: float = 2,
) -> DocxParagraph:
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    _exact(paragraph, LINE_PT)
    if first:
        _indent_chars(paragraph, first=first)
    style_run(paragraph.add_run(text), role, size, bold=bold)
    return paragraph


def issuer_size(text: str, width_pt: float) -> tuple[float, int]:
    """The issuer's size and horizontal scale: 小初 (36 pt) when it fits the 版心, else narrower
    characters down to 60 %, then smaller ones."""
    em = max(width_em(text), 1)
    size = ISSUER_MAX_PT
    scale = int(min(100, width_pt * 0.96 / (em * size) * 100))
    if scale >= ISSUER_MIN_SCALE:
        return size, scale
    size = int(width_pt * 0.96 / (em * ISSUER_MIN_SCALE / 100) * 2) / 2
    return size, ISSUER_MIN_SCALE


def _issuer(document: DocxDocument, doc: Doc, width_twips: int) -> None:
    if doc.issuer:
        size, scale = issuer_size(doc.issuer, width_twips / 20)
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line = size * 1.25
        _exact(paragraph, line)
        _off_grid(paragraph)
        # 7.2.4: the upper edge of the characters 35 mm below the top of the 版心.
        paragraph.paragraph_format.space_before = Emu(Mm(35) - Pt((line - size) / 2))
        style_run(paragraph.add_run(doc.issuer), "issuer", size, color=RED, scale=scale, spacing=0)
        _blank(document, 2)
    number = document.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _exact(number, LINE_PT)
    if doc.number:
        style_run(number.add_run(doc.number), "body", BODY_PT)
    # 7.2.7: the red rule 4 mm below the number, as wide as the 版心 (2.25 pt: 18 eighths).
    _border(number, "bottom", size=18, color=RED_HEX, space=round(Mm(4).pt))


def _title(document: DocxDocument, title: str, width_twips: int) -> DocxParagraph:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _exact(paragraph, max(LINE_PT, TITLE_PT * 1.45))
    _off_grid(paragraph)
    lines = split_title(title, (width_twips / 20) / TITLE_PT - 1)
    for i, line in enumerate(lines):
        run = style_run(paragraph.add_run(line), "title", TITLE_PT, spacing=0)
        if i < len(lines) - 1:
            run.add_break()
    return paragraph


def _heading(document: DocxDocument, heading: Heading, label: str) -> DocxParagraph:
    text = f"{label}{heading.text}"
    if heading.level <= 1:
        paragraph = _text(document, text, role="heading1")
    elif heading.level == 2:
        paragraph = _text(document, text, role="heading2")
    else:
        paragraph = _text(document, text, bold=True)
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def signature_indents(signature: str, date: str) -> tuple[float, float]:
    """Right indents (in characters) of the signature and the date, GB/T 9704-2012 7.3.5.2."""
    sig_em, date_em = width_em(signature), width_em(date)
    if not signature:
        return 0.0, 2.0
    if date_em <= sig_em - 2:
        return 2.0, sig_em - date_em
    return 4 + date_em - sig_em, 2.0


def _signature(document: DocxDocument, doc: Doc) -> None:
    date = cn_date(doc.date) if doc.date else ""
    sig_right, date_right = signature_indents(doc.signature, date)
    # 7.3.5: the signature never stands alone on a page: the text's last line goes with it.
    # One line above it is space before (a blank paragraph would break the keep-with-next
    # chain in LibreOffice).
    if document.paragraphs:
        document.paragraphs[-1].paragraph_format.keep_with_next = True
    first = True
    for text, right in ((doc.signature, sig_right), (date, date_right)):
        if not text:
            continue
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _exact(paragraph, LINE_PT)
        if first:
            paragraph.paragraph_format.space_before = Pt(LINE_PT)
            first = False
        _indent_chars(paragraph, right=right)
        paragraph.paragraph_format.keep_with_next = text == doc.signature
        style_run(paragraph.add_run(text), "body", BODY_PT)


def _attachments(document: DocxDocument, names: Sequence[str]) -> None:
    """7.3.4: 附件：1.名称 …, later names aligned with the first (no punctuation after names)."""
    _blank(document, 1)
    for i, text in enumerate(attachment_lines(names)):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        _exact(paragraph, LINE_PT)
        if i == 0:
            _indent_chars(paragraph, first=2)
        else:
            _indent_chars(paragraph, left=5)  # aligned with the first name, after 附件：
        style_run(paragraph.add_run(text), "body", BODY_PT)


def _imprint(document: DocxDocument, doc: Doc, width_twips: int) -> None:
    """7.5: 抄送 and 印发 between rules."""
    lines: list[tuple[str, str]] = []
    if doc.cc:
        lines.append((cc_line(doc.cc), ""))
    if doc.printer:
        lines.append((doc.printer, printed_line(doc.date)))
    if not lines:
        return
    _blank(document, 1)
    for i, (left, right) in enumerate(lines):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        _exact(paragraph, LINE_PT)
        _off_grid(paragraph)
        _indent_chars(paragraph, left=1, right=1, pitch_pt=IMPRINT_PT)
        paragraph.paragraph_format.keep_with_next = i < len(lines) - 1
        if i == 0:
            _border(paragraph, "top", size=8, color="000000", space=1)
        last = i == len(lines) - 1
        _border(paragraph, "bottom", size=8 if last else 6, color="000000", space=1)
        style_run(paragraph.add_run(left), "body", IMPRINT_PT, spacing=0)
        if right:
            # A right tab at the right indent puts the date flush with it.
            stop = Twips(width_twips - round(IMPRINT_PT * 20))
            paragraph.paragraph_format.tab_stops.add_tab_stop(stop, WD_TAB_ALIGNMENT.RIGHT)
            style_run(paragraph.add_run("\t" + right), "body", IMPRINT_PT, spacing=0)


# --- tables ------------------------------------------------------------------------------------

NUMERIC = ("number", "integer", "percent")


def cell_text(value: Any, kind: str = "text") -> str:
    """A cell as text: `number` with 2 decimals and `percent` with 1 and a %, rounded half up
    (四舍五入); dates in Chinese with Arabic numerals; None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if kind == "percent" and isinstance(value, (int, float, Decimal)):
        return f"{Decimal(str(value)).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
    if kind == "number" and isinstance(value, (int, float, Decimal)):
        return f"{Decimal(str(value)).quantize(Decimal('0.01'), ROUND_HALF_UP)}"
    if kind == "integer" and isinstance(value, (int, float, Decimal)):
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return f"{cn_date(value.date())} {value:%H:%M}"
    if isinstance(value, datetime.date):
        return cn_date(value)
    return str(value)


def column_widths(columns: Sequence[Column], total: int) -> list[int]:
    """Column widths proportional to `Column.width`, summing to `total`."""
    weight = sum(max(c.width, 1) for c in columns) or 1
    widths = [int(total * max(c.width, 1) / weight) for c in columns]
    widths[-1] += total - sum(widths)
    return widths


def alignments(columns: Sequence[Column]) -> list[str]:
    return [
        "right" if c.kind in NUMERIC else "center" if c.kind == "date" else "left" for c in columns
    ]


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _cell_xml(text: str, width: int, size: float, role: str, align: str) -> str:
    name = _attr(fonts.docx_name(role))
    half_points = int(size * 2)
    line = int(size * 1.5 * 20)
    run = (
        f'<w:r><w:rPr><w:rFonts w:ascii="{name}" w:hAnsi="{name}" w:eastAsia="{name}" '
        f'w:cs="{name}" w:hint="eastAsia"/><w:spacing w:val="0"/>'
        f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/></w:rPr>'
        f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
        if text
        else ""
    )
    return (
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
        f'<w:p><w:pPr><w:snapToGrid w:val="0"/>'
        f'<w:spacing w:before="0" w:after="0" w:line="{line}" w:lineRule="exact"/>'
        f'<w:jc w:val="{align}"/></w:pPr>{run}</w:p></w:tc>'
    )


def _row_xml(
    cells: Sequence[str],
    widths: Sequence[int],
    aligns: Sequence[str],
    size: float,
    *,
    header: bool = False,
) -> Any:
    tr_pr = "<w:cantSplit/><w:tblHeader/>" if header else "<w:cantSplit/>"
    role = "heading1" if header else "body"
    body = "".join(
        _cell_xml(text, w, size, role, "center" if header else a)
        for text, w, a in zip(cells, widths, aligns, strict=True)
    )
    return parse_xml(f"<w:tr {nsdecls('w')}><w:trPr>{tr_pr}</w:trPr>{body}</w:tr>")


def add_table(
    document: DocxDocument,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    width_twips: int,
    *,
    size: float,
    progress: Progress | None = None,
    total: int = 0,
) -> DocxTable:
    """A bordered table as wide as the text block with a header row repeated on every page.
    Rows are written as XML one by one (python-docx's cell API is quadratic in the rows)."""
    widths = column_widths(columns, width_twips)
    table = document.add_table(rows=0, cols=len(columns))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    _set(tbl_pr, "w:tblW", TBLPR_ORDER, w=str(width_twips), type="dxa")
    borders = _set(tbl_pr, "w:tblBorders", TBLPR_ORDER)
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        _set(borders, f"w:{side}", val="single", sz="4", space="0", color="000000")
    _set(tbl_pr, "w:tblLayout", TBLPR_ORDER, type="fixed")
    for col, width in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(width))
    aligns = alignments(columns)
    tbl.append(_row_xml([c.header for c in columns], widths, aligns, size, header=True))
    done = 0
    for row in rows:
        texts = [cell_text(v, c.kind) for v, c in zip(row, columns, strict=False)]
        texts += [""] * (len(columns) - len(texts))
        tbl.append(_row_xml(texts, widths, aligns, size))
        done += 1
        if progress is not None and done % 200 == 0:
            progress(done, max(total, done))
    if progress is not None:
        progress(done, max(total, done))
    return table


def _table_block(document: DocxDocument, block: Table, width_twips: int) -> None:
    if block.caption:
        paragraph = _text(
            document, block.caption, role="heading1", align=WD_ALIGN_PARAGRAPH.CENTER, first=0
        )
        paragraph.paragraph_format.keep_with_next = True
    add_table(document, block.columns, block.rows, width_twips, size=TABLE_PT)
    _blank(document, 1)


# --- the two layouts ---------------------------------------------------------------------------


def build_doc(doc: Doc) -> DocxDocument:
    """The python-docx document of an official document."""
    document, width = new_official_document()
    props = document.core_properties
    props.title = doc.title
    props.author = doc.signature
    props.language = "zh-CN"
    if doc.issuer or doc.number:
        _issuer(document, doc, width)
        _blank(document, 2)
    else:
        _blank(document, 1)
    _title(document, doc.title, width)
    _blank(document, 1)
    if doc.addressee:
        addressee = doc.addressee.rstrip("：:") + "："
        _text(document, addressee, align=WD_ALIGN_PARAGRAPH.LEFT, first=0)
    for block, label in numbered(doc.blocks):
        if isinstance(block, Heading):
            _heading(document, block, label)
        elif isinstance(block, Paragraph):
            _text(document, block.text)
        elif isinstance(block, Table):
            _table_block(document, block, width)
    if doc.attachments:
        _attachments(document, doc.attachments)
    if doc.signature or doc.date:
        _signature(document, doc)
    _imprint(document, doc, width)
    return document


def write_doc(doc: Doc, stream: BinaryIO) -> None:
    build_doc(doc).save(stream)


PORTRAIT_CHARS = 40  # columns (in characters of 五号) that fit a portrait text block


def landscape_for(columns: Sequence[Column]) -> bool:
    """Whether a table needs a landscape page: its columns hold more characters than a
    portrait text block."""
    return sum(c.width for c in columns) > PORTRAIT_CHARS


def build_table(
    *,
    title: str,
    subtitle: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    total: int = 0,
    progress: Progress | None = None,
) -> DocxDocument:
    """A table on its own (e.g. the score sheet): title, subtitle, the table; landscape when
    the columns need more than a portrait text block holds."""
    document, width = new_official_document(landscape=landscape_for(columns))
    document.core_properties.title = title
    document.core_properties.language = "zh-CN"
    _title(document, title, width)
    if subtitle:
        _text(document, subtitle, role="heading2", align=WD_ALIGN_PARAGRAPH.CENTER, first=0)
    _blank(document, 1)
    add_table(document, columns, rows, width, size=SHEET_PT, progress=progress, total=total)
    return document


def table_subtitle(export: Exporter) -> str:
    """（committee　campaign　unit） under the title of an exported table."""
    parts = [export.campaign.committee.name, export.campaign.name]
    if export.unit is not None:
        parts.append(export.unit.name)
    return "（" + "　".join(parts) + "）"


def render(export: Export, stream: BinaryIO, progress: Progress) -> None:
    """Write a document (GB/T 9704) or a table as .docx to `stream`."""
    if isinstance(export, Document):
        progress(0, 1)
        write_doc(export.build(), stream)
        progress(1, 1)
        return
    if isinstance(export, Exporter):
        total = export.count()
        progress(0, total)
        document = build_table(
            title=export.title(),
            subtitle=table_subtitle(export),
            columns=export.columns(),
            rows=export.rows(),
            total=total,
            progress=progress,
        )
        document.save(stream)
        return
    raise TypeError(f"cannot render {type(export).__name__} as docx")
