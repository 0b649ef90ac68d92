"""A table (`Exporter`) as a .docx, as the score sheet is rendered (issue 6 point 4): a test-only
exporter stands in for it. Portrait or landscape by the width of the columns, the header row
repeated on every page, every row present and formatted, progress reported."""

# ruff: noqa: F811
from __future__ import annotations

import io

import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Emu

from mofan.reports.render import render
from tests.evaluations.campaign_fixtures import world  # noqa: F401 (a fixture)
from tests.reports.doc_fixtures import SheetExporter, docx_tables, east_asia, open_docx

pytestmark = pytest.mark.django_db


def _sheet(world, **attrs) -> SheetExporter:
    sheet = SheetExporter(campaign=world.campaign, actor=world.actor("committee_admin"))
    for key, value in attrs.items():
        setattr(sheet, key, value)
    return sheet


def test_a_narrow_table_is_portrait_with_formatted_rows(world):
    sheet = _sheet(world)
    calls: list[tuple[int, int]] = []
    stream = io.BytesIO()
    render(sheet, "docx", stream, lambda done, total: calls.append((done, total)))
    document = open_docx(stream.getvalue())
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert round(Emu(section.page_width).mm) == 210
    (table,) = docx_tables(document)
    assert table[0] == ["序号", "单位", "得分", "完成率", "审定日期"]
    assert table[1:] == [
        [str(i), f"第{i}单位", "27.50", "87.3%", "2026年5月20日"] for i in range(1, 4)
    ]
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)
    title = document.paragraphs[0]
    assert title.text == "测试评分表"
    assert east_asia(title.runs[0]) == "方正小标宋简体"
    assert world.campaign.name in document.paragraphs[1].text


def test_a_wide_long_table_is_landscape_with_a_repeated_header(world):
    sheet = _sheet(world, wide=True, n=450)
    calls: list[tuple[int, int]] = []
    stream = io.BytesIO()
    render(sheet, "docx", stream, lambda done, total: calls.append((done, total)))
    document = open_docx(stream.getvalue())
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert round(Emu(section.page_width).mm) == 297
    assert round(Emu(section.page_height).mm) == 210
    (table,) = document.tables
    rows = table._tbl.findall(qn("w:tr"))
    assert len(rows) == 451
    header = rows[0].find(qn("w:trPr"))
    assert header.find(qn("w:tblHeader")) is not None  # repeats on every page
    assert all(r.find(qn("w:trPr")).find(qn("w:tblHeader")) is None for r in rows[1:])
    assert sheet.produced == 450
    assert [c for c in calls if c[0] % 200 == 0 and c[0]] == [(200, 450), (400, 450)]
    assert calls[-1] == (450, 450)
    # Columns share the text block's width.
    widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    text_width = section.page_width - section.left_margin - section.right_margin
    assert sum(widths) == round(Emu(text_width).twips)


def test_a_table_cannot_be_rendered_in_a_format_it_does_not_offer(world):
    from mofan.reports.render import UnsupportedFormat

    sheet = _sheet(world)
    with pytest.raises(UnsupportedFormat):
        render(sheet, "xlsx", io.BytesIO())
