"""Tables in the .docx: bordered, as wide as the text block, with a header row repeated on
every page; written row by row as XML."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.table import Table as DocxTable

from mofan.core.exports.base import Column, Progress, Table
from mofan.reports import fonts
from mofan.reports.render.docx_blocks import blank_lines, text_paragraph
from mofan.reports.render.docx_xml import TBLPR_ORDER, set_child
from mofan.reports.render.page import TABLE_PT
from mofan.reports.render.table_text import alignments, column_widths, row_texts


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
    set_child(tbl_pr, "w:tblW", TBLPR_ORDER, w=str(width_twips), type="dxa")
    borders = set_child(tbl_pr, "w:tblBorders", TBLPR_ORDER)
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        set_child(borders, f"w:{side}", val="single", sz="4", space="0", color="000000")
    set_child(tbl_pr, "w:tblLayout", TBLPR_ORDER, type="fixed")
    for col, width in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(width))
    aligns = alignments(columns)
    tbl.append(_row_xml([c.header for c in columns], widths, aligns, size, header=True))
    for texts in row_texts(columns, rows, progress, total):
        tbl.append(_row_xml(texts, widths, aligns, size))
    return table


def table_block(document: DocxDocument, block: Table, width_twips: int) -> None:
    if block.caption:
        paragraph = text_paragraph(
            document, block.caption, role="heading1", align=WD_ALIGN_PARAGRAPH.CENTER, first=0
        )
        paragraph.paragraph_format.keep_with_next = True
    add_table(document, block.columns, block.rows, width_twips, size=TABLE_PT)
    blank_lines(document, 1)
