"""The paragraphs of an official document in the .docx: blank lines, body text, the title
(7.3.1), headings (7.3.3), the attachment note (7.3.4) and the signature with the date
(7.3.5.2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.text.paragraph import Paragraph as DocxParagraph

from mofan.core.exports.base import Doc, Heading
from mofan.reports.documents.common import attachment_lines, cn_date, split_title
from mofan.reports.render.docx_xml import exact_lines, indent_chars, off_grid, style_run
from mofan.reports.render.page import (
    BODY_PT,
    LINE_PT,
    TITLE_LINE_PT,
    TITLE_PT,
    signature_indents,
)


def blank_lines(document: DocxDocument, lines: int = 1) -> None:
    for _line in range(lines):
        exact_lines(document.add_paragraph(), LINE_PT)


def text_paragraph(
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
    exact_lines(paragraph, LINE_PT)
    if first:
        indent_chars(paragraph, first=first)
    style_run(paragraph.add_run(text), role, size, bold=bold)
    return paragraph


def title_paragraph(document: DocxDocument, title: str, width_twips: int) -> DocxParagraph:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    exact_lines(paragraph, TITLE_LINE_PT)
    off_grid(paragraph)
    lines = split_title(title, (width_twips / 20) / TITLE_PT - 1)
    for i, line in enumerate(lines):
        run = style_run(paragraph.add_run(line), "title", TITLE_PT, spacing=0)
        if i < len(lines) - 1:
            run.add_break()
    return paragraph


def heading_paragraph(document: DocxDocument, heading: Heading, label: str) -> DocxParagraph:
    text = f"{label}{heading.text}"
    if heading.level <= 1:
        paragraph = text_paragraph(document, text, role="heading1")
    elif heading.level == 2:
        paragraph = text_paragraph(document, text, role="heading2")
    else:
        paragraph = text_paragraph(document, text, bold=True)
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def signature_paragraphs(document: DocxDocument, doc: Doc) -> None:
    date = cn_date(doc.date) if doc.date else ""
    sealed = bool(doc.issuer)  # issued under the red head: stamped
    sig_right, date_right = signature_indents(doc.signature, date, sealed=sealed)
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
        exact_lines(paragraph, LINE_PT)
        if first:
            # room for the seal, whose top stays within a line of the text (7.3.5.1)
            paragraph.paragraph_format.space_before = Pt(LINE_PT * (2 if sealed else 1))
            first = False
        indent_chars(paragraph, right=right)
        paragraph.paragraph_format.keep_with_next = text == doc.signature
        style_run(paragraph.add_run(text), "body", BODY_PT)


def attachment_paragraphs(document: DocxDocument, names: Sequence[str]) -> None:
    """7.3.4: 附件：1.名称 …, later names aligned with the first (no punctuation after names)."""
    blank_lines(document, 1)
    for i, text in enumerate(attachment_lines(names)):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        exact_lines(paragraph, LINE_PT)
        if i == 0:
            indent_chars(paragraph, first=2)
        else:
            indent_chars(paragraph, left=5)  # aligned with the first name, after 附件：
        style_run(paragraph.add_run(text), "body", BODY_PT)
