"""The xlsx renderer: formula neutralisation (a quote-prefixed string cell, no visible
apostrophe), numbers as numbers with the documents' two decimals, dates as dates, the title row,
the frozen bold header, column widths, print setup, progress, constant memory; and the
neutralisation end to end through real exporters."""

from __future__ import annotations

import datetime
import io
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from mofan.core.exports.base import Column
from mofan.organizations.models import Unit
from mofan.reports import cells
from mofan.reports.exporters.problems import ProblemListExporter
from mofan.reports.exporters.ranking import RankingExporter
from mofan.reports.render import UnsupportedFormat, render
from mofan.reports.render.xlsx_format import MAX_WIDTH, sheet_title
from tests.reports.table_fixtures import (
    TODAY,
    Table,
    approved_world,
    problem,
    render_bytes,
    xlsx_sheet,
)

INJECTIONS = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x")']


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def test_text_that_looks_like_a_formula_is_a_quote_prefixed_string_without_an_apostrophe():
    table = Table([Column("名称"), Column("说明")], [[text, "普通文本"] for text in INJECTIONS])
    data = render_bytes(table, "xlsx")
    sheet = xlsx_sheet(data)
    values = [row[0] for row in sheet.iter_rows(min_row=3)]
    # shown as typed (a carriage return is stored as the OOXML escape _x000D_, which Excel
    # decodes and openpyxl's reader of inline strings leaves as it is)
    assert [unescape(c.value) for c in values] == INJECTIONS
    assert {c.data_type for c in values} == {"s"}
    assert all(c.quotePrefix for c in values)  # kept text even when the cell is edited
    assert not any(c.quotePrefix for c in sheet["B"][2:])
    assert "<f>" not in _sheet_xml(data)  # no formula anywhere in the file


def test_a_control_character_cannot_uncover_a_formula():
    sheet = xlsx_sheet(render_bytes(Table([Column("名称")], [["\x01=1+1"], ["a\x02b"]]), "xlsx"))
    first, second = (row[0] for row in sheet.iter_rows(min_row=3))
    assert (first.value, first.data_type, first.quotePrefix) == ("=1+1", "s", True)
    assert (second.value, second.quotePrefix) == ("ab", False)


def test_numbers_stay_numbers():
    columns = [Column("分", "number"), Column("名次", "integer"), Column("文本")]
    rows = [
        [Decimal("-2"), 3, "-2"],
        [Decimal("8.50"), Decimal("1"), "8.5"],
        ["17.00", None, ""],
        ["达标", "前 25%", None],
        ["+SUM(A1)", "-3", "x"],
        [-2.5, 0, False],
    ]
    sheet = xlsx_sheet(render_bytes(Table(columns, rows), "xlsx"))
    got = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows(min_row=3)]
    assert got == [
        [(-2, "n"), (3, "n"), ("-2", "s")],
        [(8.5, "n"), (1, "n"), ("8.5", "s")],
        [(17, "n"), (None, "n"), (None, "n")],
        [("达标", "s"), ("前 25%", "s"), (None, "n")],
        [("+SUM(A1)", "s"), (-3, "n"), ("x", "s")],
        [(-2.5, "n"), (0, "n"), ("否", "s")],
    ]
    assert isinstance(sheet["A3"].value, int)
    # scores print with two decimals, as in the documents (97.50, not 97.5); counts without
    assert {sheet[f"A{n}"].number_format for n in (3, 4, 5, 8)} == {"0.00"}
    assert {sheet[f"B{n}"].number_format for n in (3, 4, 7, 8)} == {"0"}


def test_percentages_and_dates_keep_their_types_and_formats():
    moment = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 30))
    columns = [Column("比例", "percent"), Column("日期", "date"), Column("时间", "date")]
    rows = [[Decimal("0.855"), datetime.date(2026, 3, 2), moment]]
    sheet = xlsx_sheet(render_bytes(Table(columns, rows), "xlsx"))
    ratio, day, when = sheet[3]
    assert (ratio.value, ratio.number_format) == (0.855, "0.0%")
    assert (day.value, day.number_format) == (datetime.datetime(2026, 3, 2), "yyyy-mm-dd")
    assert when.value == timezone.localtime(moment).replace(tzinfo=None)
    assert when.number_format == "yyyy-mm-dd hh:mm"


