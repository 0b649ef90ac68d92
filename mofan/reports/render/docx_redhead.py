"""The red head and the 版记 of an official document in the .docx: the issuer (发文机关标志,
7.2.4) in red, sized to the 版心, the document number (7.2.5) over the red rule (7.2.7), and
抄送 / 印发 between black rules at the foot of the last page (7.4, 7.5)."""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, Twips
from docx.table import Table as DocxTable

from mofan.core.exports.base import Doc
from mofan.reports.documents.common import cc_line, printed_line, width_em
from mofan.reports.render.docx_blocks import blank_lines
from mofan.reports.render.docx_xml import (
    RED,
    RED_HEX,
    TBLPR_ORDER,
    border,
    exact_lines,
    indent_chars,
    off_grid,
    set_child,
    style_run,
)
from mofan.reports.render.page import (
    BODY_PT,
    IMPRINT_PT,
    ISSUER_MAX_PT,
    ISSUER_MIN_SCALE,
    LEFT_MM,
    LINE_PITCH_TWIPS,
    LINE_PT,
)


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


def red_head(document: DocxDocument, doc: Doc, width_twips: int) -> None:
    if doc.issuer:
        size, scale = issuer_size(doc.issuer, width_twips / 20)
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line = size * 1.25
        exact_lines(paragraph, line)
        off_grid(paragraph)
        # 7.2.4: the upper edge of the characters 35 mm below the top of the 版心.
        paragraph.paragraph_format.space_before = Emu(Mm(35) - Pt((line - size) / 2))
        style_run(paragraph.add_run(doc.issuer), "issuer", size, color=RED, scale=scale, spacing=0)
        blank_lines(document, 2)
    number = document.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    exact_lines(number, LINE_PT)
    if doc.number:
        style_run(number.add_run(doc.number), "body", BODY_PT)
    # 7.2.7: the red rule 4 mm below the number, as wide as the 版心 (2.25 pt: 18 eighths).
    border(number, "bottom", size=18, color=RED_HEX, space=round(Mm(4).pt))


def imprint(document: DocxDocument, doc: Doc, width_twips: int) -> None:
    """7.5: 抄送 and 印发 between rules, at the foot of the last page (7.4).

    A floating one-column table anchored to the bottom of the text block: Word and LibreOffice
    both put it at the foot of the page its anchor (the empty paragraph after it) falls on and
    flow the text above it, so a page too full for it sends it to the next page. The rules are
    the table's borders (LibreOffice keeps those on a floating table; a frame lost paragraph
    borders). Anchored horizontally to the page, at the left margin: LibreOffice floats a table
    as wide as the text block only when its position is taken from the page edge.

    Whether that last page is an even one (封四) depends on the reader's layout, which a file
    cannot know; the PDF, laid out here, moves the 版记 to the next page when it is odd."""
    lines: list[tuple[str, str]] = []
    if doc.cc:
        lines.append((cc_line(doc.cc), ""))
    if doc.printer:
        lines.append((doc.printer, printed_line(doc.date)))
    if not lines:
        return
    table = document.add_table(rows=len(lines), cols=1)
    _float_at_foot(table, width_twips)
    for row, (left, right) in zip(table.rows, lines, strict=True):
        cell = row.cells[0]
        cell.width = Twips(width_twips)
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        exact_lines(paragraph, LINE_PT)
        off_grid(paragraph)
        indent_chars(paragraph, left=1, right=1, pitch_pt=IMPRINT_PT)
        style_run(paragraph.add_run(left), "body", IMPRINT_PT, spacing=0)
        if right:
            # A right tab at the right indent puts the date flush with it.
            stop = Twips(width_twips - round(IMPRINT_PT * 20))
            paragraph.paragraph_format.tab_stops.add_tab_stop(stop, WD_TAB_ALIGNMENT.RIGHT)
            style_run(paragraph.add_run("\t" + right), "body", IMPRINT_PT, spacing=0)
    # The anchor: a paragraph must follow a table, kept one point high so it never needs a
    # page of its own.
    anchor = document.add_paragraph()
    exact_lines(anchor, 1)
    off_grid(anchor)


def _float_at_foot(table: DocxTable, width_twips: int) -> None:
    """Position `table` at the bottom of the text block, as wide as it, ruled 0.35 mm above
    and below and 0.25 mm between its rows (7.5.1)."""
    tbl_pr = table._tbl.tblPr
    set_child(
        tbl_pr,
        "w:tblpPr",
        TBLPR_ORDER,
        leftFromText="0",
        rightFromText="0",
        topFromText=str(LINE_PITCH_TWIPS // 2),
        bottomFromText="0",
        vertAnchor="margin",
        horzAnchor="page",
        tblpX=str(round(Mm(LEFT_MM).twips)),
        tblpYSpec="bottom",
    )
    set_child(tbl_pr, "w:tblOverlap", TBLPR_ORDER, val="never")
    set_child(tbl_pr, "w:tblW", TBLPR_ORDER, w=str(width_twips), type="dxa")
    borders = set_child(tbl_pr, "w:tblBorders", TBLPR_ORDER)
    for side, size in (("top", 8), ("left", 0), ("bottom", 8), ("right", 0), ("insideH", 6)):
        if size:
            set_child(borders, f"w:{side}", val="single", sz=str(size), space="0", color="000000")
        else:
            set_child(borders, f"w:{side}", val="nil")
    set_child(borders, "w:insideV", val="nil")
    set_child(tbl_pr, "w:tblLayout", TBLPR_ORDER, type="fixed")
    margins = set_child(tbl_pr, "w:tblCellMar", TBLPR_ORDER)
    for side in ("left", "right"):
        set_child(margins, f"w:{side}", w="0", type="dxa")
    for col in table._tbl.tblGrid.findall(qn("w:gridCol")):
        col.set(qn("w:w"), str(width_twips))
