"""The CSV renderer: UTF-8 with BOM (Chinese is not garbled in Excel/WPS), numbers plain and
unquoted, dates as ISO text, formula neutralisation like the xlsx renderer."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from mofan.core.exports.base import Column
from mofan.organizations.models import Unit
from mofan.reports.exporters.ranking import RankingExporter
from mofan.reports.render import render
from tests.reports.table_fixtures import Table, approved_world, csv_rows, render_bytes

INJECTIONS = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\t=1+1", "\r=1+1"]


def test_csv_starts_with_the_bom_and_round_trips_chinese():
    table = Table(
        [Column("单位"), Column("说明")], [["焦作市直机关工委", "模范机关创建（“三表率一模范”）"]]
    )
    data = render_bytes(table, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8") == (
        "单位,说明\r\n焦作市直机关工委,模范机关创建（“三表率一模范”）\r\n"
    )


def test_formula_like_text_is_neutralised_and_numbers_stay_plain():
    columns = [Column("文本"), Column("分", "number")]
    rows = [[text, Decimal("-2")] for text in INJECTIONS]
    rows.append(["达标", "+SUM(A1)"])
    rows.append(["x", "达标"])
    text = render_bytes(Table(columns, rows), "csv").decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[1:] == [
        ["'=1+1", "-2"],
        ["'+SUM(A1)", "-2"],
        ["'-2", "-2"],
        ["'@cmd", "-2"],
        ["'\t=1+1", "-2"],
        ["'\r=1+1", "-2"],
        ["达标", "'+SUM(A1)"],
        ["x", "达标"],
    ]
    lines = text.split("\r\n")
    assert lines[1] == "'=1+1,-2"  # the number is not quoted


def test_numbers_percentages_and_dates_are_written_plain():
    moment = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 30))
    columns = [
        Column("分", "number"),
        Column("名次", "integer"),
        Column("比例", "percent"),
        Column("日期", "date"),
        Column("时间", "date"),
        Column("否决"),
    ]
    rows = [
        [Decimal("27.00"), 1, Decimal("0.855"), datetime.date(2026, 3, 2), moment, True],
        [Decimal("8.50"), None, Decimal("1"), None, None, False],
        [Decimal("1E+1"), "前 25%", 0.5, "", "", None],
    ]
    text = render_bytes(Table(columns, rows), "csv").decode("utf-8-sig")
    local = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    assert text.split("\r\n")[1:] == [
        f"27,1,85.5%,2026-03-02,{local},是",
        "8.5,,100%,,,否",
        "10,前 25%,50%,,,",
        "",
    ]


def test_the_callers_stream_stays_open_and_progress_is_reported():
    stream = io.BytesIO()
    calls = []
    table = Table([Column("n", "integer")], [[n] for n in range(3)])
    render(table, "csv", stream, lambda done, total: calls.append((done, total)))
    assert not stream.closed
    stream.write(b"#")
    assert stream.getvalue().endswith(b"2\r\n#")
    assert calls == [(3, 3)]


@pytest.mark.django_db
def test_the_ranking_as_csv_neutralises_a_unit_name_and_keeps_chinese():
    world = approved_world()
    Unit.objects.filter(pk=world.unit_c.pk).update(name="@cmd 丙")
    rows = csv_rows(RankingExporter(campaign=world.campaign, actor=world.actor("committee_admin")))
    assert rows[0][:3] == ["名次", "单位", "政治建设"]
    assert rows[3][:2] == ["3", "'@cmd 丙"]
    assert rows[1][:7] == ["1", "甲单位", "17", "10", "24", "27", "27"]
