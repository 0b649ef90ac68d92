"""A new .docx in the GB/T 9704 page: the font table, the document defaults (3号 仿宋 on the
line grid), A4 with the standard's margins, the 22-line grid and the alternating page-number
footers (see `docx_format` for the clauses)."""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Emu, Mm, Pt
from lxml import etree

from mofan.reports import fonts
from mofan.reports.render.docx_xml import (
    PPR_ORDER,
    RPR_ORDER,
    exact_lines,
    indent_chars,
    off_grid,
    page_field,
    set_child,
    set_fonts,
    style_run,
)
from mofan.reports.render.page import (
    BODY_PT,
    BOTTOM_MM,
    CHAR_SPACING,
    LEFT_MM,
    LINE_PITCH_TWIPS,
    LINE_PT,
    PAGE_HEIGHT_MM,
    PAGE_NUMBER_PT,
    PAGE_WIDTH_MM,
    RIGHT_MM,
    TOP_MM,
)


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
    set_child(rpr, "w:spacing", RPR_ORDER, val=str(CHAR_SPACING))
    set_child(rpr, "w:sz", RPR_ORDER, val=str(int(BODY_PT * 2)))
    set_child(rpr, "w:szCs", RPR_ORDER, val=str(int(BODY_PT * 2)))
    set_child(rpr, "w:lang", RPR_ORDER, val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    set_child(ppr, "w:autoSpaceDE", PPR_ORDER, val="0")
    set_child(ppr, "w:autoSpaceDN", PPR_ORDER, val="0")
    set_child(ppr, "w:spacing", PPR_ORDER, after="0", line=str(LINE_PITCH_TWIPS), lineRule="exact")
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
    set_child(normal_ppr, "w:autoSpaceDE", PPR_ORDER, val="0")
    set_child(normal_ppr, "w:autoSpaceDN", PPR_ORDER, val="0")
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
    grid = set_child(section._sectPr, "w:docGrid")
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
        exact_lines(paragraph, PAGE_NUMBER_PT * 1.5)
        off_grid(paragraph)
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            indent_chars(paragraph, right=1, pitch_pt=PAGE_NUMBER_PT)
        else:
            indent_chars(paragraph, left=1, pitch_pt=PAGE_NUMBER_PT)
        style_run(paragraph.add_run("— "), "page_number", PAGE_NUMBER_PT, spacing=0)
        page_field(paragraph, "page_number", PAGE_NUMBER_PT)
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


# --- the file's properties: ours, nothing left from python-docx's template ---------------------

_TEMPLATE_LEFTOVERS = (
    "/relationships/metadata/thumbnail",  # a picture of the template's blank page
    "/relationships/customXml",  # the template's bibliography sources
)
APP_XML = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>mofan</Application><DocSecurity>0</DocSecurity>"
    "<Company>{company}</Company></Properties>"
)


def set_properties(document: DocxDocument, *, title: str, author: str) -> None:
    """The core and application properties of a generated document: the title, the committee as
    author and company, created and modified now, revision 1; the template's creator
    ("python-docx"), its 2013 dates, its description, its "Microsoft Macintosh Word" application
    entry, its thumbnail and its custom XML parts are gone."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    props = document.core_properties
    props.title = title
    props.author = author
    props.last_modified_by = author
    props.comments = ""
    props.subject = ""
    props.keywords = ""
    props.category = ""
    props.language = "zh-CN"
    props.revision = 1
    props.created = now
    props.modified = now
    package = document.part.package
    for owner in (package, document.part):
        for rid, rel in list(owner.rels.items()):
            if rel.reltype.endswith(_TEMPLATE_LEFTOVERS):
                del owner.rels[rid]
    for rel in package.rels.values():
        if rel.reltype.endswith("/extended-properties"):
            company = escape(author)
            rel.target_part._blob = APP_XML.format(company=company).encode()
