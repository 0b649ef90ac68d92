"""Word (.docx) in the layout of GB/T 9704-2012 《党政机关公文格式》, with python-docx.

`render(export, stream, progress)` writes a `Document` (its `build()` → `Doc`) as an official
document, or an `Exporter` (a table, e.g. the score sheet) as a document holding the table.
`build_doc(doc)` and `build_sheet(sheet)` return the two layouts as python-docx documents.

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
* 7.3.5.1 (sealed: every document under the red head): the date four characters from the
  right, the signature centred on the date above it, two lines of room for the seal above.
* 7.3.5.2 (no seal): the signature one line below the text, two characters from the right; the
  date (Arabic numerals) on the next line starting two characters right of the signature's
  first character, or, when the date is the longer, two characters from the right with the
  signature moved left to keep the two-character offset.
* 7.4, 7.5 版记: 抄送 and 印发机关/印发日期 in 4号 仿宋 one character in from each side, between
  rules (the first and last 0.35 mm, the one between 0.25 mm), at the foot of the last page: a
  one-column table floating at the bottom of the text block, its rules the table's borders
  (LibreOffice keeps those, where a frame anchored at the foot lost paragraph borders). That the
  last page is even depends on the reader's layout, which the file cannot know; the PDF moves
  the 版记 to the next page when it falls on an odd one.
* 7.5.3 页码: 4号 宋体 "— 1 —", odd pages one character from the right, even pages one
  character from the left (``w:evenAndOddHeaders`` and two footers, each with a PAGE field).

Fonts are written by name in ``w:rFonts`` (ascii, hAnsi, eastAsia, cs) with the standard's
typefaces (`mofan.reports.fonts`); the font table names a substitute (``w:altName``) for readers
without them. Asian/Latin auto-spacing is off so numbers such as 2020年 are not padded.

The modules: `page` (the page, the grid and the sizes, shared with the PDF), `docx_xml` (the
WordprocessingML helpers), `docx_page` (a new document in that page), `docx_redhead` (the red
head and the 版记), `docx_blocks` (title, text, headings, attachments, signature) and
`docx_table` (tables); this one puts them together.
"""

from __future__ import annotations

from typing import BinaryIO

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH

from mofan.core.exports.base import Doc, Export, Heading, Paragraph, Progress, Table
from mofan.reports.documents.common import numbered
from mofan.reports.render.docx_blocks import (
    attachment_paragraphs,
    blank_lines,
    heading_paragraph,
    signature_paragraphs,
    text_paragraph,
    title_paragraph,
)
from mofan.reports.render.docx_page import new_official_document, set_properties
from mofan.reports.render.docx_redhead import imprint, red_head
from mofan.reports.render.docx_table import add_table, table_block
from mofan.reports.render.page import SHEET_PT, addressee_line
from mofan.reports.render.table_text import Sheet, landscape_for, render_export


def build_doc(doc: Doc) -> DocxDocument:
    """The python-docx document of an official document."""
    document, width = new_official_document()
    set_properties(document, title=doc.title, author=doc.signature)
    if doc.issuer or doc.number:
        red_head(document, doc, width)
        blank_lines(document, 2)
    else:
        blank_lines(document, 1)
    title_paragraph(document, doc.title, width)
    blank_lines(document, 1)
    if doc.addressee:
        text_paragraph(
            document, addressee_line(doc.addressee), align=WD_ALIGN_PARAGRAPH.LEFT, first=0
        )
    for block, label in numbered(doc.blocks):
        if isinstance(block, Heading):
            heading_paragraph(document, block, label)
        elif isinstance(block, Paragraph):
            text_paragraph(document, block.text)
        elif isinstance(block, Table):
            table_block(document, block, width)
    if doc.attachments:
        attachment_paragraphs(document, doc.attachments)
    if doc.signature or doc.date:
        signature_paragraphs(document, doc)
    imprint(document, doc, width)
    return document


def write_doc(doc: Doc, stream: BinaryIO) -> None:
    build_doc(doc).save(stream)


def build_sheet(sheet: Sheet) -> DocxDocument:
    """A table on its own (e.g. the score sheet): title, subtitle, the table; landscape when
    the columns need more than a portrait text block holds."""
    document, width = new_official_document(landscape=landscape_for(sheet.columns))
    set_properties(document, title=sheet.title, author=sheet.author)
    title_paragraph(document, sheet.title, width)
    if sheet.subtitle:
        text_paragraph(
            document, sheet.subtitle, role="heading2", align=WD_ALIGN_PARAGRAPH.CENTER, first=0
        )
    blank_lines(document, 1)
    add_table(
        document,
        sheet.columns,
        sheet.rows,
        width,
        size=SHEET_PT,
        progress=sheet.progress,
        total=sheet.total,
    )
    return document


def write_sheet(sheet: Sheet, stream: BinaryIO) -> None:
    build_sheet(sheet).save(stream)


def render(export: Export, stream: BinaryIO, progress: Progress) -> None:
    """Write a document (GB/T 9704) or a table as .docx to `stream`."""
    render_export(
        export, stream, progress, fmt="docx", write_doc=write_doc, write_sheet=write_sheet
    )
