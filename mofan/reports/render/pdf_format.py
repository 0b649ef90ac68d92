"""PDF with WeasyPrint: an official document in the GB/T 9704 layout, or a table (the score
sheet), from HTML templates under ``templates/reports/pdf/``.

Fonts are chosen by family name through fontconfig: each role's CSS list (`fonts.css_family`)
names the standard's typeface where the server has it and ends with the Noto CJK family of
Debian's ``fonts-noto-cjk`` (Noto Serif CJK SC for 小标宋/仿宋/楷体/宋体, Noto Sans CJK SC for
黑体), which covers every Chinese character the documents use. WeasyPrint embeds the subset of
every font it uses, so the PDF shows the same on a machine without them; ``lang="zh-CN"`` makes
Pango pick the Simplified Chinese glyphs of the Noto collections.

Page: A4, margins 37/26/35/28 mm as in the .docx (a 156 × 225 mm 版心), body 16 pt on 28.95 pt
lines with the characters condensed by 0.25 pt (28 to a line), page numbers "— N —" in 14 pt
one character in from the right on odd pages and from the left on even pages. A table too wide
for a portrait page gets a landscape one; its header row repeats on every page.

`render(export, stream, progress)`; `document_html(doc)` and `table_html(sheet)` give the HTML
(used by the tests and handy for previews); `write_pdf(html, stream)` lays it out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from mofan.core.exports.base import Column, Doc, Export, Heading, Paragraph, Progress, Table
from mofan.reports import fonts
from mofan.reports.documents.common import (
    attachment_lines,
    cc_line,
    cn_date,
    numbered,
    printed_line,
    split_title,
    width_em,
)
from mofan.reports.render.page import (
    BODY_PT,
    BOTTOM_MM,
    CHAR_SPACING,
    IMPRINT_PT,
    ISSUER_MAX_PT,
    LEFT_MM,
    LINE_PT,
    PAGE_HEIGHT_MM,
    PAGE_NUMBER_PT,
    RIGHT_MM,
    SHEET_PT,
    TABLE_PT,
    TEXT_WIDTH_TWIPS,
    TITLE_LINE_PT,
    TITLE_PT,
    TOP_MM,
    addressee_line,
    signature_indents,
)
from mofan.reports.render.table_text import (
    Sheet,
    alignments,
    column_widths,
    landscape_for,
    render_export,
    row_texts,
)

ROLES = ("title", "issuer", "body", "heading1", "heading2", "page_number")


def font_css() -> dict[str, SafeString]:
    """The CSS font-family list of each role (our constants, not user text: safe in <style>)."""
    return {role: mark_safe(fonts.css_family(role)) for role in ROLES}  # noqa: S308


def _page_context(*, landscape: bool) -> dict[str, Any]:
    if landscape:
        margins = (LEFT_MM, BOTTOM_MM, RIGHT_MM, TOP_MM)
    else:
        margins = (TOP_MM, RIGHT_MM, BOTTOM_MM, LEFT_MM)
    return {
        "landscape": landscape,
        "margin": " ".join(f"{m}mm" for m in margins),
        # 7.5.3: the dash 7 mm below the text block; the number's line centred on it.
        "number_top_mm": 7 - PAGE_NUMBER_PT * 0.75 * 25.4 / 72,
        "fonts": font_css(),
        "body_pt": BODY_PT,
        "line_pt": LINE_PT,
        "letter_spacing_pt": CHAR_SPACING / 20,
        "title_pt": TITLE_PT,
        "title_line_pt": TITLE_LINE_PT,
        "page_number_pt": PAGE_NUMBER_PT,
        "imprint_pt": IMPRINT_PT,
    }


def pdf_issuer_size(text: str, width_pt: float) -> float:
    """The issuer's size in the PDF: 小初 (36 pt) or as large as fits the 版心. (The .docx
    narrows the characters instead, ``w:w``; a CSS transform would do the same here but makes
    PDF readers extract the issuer out of reading order.)"""
    return min(ISSUER_MAX_PT, int(width_pt * 0.96 / max(width_em(text), 1) * 2) / 2)


def document_html(doc: Doc, *, imprint_on_next_page: bool = False) -> str:
    """The HTML of an official document, laid out like the .docx. The 版记 is a footnote, so it
    sits at the foot of the page it falls on; `imprint_on_next_page` moves it to the foot of a
    page of its own (see `write_document`)."""
    width_pt = TEXT_WIDTH_TWIPS / 20
    size = pdf_issuer_size(doc.issuer, width_pt) if doc.issuer else 0.0
    date = cn_date(doc.date) if doc.date else ""
    sig_right, date_right = signature_indents(doc.signature, date, sealed=bool(doc.issuer))
    blocks: list[dict[str, Any]] = []
    for block, label in numbered(doc.blocks):
        if isinstance(block, Heading):
            blocks.append({"kind": "heading", "level": block.level, "text": label + block.text})
        elif isinstance(block, Paragraph):
            blocks.append({"kind": "paragraph", "text": block.text})
        elif isinstance(block, Table):
            table = _table_context(block.columns, block.rows)
            blocks.append({"kind": "table", **table, "caption": block.caption})
    context = {
        **_page_context(landscape=False),
        "doc": doc,
        "issuer": {
            "size_pt": size,
            "line_pt": size * 1.25,
            # 7.2.4: upper edge 35 mm below the top of the 版心.
            "space_mm": 35 - (size * 0.125) * 25.4 / 72,
        },
        "title_lines": split_title(doc.title, width_pt / TITLE_PT - 1),
        "addressee": addressee_line(doc.addressee),
        "blocks": blocks,
        "attachments": attachment_lines(doc.attachments),
        "date": date,
        "sig_right_em": sig_right,
        # room for the seal above a sealed signature (7.3.5.1), one line otherwise
        "signature_lines": 2 if doc.issuer else 1,
        "date_right_em": date_right,
        "cc": cc_line(doc.cc),
        "printed": printed_line(doc.date),
        "table_pt": TABLE_PT,
        "imprint_on_next_page": imprint_on_next_page,
    }
    return render_to_string("reports/pdf/document.html", context)


def _table_context(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    progress: Progress | None = None,
    total: int = 0,
) -> dict[str, Any]:
    widths = column_widths(columns, 10000)
    aligns = alignments(columns)

    return {
        "columns": [(c.header, w / 100) for c, w in zip(columns, widths, strict=True)],
        "rows": (
            list(zip(texts, aligns, strict=True))
            for texts in row_texts(columns, rows, progress, total)
        ),
        "caption": "",
    }


def table_html(sheet: Sheet) -> str:
    """The HTML of a table on its own page(s): title, subtitle, the table."""
    width_pt = TEXT_WIDTH_TWIPS / 20
    landscape = landscape_for(sheet.columns)
    if landscape:
        width_pt = (PAGE_HEIGHT_MM - TOP_MM - BOTTOM_MM) * 72 / 25.4
    context = {
        **_page_context(landscape=landscape),
        "title": sheet.title,
        "title_lines": split_title(sheet.title, width_pt / TITLE_PT - 1),
        "subtitle": sheet.subtitle,
        "table": _table_context(sheet.columns, sheet.rows, sheet.progress, sheet.total),
        "table_pt": SHEET_PT,
    }
    return render_to_string("reports/pdf/table.html", context)


class MissingFonts(RuntimeError):
    """No Chinese font on the server: the PDF would show boxes instead of characters."""


def require_fonts() -> None:
    """Refuse to make a PDF of boxes: every role needs an installed Chinese face (when
    fontconfig can tell)."""
    missing = fonts.missing_roles()
    if missing:
        raise MissingFonts(
            _("服务器未安装中文字体（如 Debian 的 fonts-noto-cjk），无法生成 PDF：%(roles)s。")
            % {"roles": "、".join(fonts.docx_name(role) for role in missing)}
        )


def write_document(doc: Doc, stream: BinaryIO) -> None:
    """GB/T 9704 7.4: the 版记 at the foot of the last page, which is an even page. Laid out
    once; when the document has a 版记 and ends on an odd page, laid out again with the 版记 on
    a page of its own (the even page after), so a printed booklet ends on a 封四."""
    html = document_html(doc)
    if not (doc.cc or doc.printer):
        write_pdf(html, stream)
        return
    first = render_pdf(html)
    if len(first.pages) % 2:
        first = render_pdf(document_html(doc, imprint_on_next_page=True))
    first.write_pdf(stream)


def render_pdf(html: str) -> Any:
    """The laid-out WeasyPrint document (its `pages` counted before writing)."""
    from weasyprint import HTML  # imported late: it loads Pango

    require_fonts()
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    return HTML(string=html, base_url=None).render()


def write_pdf(html: str, stream: BinaryIO) -> None:
    from weasyprint import HTML  # imported late: it loads Pango

    require_fonts()
    # WeasyPrint reports each layout step at INFO; a background job needs none of it.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    HTML(string=html, base_url=None).write_pdf(stream)


def write_sheet(sheet: Sheet, stream: BinaryIO) -> None:
    write_pdf(table_html(sheet), stream)


def render(export: Export, stream: BinaryIO, progress: Progress) -> None:
    """Write a document (GB/T 9704 layout) or a table as PDF to `stream`."""
    render_export(
        export, stream, progress, fmt="pdf", write_doc=write_document, write_sheet=write_sheet
    )