def test_the_header_is_bold_and_frozen_and_columns_are_sized():
    columns = [
        Column("单位", "text", 10),
        Column("评语", "text", 4),
        Column("SHA-256", "text", 2),
        Column("一个很长很长的表头名称", "number", 3),
    ]
    rows = [["甲单位", "很" * 40, "ab", 1]]
    sheet = xlsx_sheet(render_bytes(Table(columns, rows, title="排名表"), "xlsx"))
    assert (sheet["A1"].value, sheet["A1"].font.b, sheet["A1"].font.sz) == ("排名表", True, 14)
    assert sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[2]] == [c.header for c in columns]
    assert all(c.font.b for c in sheet[2])
    assert not sheet["A3"].font.b
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
    # XlsxWriter stores the width as Excel does, rounded to whole pixels (+0.71 here)
    assert widths["A"] == pytest.approx(20, abs=1)  # 10 Chinese characters
    assert widths["B"] == pytest.approx(MAX_WIDTH, abs=1)  # 40 wide characters, capped
    assert widths["C"] == pytest.approx(9, abs=1)  # the header "SHA-256" (7) and a margin
    assert widths["D"] == pytest.approx(24, abs=1)  # 11 Chinese characters of header
    assert sheet.print_title_rows == "$2:$2"
    setup = sheet.page_setup
    # fitToWidth 1 is the OOXML default, so a writer may leave the attribute out
    assert (setup.paperSize, setup.fitToWidth or 1, setup.fitToHeight) == (9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert setup.orientation == "landscape"  # 20 + 60 + 9 + 24 = 113 columns > PORTRAIT_WIDTH


def test_a_wide_table_prints_in_landscape_a_narrow_one_in_portrait():
    columns = [Column(f"第{n}列", "number", 6) for n in range(14)]
    sheet = xlsx_sheet(render_bytes(Table(columns, [[1] * 14]), "xlsx"))
    assert sheet.page_setup.orientation == "landscape"  # the ranking's 14 columns
    narrow = xlsx_sheet(render_bytes(Table(columns[:5], [[1] * 5]), "xlsx"))
    assert narrow.page_setup.orientation == "portrait"


def test_a_column_empty_in_every_row_is_left_out():
    columns = [
        Column("单位", "text", 10),
        Column("备注", "text", 30),  # empty in every row, even after the sampled rows
        Column("分", "number"),
        Column("否决", "text", 4),  # filled only in the last row, far past the sample
    ]
    rows = [["甲单位", "", Decimal("1.5"), None] for _ in range(700)]
    rows.append(["乙单位", None, 2, "是"])
    sheet = xlsx_sheet(render_bytes(Table(columns, rows), "xlsx"))
    assert [c.value for c in sheet[2]] == ["单位", "分", "否决"]
    assert [c.value for c in sheet[703]] == ["乙单位", 2, "是"]
    assert sheet["B3"].number_format == "0.00"  # the formats follow their columns
    assert sheet.max_row == 703 and sheet.max_column == 3
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
    assert widths["A"] == pytest.approx(20, abs=1)  # the widths follow their columns too
    # a table without rows keeps its header
    empty = xlsx_sheet(render_bytes(Table(columns, []), "xlsx"))
    assert [c.value for c in empty[2]] == ["单位", "备注", "分", "否决"]


def test_display_width_counts_cjk_twice():
    assert cells.display_width("甲单位") == 6
    assert cells.display_width("SHA-256") == 7
    assert cells.display_width("（字节）") == 8


def test_sheet_titles_are_valid():
    assert sheet_title("a/b:c*d?[e]") == "abcde"
    assert len(sheet_title("很" * 40)) == 31
    sheet = xlsx_sheet(render_bytes(Table([Column("x")], [], title="2024/考评:排名"), "xlsx"))
    assert sheet.title == "2024考评排名"


def test_progress_is_reported_every_500_rows_and_at_the_end():
    calls = []
    table = Table([Column("n", "integer")], [[n] for n in range(1200)])
    render(table, "xlsx", io.BytesIO(), lambda done, total: calls.append((done, total)))
    assert calls == [(500, 1200), (1000, 1200), (1200, 1200)]


def test_an_unsupported_format_is_refused():
    with pytest.raises(UnsupportedFormat):
        render(Table([Column("x")], []), "docx", io.BytesIO())


def _peak(rows: int, path) -> int:
    columns = [Column("单位", "text", 10), Column("分", "number"), Column("日期", "date")]

    def generate():
        day = datetime.date(2026, 1, 1)
        for n in range(rows):
            yield [f"第{n}个单位的名称", Decimal(n) / 4, day]

    table = Table(columns, generate, count=rows)
    tracemalloc.start()
    try:
        with open(path, "wb") as stream:
            render(table, "xlsx", stream)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_at_20000_rows(tmp_path):
    small = _peak(1_000, tmp_path / "small.xlsx")
    large = _peak(20_000, tmp_path / "large.xlsx")
    # twenty times the rows, not twenty times the memory (a workbook kept in memory grows
    # linearly with its cells); measured here: under 1 MB at either size
    assert large < small * 2, (small, large)
    assert large < 5 * 1024 * 1024, large
    book = load_workbook(tmp_path / "large.xlsx", read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 20_002  # the title, the header and the rows
    assert rows[-1] == ("第19999个单位的名称", 4999.75, datetime.datetime(2026, 1, 1))


# --- end to end -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_unit_named_like_a_formula_is_neutralised_in_the_ranking():
    world = approved_world()
    Unit.objects.filter(pk=world.unit_b.pk).update(name="=1+1")
    export = RankingExporter(campaign=world.campaign, actor=world.actor("committee_admin"))
    sheet = xlsx_sheet(render_bytes(export, "xlsx"))
    name = sheet["B4"]
    assert (name.value, name.data_type, name.quotePrefix) == ("=1+1", "s", True)
    assert (sheet["G4"].value, sheet["G4"].data_type) == (24, "n")
    assert sheet["A1"].value == f"{world.campaign.name} {export.title()}"


@pytest.mark.django_db
def test_problem_descriptions_are_neutralised():
    world = approved_world()
    for text in ("+SUM(A1)", "-2", "@cmd"):
        problem(world, world.unit_a, text, campaign=world.campaign)
    export = ProblemListExporter(
        campaign=world.campaign, actor=world.actor("committee_admin"), today=TODAY
    )
    sheet = xlsx_sheet(render_bytes(export, "xlsx"))
    column = next(c.column_letter for c in sheet[2] if c.value == "问题描述")
    described = [(c.value, c.data_type, c.quotePrefix) for c in sheet[column][2:]]
    assert sorted(described) == [("+SUM(A1)", "s", True), ("-2", "s", True), ("@cmd", "s", True)]


def test_text_looking_like_a_link_or_a_number_stays_plain_text():
    table = Table([Column("说明")], [["http://example.com/x"], ["00123"], ["1e5"]])
    data = render_bytes(table, "xlsx")
    sheet = xlsx_sheet(data)
    assert [c.value for c in sheet["A"][2:]] == ["http://example.com/x", "00123", "1e5"]
    assert {c.data_type for c in sheet["A"][2:]} == {"s"}
    assert "hyperlink" not in _sheet_xml(data)
