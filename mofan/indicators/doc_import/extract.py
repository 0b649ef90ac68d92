"""Text from a document: one source line per paragraph, table cells flattened one per line
(each cell's first line starts with a tab, as a PDF's text layer gives table cells), merged
cells repeated as Word reports them."""

from __future__ import annotations

import io
import zipfile

from django.utils.translation import gettext as _

SUFFIXES = (".docx", ".txt", ".pdf")


class ExtractError(ValueError):
    """The document cannot be read; the message is for the clerk."""


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExtractError(_("文本文件的编码无法识别，请另存为 UTF-8 后再上传。"))


def docx_text(data: bytes) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ExtractError(_("无法读取该 Word 文件（须为 .docx 格式）。")) from exc
    out: list[str] = []

    def table_lines(table: Table) -> None:
        for row in table.rows:
            previous = None
            for cell in row.cells:
                if cell._tc is previous:  # a cell merged across columns: once per row
                    continue
                previous = cell._tc
                text = "\n".join(p.text for p in cell.paragraphs).strip("\n")
                parts = text.split("\n") if text else [""]
                out.append("\t" + parts[0])
                out.extend(parts[1:])
                for inner in cell.tables:
                    table_lines(inner)

    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(Paragraph(block, document).text)
        elif tag == "tbl":
            table_lines(Table(block, document))
    return "\n".join(out)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ExtractError(_("无法读取该 PDF 文件。")) from exc
    text = "\n".join(pages)
    if not text.strip():
        raise ExtractError(_("该 PDF 没有文字层（可能是扫描件），请上传 Word 或文本版本。"))
    return text


def document_text(name: str, data: bytes) -> str:
    """The text of an uploaded document, by its suffix; ExtractError with a Chinese message."""
    lower = name.lower()
    if lower.endswith(".docx"):
        return docx_text(data)
    if lower.endswith(".pdf"):
        return pdf_text(data)
    if lower.endswith(".txt"):
        return decode_text(data)
    raise ExtractError(_("只能导入 .docx、.txt 或 .pdf 文件。"))
