"""PDF of the official documents and of a table (issue 6 point 5): A4, the CJK fonts embedded,
the text extracted from the PDF equal to the Chinese text given, and no missing glyph boxes —
every character drawn is in the embedded font's own character map (a missing glyph still
round-trips as text through the ToUnicode map, so the text check alone would not see it)."""

# ruff: noqa: F811
from __future__ import annotations

import datetime
import io
import re

import pytest

from mofan.core.exports import registry
from mofan.core.exports.base import Doc, Heading, Paragraph
from mofan.reports import fonts
from mofan.reports.render.pdf_format import document_html, write_pdf
from tests.evaluations.campaign_fixtures import world  # noqa: F401 (a fixture)
from tests.reports.doc_fixtures import (
    DOC_DAY,
    SheetExporter,
    docs,  # noqa: F401 (a fixture)
    pdf_page_sizes,
    pdf_pages_text,
    pdf_runs,
    rendered,
    uncovered,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not fonts.cjk_fonts_installed(),
        reason="Noto CJK fonts (Debian fonts-noto-cjk) are not installed; make test installs them",
    ),
]

A4 = (595.28, 841.89)  # points
PAGE_NUMBER = re.compile(r"— \d+ —")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf(doc: Doc) -> bytes:
    stream = io.BytesIO()
    write_pdf(document_html(doc), stream)
    return stream.getvalue()


def _assert_embedded_cjk_without_boxes(data: bytes) -> None:
    runs = pdf_runs(data)
    assert runs
    for run in runs:
        assert run.embedded, run.font
        # Noto Serif/Sans CJK SC, or Arphic's 楷体 for （一） headings; subset-embedded
        assert "CJK" in run.font or "KaitiM-GB" in run.font, run.font
        assert re.match(r"^[A-Z]{6}\+", run.font), run.font  # a subset
    assert uncovered(runs) == {}


def test_the_text_of_the_pdf_equals_the_chinese_text_given():
    doc = Doc(
        title="关于2020年市直机关创建模范机关考评结果暨命名先进单位有关事项的通报",
        issuer="中共焦作市委市直机关工作委员会文件",
        number="焦直文〔2020〕140号",
        addressee="市直和省部属驻焦各单位基层党组织",
        blocks=[
            Paragraph(
                "现将《市直机关创建模范机关实施方案》印发给你们，请结合实际，认真抓好贯彻落实。"
            ),
            Heading("总体要求"),
            Paragraph(
                "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实新时代党的建设总要求。"
            ),
            Heading("加强组织领导", 2),
            Paragraph("成立市直机关创建模范机关领导小组及办公室，统筹推进创建各项工作。" * 12),
        ],
        signature="中共焦作市委市直机关工作委员会",
        date=datetime.date(2020, 10, 15),
        attachments=["市直机关创建模范机关单位名单", "2020年市直机关创建模范机关考评要点"],
        cc="市委组织部",
        printer="中共焦作市委市直机关工作委员会办公室",
    )
    data = _pdf(doc)
    pages = pdf_pages_text(data)
    assert len(pages) >= 2
    # Each page carries its number; without them the text is the document, in order.
    for number, page in enumerate(pages, start=1):
        assert f"— {number} —" in page
    text = _squash(PAGE_NUMBER.sub("", "".join(pages)))
    expected = _squash(
        "".join(
            [
                doc.issuer,
                doc.number,
                doc.title,
                doc.addressee + "：",
                doc.blocks[0].text,
                "一、总体要求",
                doc.blocks[2].text,
                "（一）加强组织领导",
                doc.blocks[4].text,
                "附件：1.市直机关创建模范机关单位名单",
                "2.2020年市直机关创建模范机关考评要点",
                doc.signature,
                "2020年10月15日",
                "抄送：市委组织部。",
                doc.printer,
                "2020年10月15日印发",
            ]
        )
    )
    assert text == expected
    assert all(size == pytest.approx(A4, abs=0.5) for size in pdf_page_sizes(data))
    _assert_embedded_cjk_without_boxes(data)


def test_a_missing_glyph_is_caught():
    """The check can fail: 𪚥 (U+2A6A5, CJK Extension B) is in no installed font, prints as a
    box, and still extracts as text."""
    data = _pdf(Doc(title="测试", blocks=[Paragraph("甲𪚥乙")]))
    assert "甲𪚥乙" in pdf_pages_text(data)[0]
    missing = uncovered(pdf_runs(data))
    assert set().union(*missing.values()) == {"𪚥"}


