"""The GB/T 9704-2012 layout of the .docx documents, read back with python-docx (issue 6
point 4): page, margins, the 22 × 28 grid, fonts and sizes of every element, the red issuer
and rule, the document number, the Arabic date and the alternating page numbers."""

# ruff: noqa: F811
from __future__ import annotations

import datetime
import re

import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, Twips
from lxml import etree

from mofan.core.exports import registry
from mofan.core.exports.base import Doc, Heading, Paragraph
from mofan.reports import fonts
from mofan.reports.documents.common import split_title, width_em
from mofan.reports.render import docx_redhead
from mofan.reports.render.docx_format import build_doc
from mofan.reports.render.docx_xml import PPR_ORDER, RPR_ORDER, TBLPR_ORDER
from mofan.reports.render.page import CHAR_SPACING, LINE_PITCH_TWIPS, signature_indents
from tests.reports.doc_fixtures import (
    DOC_DAY,
    docs,  # noqa: F401 (a fixture)
    east_asia,
    open_docx,
    paragraph_with,
    rendered,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bulletin(docs):
    export = registry.get("results_bulletin")(
        campaign=docs.campaign, actor=docs.actor("committee_admin"), today=DOC_DAY
    )
    return open_docx(rendered(export, "docx")), docs


def _mm(length) -> float:
    return round(Emu(length).mm, 1)


def test_the_page_is_a4_with_the_standard_margins(bulletin):
    document, _docs = bulletin
    (section,) = document.sections
    assert (_mm(section.page_width), _mm(section.page_height)) == (210.0, 297.0)
    assert _mm(section.top_margin) == 37.0
    assert _mm(section.bottom_margin) == 35.0
    assert _mm(section.left_margin) == 28.0
    assert _mm(section.right_margin) == 26.0
    width = section.page_width - section.left_margin - section.right_margin
    height = section.page_height - section.top_margin - section.bottom_margin
    assert (_mm(width), _mm(height)) == (156.0, 225.0)


def test_the_grid_holds_22_lines_of_28_characters(bulletin):
    document, _docs = bulletin
    grid = document.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines"
    pitch = int(grid.get(qn("w:linePitch")))
    assert pitch == LINE_PITCH_TWIPS == 579
    text_height = Mm(225).twips
    assert pitch * 22 <= text_height < pitch * 23
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = defaults.find(qn("w:rPr"))
    assert rpr.find(qn("w:sz")).get(qn("w:val")) == "32"  # 3号
    assert rpr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    spacing = int(rpr.find(qn("w:spacing")).get(qn("w:val")))
    assert spacing == CHAR_SPACING
    # 28 condensed characters of 16 pt fit the 156 mm line, 29 do not.
    advance = 16 + spacing / 20
    line = Mm(156).pt
    assert advance * 28 <= line < advance * 29
    # Every line of the text is exactly one grid line.
    body = paragraph_with(document, "根据市委市直机关工委")
    assert body.paragraph_format.line_spacing == Pt(28.95)
    assert body.paragraph_format.line_spacing_rule == 4  # EXACTLY


def test_the_issuer_is_red_xiaobiaosong_and_a_red_rule_follows_the_number(bulletin):
    document, docs = bulletin
    issuer = document.paragraphs[0]
    assert issuer.text == f"{docs.world.committee.name}文件"
    assert issuer.alignment == WD_ALIGN_PARAGRAPH.CENTER
    (run,) = issuer.runs
    assert str(run.font.color.rgb) == "FF0000"
    assert east_asia(run) == "方正小标宋简体"
    assert run.font.size >= Pt(22)
    # 35 mm from the top of the text block to the characters (less half the leading).
    assert 30 <= issuer.paragraph_format.space_before.mm <= 35

    number = paragraph_with(document, "焦直文")
    assert re.fullmatch(r"焦直文〔2026〕\s+号", number.text)
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert east_asia(number.runs[0]) == "仿宋_GB2312"
    rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:val")) == "single"
    assert rule.get(qn("w:color")) == "FF0000"
    assert int(rule.get(qn("w:space"))) == 11  # 4 mm below the number
    # The issuer, then two blank lines, then the number.
    index = _index(document, number)
    assert [p.text for p in document.paragraphs[1:index]] == ["", ""]


def _index(document, paragraph) -> int:
    return [p._p for p in document.paragraphs].index(paragraph._p)


def test_title_headings_and_text_have_their_fonts_and_sizes(bulletin):
    document, _docs = bulletin
    title = paragraph_with(document, "关于2024年度模范机关创建考评结果的通报")
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    for run in title.runs:
        assert east_asia(run) == "方正小标宋简体"
        assert run.font.size == Pt(22)  # 2号
    heading1 = paragraph_with(document, "一、基本情况")
    assert east_asia(heading1.runs[0]) == "黑体"
    assert heading1.runs[0].font.size == Pt(16)
    heading2 = paragraph_with(document, "（一）“优秀”等次（2个）")
    assert east_asia(heading2.runs[0]) == "楷体_GB2312"
    assert heading2.runs[0].font.size == Pt(16)
    text = paragraph_with(document, "本次考评共有4个单位参加")
    assert east_asia(text.runs[0]) == "仿宋_GB2312"
    assert text.runs[0].font.size == Pt(16)
    ind = text._p.pPr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200"  # two characters


def test_addressee_signature_arabic_date_and_imprint(bulletin):
    document, docs = bulletin
    addressee = paragraph_with(document, "各参评单位：")
    assert addressee.alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert addressee.paragraph_format.first_line_indent is None
    # The addressee is one line below the title.
    assert document.paragraphs[_index(document, addressee) - 1].text == ""

    committee = docs.world.committee.name
    signature = next(p for p in document.paragraphs if p.text == committee)
    date = document.paragraphs[_index(document, signature) + 1]
    assert date.text == "2026年5月20日"
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", date.text)
    assert not re.search("[〇零一二三四五六七八九十]", date.text)
    for paragraph in (signature, date):
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # A red-head document is sealed (7.3.5.1): the date four characters from the right, the
    # signature centred on it, two lines of room for the seal above.
    sig_right, date_right = signature_indents(committee, date.text, sealed=True)
    assert date_right == 4
    assert signature._p.pPr.find(qn("w:ind")).get(qn("w:rightChars")) == str(round(sig_right * 100))
    assert date._p.pPr.find(qn("w:ind")).get(qn("w:rightChars")) == str(round(date_right * 100))
    centre_sig = sig_right + width_em(committee) / 2
    centre_date = date_right + width_em(date.text) / 2
    assert centre_sig == pytest.approx(centre_date)
    assert signature.paragraph_format.space_before == Pt(2 * LINE_PITCH_TWIPS / 20)

    # 7.4, 7.5: the 版记 is a table floating at the foot of the text block, as wide as it,
    # ruled above, between and below; its anchor paragraph ends the document.
    imprint = document.tables[-1]
    body = document.element.body
    assert body[-3] is imprint._tbl and body[-2] is document.paragraphs[-1]._p  # then sectPr
    assert document.paragraphs[-1].text == ""  # the anchor
    printed = imprint.rows[-1].cells[0].paragraphs[0]
    assert printed.text.startswith(f"{committee}办公室")
    assert printed.text.endswith("2026年5月20日印发")
    assert printed.runs[0].font.size == Pt(14)  # 4号
    tbl_pr = imprint._tbl.tblPr
    position = tbl_pr.find(qn("w:tblpPr"))
    assert position.get(qn("w:vertAnchor")) == "margin"
    assert position.get(qn("w:tblpYSpec")) == "bottom"
    assert position.get(qn("w:horzAnchor")) == "page"
    assert round(Emu(Twips(int(position.get(qn("w:tblpX"))))).mm) == 28  # the left margin
    assert tbl_pr.find(qn("w:tblW")).get(qn("w:w")) == "8845"  # the 版心's 156 mm
    rules = tbl_pr.find(qn("w:tblBorders"))
    assert rules.find(qn("w:insideH")).get(qn("w:sz")) == "6"  # 0.25 mm between
    assert rules.find(qn("w:top")).get(qn("w:sz")) == "8"  # 0.35 mm
    assert rules.find(qn("w:bottom")).get(qn("w:sz")) == "8"
    assert rules.find(qn("w:left")).get(qn("w:val")) == "nil"
    names = [etree.QName(child).localname for child in tbl_pr]
    positions = [TBLPR_ORDER.index(n) for n in names]
    assert positions == sorted(positions), names  # Word refuses them out of order


def test_page_numbers_alternate_sides_in_4hao_songti(bulletin):
    document, _docs = bulletin
    settings = document.settings.element
    assert settings.find(qn("w:evenAndOddHeaders")) is not None
    section = document.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        assert not footer.is_linked_to_previous
        (paragraph,) = footer.paragraphs
        assert paragraph.alignment == align
        instructions = [i.text.strip() for i in paragraph._p.iter(qn("w:instrText"))]
        assert instructions == ["PAGE"]
        assert paragraph.text == "— 1 —"  # the field's cached result between the dashes
        for run in paragraph.runs:
            assert run.font.size == Pt(14)
            assert east_asia(run) == "宋体"
        ind = paragraph._p.pPr.find(qn("w:ind"))
        side = "rightChars" if align == WD_ALIGN_PARAGRAPH.RIGHT else "leftChars"
        assert ind.get(qn(f"w:{side}")) == "100"  # one character in


def test_the_font_table_names_a_substitute_for_each_standard_face(bulletin):
    document, _docs = bulletin
    part = next(
        p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"
    )
    root = etree.fromstring(part.blob)
    alt = {
        f.get(qn("w:name")): f.find(qn("w:altName")).get(qn("w:val"))
        for f in root.findall(qn("w:font"))
        if f.find(qn("w:altName")) is not None
    }
    for role in ("title", "body", "heading1", "heading2", "page_number"):
        assert alt[fonts.docx_name(role)] == fonts.docx_alt_name(role)
    assert alt["仿宋_GB2312"] == "仿宋"


def test_every_property_element_is_in_schema_order(bulletin):
    """Word refuses a file whose rPr/pPr children are out of the schema's order."""
    document, _docs = bulletin
    parts = [document.element, document.styles.element]
    section = document.sections[0]
    parts += [section.footer._element, section.even_page_footer._element]
    for root in parts:
        for tag, order in (("w:rPr", RPR_ORDER), ("w:pPr", PPR_ORDER)):
            for element in root.iter(qn(tag)):
                names = [etree.QName(child).localname for child in element]
                positions = [order.index(n) for n in names if n in order]
                assert positions == sorted(positions), names


def test_a_long_title_breaks_into_balanced_lines_inside_one_paragraph():
    title = "关于2020年市直机关创建模范机关考评结果暨命名先进单位有关事项的通报"
    document = build_doc(
        Doc(title=title, blocks=[Paragraph("正文。")], date=datetime.date(2020, 10, 15))
    )
    paragraph = paragraph_with(document, title.split("暨")[0])
    breaks = paragraph._p.findall(f".//{qn('w:br')}")
    assert len(breaks) == 1
    lines = [run.text.rstrip("\n") for run in paragraph.runs]  # a w:br reads as "\n"
    assert "".join(lines) == title
    assert lines == split_title(title, Mm(156).pt / 22 - 1)
    assert all(width_em(line) <= Mm(156).pt / 22 for line in lines)
    assert lines == ["关于2020年市直机关创建模范机关考评结果", "暨命名先进单位有关事项的通报"]


def test_headings_are_numbered_per_level():
    document = build_doc(
        Doc(
            title="标题",
            blocks=[
                Heading("甲"),
                Heading("子一", 2),
                Heading("子二", 2),
                Heading("细", 3),
                Heading("乙"),
                Heading("子", 2),
                Heading("三、已编号"),
            ],
        )
    )
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[1:] == [
        "一、甲",
        "（一）子一",
        "（二）子二",
        "1.细",
        "二、乙",
        "（一）子",
        "三、已编号",
    ]
    assert east_asia(paragraph_with(document, "1.细").runs[0]) == "仿宋_GB2312"
    assert paragraph_with(document, "1.细").runs[0].font.bold


def test_a_document_without_issuer_has_neither_header_nor_rule():
    document = build_doc(Doc(title="工作总结", blocks=[Paragraph("正文。")], signature="某工委"))
    assert "".join(p.text for p in document.paragraphs).find("文件") == -1
    for paragraph in document.paragraphs:
        assert paragraph._p.pPr is None or paragraph._p.pPr.find(qn("w:pBdr")) is None
    assert docx_redhead.issuer_size("中共焦作市委市直机关工作委员会文件", Mm(156).pt)[1] >= 60


def test_the_file_properties_are_ours_with_nothing_left_from_the_template():
    import io
    import zipfile

    from mofan.reports.render.docx_format import write_doc

    stream = io.BytesIO()
    write_doc(Doc(title="关于测试的通知", signature="中共测试市委市直机关工委"), stream)
    with zipfile.ZipFile(stream) as archive:
        names = archive.namelist()
        app = archive.read("docProps/app.xml").decode()
        rels = (
            archive.read("_rels/.rels").decode()
            + archive.read("word/_rels/document.xml.rels").decode()
        )
    assert not [n for n in names if "thumbnail" in n or n.startswith("customXml")]
    assert "thumbnail" not in rels and "customXml" not in rels
    assert "Macintosh" not in app and "<Application>mofan</Application>" in app
    assert "<Company>中共测试市委市直机关工委</Company>" in app
    stream.seek(0)
    from docx import Document as open_docx

    props = open_docx(stream).core_properties
    assert (props.title, props.author, props.last_modified_by) == (
        "关于测试的通知",
        "中共测试市委市直机关工委",
        "中共测试市委市直机关工委",
    )
    assert props.comments == "" and props.revision == 1
    today = datetime.datetime.now(datetime.UTC).date()
    assert props.created.date() == today and props.modified.date() == today  # not 2013
