"""The red head and the 版记 of an official document in the .docx: the issuer (发文机关标志,
7.2.4) in red, sized to the 版心, the document number (7.2.5) over the red rule (7.2.7), and
抄送 / 印发 between black rules (7.5)."""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.shared import Emu, Mm, Pt, Twips

from mofan.core.exports.base import Doc
from mofan.reports.documents.common import cc_line, printed_line, width_em
from mofan.reports.render.docx_blocks import blank_lines
from mofan.reports.render.docx_xml import (
    RED,
    RED_HEX,
    border,
    exact_lines,
    indent_chars,
    off_grid,
    style_run,
)
from mofan.reports.render.page import (
    BODY_PT,
    IMPRINT_PT,
    ISSUER_MAX_PT,
    ISSUER_MIN_SCALE,
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
    """7.5: 抄送 and 印发 between rules."""
    lines: list[tuple[str, str]] = []
    if doc.cc:
        lines.append((cc_line(doc.cc), ""))
    if doc.printer:
        lines.append((doc.printer, printed_line(doc.date)))
    if not lines:
        return
    blank_lines(document, 1)
    for i, (left, right) in enumerate(lines):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        exact_lines(paragraph, LINE_PT)
        off_grid(paragraph)
        indent_chars(paragraph, left=1, right=1, pitch_pt=IMPRINT_PT)
        paragraph.paragraph_format.keep_with_next = i < len(lines) - 1
        if i == 0:
            border(paragraph, "top", size=8, color="000000", space=1)
        last = i == len(lines) - 1
        border(paragraph, "bottom", size=8 if last else 6, color="000000", space=1)
        style_run(paragraph.add_run(left), "body", IMPRINT_PT, spacing=0)
        if right:
            # A right tab at the right indent puts the date flush with it.
            stop = Twips(width_twips - round(IMPRINT_PT * 20))
            paragraph.paragraph_format.tab_stops.add_tab_stop(stop, WD_TAB_ALIGNMENT.RIGHT)
            style_run(paragraph.add_run("\t" + right), "body", IMPRINT_PT, spacing=0)