def test_the_results_bulletin_pdf(docs):
    export = registry.get("results_bulletin")(
        campaign=docs.campaign, actor=docs.actor("committee_admin"), today=DOC_DAY
    )
    data = rendered(export, "pdf")
    assert data.startswith(b"%PDF-")
    text = _squash("".join(pdf_pages_text(data)))
    for expected in (
        f"{docs.world.committee.name}文件",
        "焦直文〔2026〕",
        "关于2024年度模范机关创建考评结果的通报",
        "各参评单位：",
        "（一）“优秀”等次（2个）乙单位、丁单位。",
        "（二）“不达标”等次（2个）甲单位、丙单位。",
        "2026年5月20日",
    ):
        assert _squash(expected) in text, expected
    assert all(size == pytest.approx(A4, abs=0.5) for size in pdf_page_sizes(data))
    _assert_embedded_cjk_without_boxes(data)


def test_a_long_table_pdf_repeats_its_header_on_every_landscape_page(world):
    sheet = SheetExporter(campaign=world.campaign, actor=world.actor("committee_admin"))
    sheet.wide, sheet.n = True, 120
    calls: list[tuple[int, int]] = []
    stream = io.BytesIO()
    from mofan.reports.render import render

    render(sheet, "pdf", stream, lambda done, total: calls.append((done, total)))
    data = stream.getvalue()
    pages = pdf_pages_text(data)
    assert len(pages) >= 3
    for width, height in pdf_page_sizes(data):
        assert (width, height) == (pytest.approx(A4[1], abs=0.5), pytest.approx(A4[0], abs=0.5))
    for page in pages:
        for header in ("序号", "单位", "得分", "完成率", "审定日期", "指标5"):
            assert header in page
    text = "".join(pages)
    assert all(f"第{i}单位" in text for i in range(1, 121))
    assert "27.50 87.3% 2026年5月20日" in text  # number, percent (四舍五入) and date cells
    assert calls[0] == (0, 120) and calls[-1] == (120, 120)
    _assert_embedded_cjk_without_boxes(data)


def test_no_pdf_of_boxes_without_chinese_fonts(monkeypatch):
    """Where fontconfig knows no Chinese face, making a PDF fails with a clear message
    instead of printing boxes."""
    from mofan.reports.render import pdf_format

    monkeypatch.setattr(fonts, "installed_families", lambda: frozenset({"DejaVu Sans"}))
    with pytest.raises(pdf_format.MissingFonts, match="fonts-noto-cjk"):
        _pdf(Doc(title="测试", blocks=[Paragraph("正文")]))


def _imprint_position(data: bytes) -> tuple[int, int, float]:
    """(pages, page of the 印发 line, its distance in mm above the paper's bottom edge)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    found = (0, 0.0)
    for number in range(len(pdf)):
        text = pdf[number].get_textpage()
        for index in range(text.count_chars()):
            if text.get_text_range(index, 2) == "印发":
                found = (number + 1, text.get_charbox(index)[1] * 25.4 / 72)
    return len(pdf), found[0], found[1]


@pytest.mark.parametrize("paragraphs", [3, 30, 60])
def test_the_imprint_is_at_the_foot_of_the_last_page_which_is_even(paragraphs):
    """GB/T 9704 7.4: the 版记 at the foot of the last page, an even one (a blank page is
    added under it when the text ends on an odd page)."""
    from mofan.reports.render.pdf_format import write_document

    doc = Doc(
        title="关于测试版记位置的通知",
        issuer="中共测试市委市直机关工作委员会文件",
        number="测直文〔2026〕1号",
        blocks=[Paragraph("创建模范机关是新时代机关党建的重要抓手。" * 3)] * paragraphs,
        signature="中共测试市委市直机关工作委员会",
        date=datetime.date(2026, 5, 20),
        cc="市委办公室",
        printer="中共测试市委市直机关工作委员会办公室",
    )
    stream = io.BytesIO()
    write_document(doc, stream)
    pages, page, above_bottom = _imprint_position(stream.getvalue())
    assert pages % 2 == 0 and page == pages, (pages, page)
    # the bottom margin is 35 mm, and the last 版记 line is the lowest line of the 版心
    assert 35 <= above_bottom <= 35 + 12, above_bottom


def test_second_level_headings_are_set_in_a_kaiti_face(docs):
    """GB/T 9704: （一） headings in 楷体. The Arphic KaitiM GB face that `make test` installs
    (scripts/system_deps.sh) is embedded for them; the body stays in the Song-like Noto face."""
    data = rendered(
        registry.get("results_bulletin")(
            campaign=docs.campaign, actor=docs.actor("committee_admin"), today=DOC_DAY
        ),
        "pdf",
    )
    runs = pdf_runs(data)
    headings = [r for r in runs if r.text.startswith("（一）")]
    assert headings and all("KaitiM-GB" in r.font for r in headings), headings
    assert any("Noto-Serif-CJK" in r.font.replace(" ", "-") for r in runs)
