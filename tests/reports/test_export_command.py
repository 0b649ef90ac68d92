"""`manage.py export` (issue 6 point 7): --list, every error path (Chinese message, exit status
1, no file), successful exports read back, the audit entry of every run, and no partial file
when rendering fails."""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from mofan.audit.models import AuditEntry
from mofan.core.exports import registry
from mofan.evaluations.models import UnitResult, UnitTotals
from mofan.reports.exporters.ranking import RankingExporter
from mofan.reports.management.commands.export import Command
from tests.factories import UnitFactory
from tests.reports.table_fixtures import approved_world, make_items

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("export", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def files(path) -> list[str]:
    return sorted(os.listdir(path))


def test_list_names_every_export_with_its_formats():
    lines = run("--list").splitlines()
    assert "ranking\t考评结果排名表\txlsx,csv" in lines
    assert "score_sheet\t考评得分表\txlsx,csv,docx,pdf\t按单位导出（--unit）" in lines
    assert "problem_list\t问题清单\txlsx,csv" in lines
    assert "supervision_ledger\t督办台账\txlsx,csv" in lines
    assert "evidence_index\t佐证材料索引\txlsx,csv" in lines
    # built from the registry: whatever is registered is listed, once
    assert len(lines) == len(registry.all_exports())


def test_a_ranking_exported_by_the_system_is_read_back_and_audited(tmp_path):
    world = approved_world()
    target = tmp_path / "排名.xlsx"
    out = run(str(world.campaign.pk), "ranking", "--format", "xlsx", "-o", str(target))
    assert "3 行" in out
    assert files(tmp_path) == ["排名.xlsx"]
    sheet = load_workbook(target).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == f"{world.campaign.name} 考评结果排名表"
    assert rows[1][:3] == ["名次", "单位", "政治建设"]
    assert [r[:2] for r in rows[2:]] == [[1, "甲单位"], [2, "乙单位"], [3, "丙单位"]]
    assert sheet.freeze_panes == "A3"
    entry = AuditEntry.objects.filter(action="report.export").get()
    assert (entry.actor_id, entry.actor_name, entry.result) == (None, "system", "success")
    assert entry.committee_id == world.committee.pk
    assert entry.object_id == str(world.campaign.pk)
    assert entry.data["extra"] == {
        "export": "ranking",
        "format": "xlsx",
        "unit": None,
        "via": "command",
        "rows": 3,
        "file": "排名.xlsx",
    }


def test_a_unit_score_sheet_as_a_user_with_today(tmp_path):
    world = approved_world(publish=True)
    target = tmp_path / "sheet.csv"
    owner = world.user("owner")
    args = [str(world.campaign.pk), "score_sheet", "--unit", str(world.unit_a.pk)]
    run(*args, "--format", "csv", "-o", str(target), "--user", owner.username)
    text = target.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    lines = text.decode("utf-8-sig").splitlines()
    assert lines[0] == "指标编码,指标名称,分值,评分方法,自评,最终得分,评语"
    assert lines[2] == "1.1,理论学习,10,打分,8,8.5,组长意见"
    entry = AuditEntry.objects.filter(action="report.export").get()
    assert (entry.actor_id, entry.actor_name) == (owner.pk, owner.username)
    assert entry.data["extra"]["unit"] == world.unit_a.pk


def test_today_sets_the_overdue_flags(tmp_path):
    world = approved_world()
    make_items(world)
    target = tmp_path / "problems.csv"
    base = [str(world.campaign.pk), "problem_list", "--format", "csv", "-o", str(target)]
    run(*base, "--today", "2026-03-02")
    overdue = [line.split(",")[9] for line in target.read_text("utf-8-sig").splitlines()[1:]]
    assert overdue == ["否", "是", "否", "否"]
    run(*base, "--today", "2026-01-01")
    overdue = [line.split(",")[9] for line in target.read_text("utf-8-sig").splitlines()[1:]]
    assert overdue == ["否", "否", "否", "否"]


def _refused(tmp_path, *args: str, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert message in str(caught.value)
    assert files(tmp_path) == []


def test_every_error_is_a_chinese_message_and_writes_nothing(tmp_path):
    world = approved_world()
    campaign = str(world.campaign.pk)
    out = str(tmp_path / "x.xlsx")
    _refused(tmp_path, message="请指定创建活动编号和报表标识")
    _refused(tmp_path, campaign, message="请指定创建活动编号和报表标识")
    _refused(
        tmp_path, campaign, "nope", "--format", "xlsx", "-o", out, message="没有标识为“nope”的报表"
    )
    _refused(tmp_path, campaign, "ranking", "-o", out, message="请用 --format 指定格式")
    _refused(tmp_path, campaign, "ranking", "--format", "ods", "-o", out, message="不支持 ods 格式")
    _refused(
        tmp_path, campaign, "ranking", "--format", "docx", "-o", out, message="不支持 docx 格式"
    )
    _refused(tmp_path, campaign, "ranking", "--format", "xlsx", message="请用 -o 指定输出文件")
    _refused(
        tmp_path,
        campaign,
        "ranking",
        "--format",
        "xlsx",
        "-o",
        str(tmp_path / "missing" / "x.xlsx"),
        message="输出目录不存在",
    )
    _refused(
        tmp_path,
        "99999",
        "ranking",
        "--format",
        "xlsx",
        "-o",
        out,
        message="没有编号为 99999 的创建活动",
    )
    _refused(
        tmp_path, "abc", "ranking", "--format", "xlsx", "-o", out, message="创建活动编号应为整数"
    )
    _refused(
        tmp_path,
        campaign,
        "score_sheet",
        "--format",
        "xlsx",
        "-o",
        out,
        message="请用 --unit 指定单位",
    )
    other_unit = str(world.ex.unit_id)
    _refused(
        tmp_path,
        campaign,
        "score_sheet",
        "--unit",
        other_unit,
        "--format",
        "xlsx",
        "-o",
        out,
        message=f"没有编号为 {other_unit} 的单位",
    )
    late = UnitFactory(committee=world.committee, name="未参加单位")
    _refused(
        tmp_path,
        campaign,
        "score_sheet",
        "--unit",
        str(late.pk),
        "--format",
        "xlsx",
        "-o",
        out,
        message="没有编号为",
    )
    _refused(
        tmp_path,
        campaign,
        "ranking",
        "--format",
        "xlsx",
        "-o",
        out,
        "--user",
        "nobody",
        message="没有用户名为 nobody 的账号",
    )
    _refused(
        tmp_path,
        campaign,
        "problem_list",
        "--format",
        "csv",
        "-o",
        out,
        "--today",
        "2026/3/2",
        message="--today 的格式",
    )
    assert not AuditEntry.objects.filter(action="report.export").exists()


def test_a_refusal_is_audited_and_writes_nothing(tmp_path):
    world = approved_world()  # not published: the unit may not export its score sheet yet
    owner = world.user("owner")
    args = [str(world.campaign.pk), "score_sheet", "--unit", str(world.unit_a.pk)]
    _refused(
        tmp_path,
        *args,
        "--format",
        "xlsx",
        "-o",
        str(tmp_path / "x.xlsx"),
        "--user",
        owner.username,
        message="无权导出",
    )
    args = [str(world.campaign.pk), "score_sheet", "--unit", str(world.unit_b.pk)]
    _refused(
        tmp_path,
        *args,
        "--format",
        "xlsx",
        "-o",
        str(tmp_path / "x.xlsx"),
        "--user",
        owner.username,
        message="无权导出",
    )
    entries = list(AuditEntry.objects.filter(action="report.export").order_by("id"))
    assert [(e.actor_id, e.result) for e in entries] == [(owner.pk, "denied"), (owner.pk, "denied")]


def test_the_command_line_exits_with_status_1(tmp_path, capsys):
    world = approved_world()
    argv = [
        "manage.py",
        "export",
        str(world.campaign.pk),
        "nope",
        "--format",
        "xlsx",
        "-o",
        str(tmp_path / "x.xlsx"),
    ]
    with pytest.raises(SystemExit) as caught:
        Command().run_from_argv(argv)
    assert caught.value.code == 1
    assert "没有标识为“nope”的报表" in capsys.readouterr().err
    assert files(tmp_path) == []


def test_a_failure_while_rendering_leaves_no_partial_file(tmp_path, monkeypatch):
    world = approved_world()
    target = tmp_path / "ranking.csv"
    target.write_text("the previous export")

    def broken_rows(self):
        yield from [[1, "甲单位"]]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(RankingExporter, "rows", broken_rows)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(str(world.campaign.pk), "ranking", "--format", "csv", "-o", str(target))
    assert files(tmp_path) == ["ranking.csv"]
    assert target.read_text() == "the previous export"
    assert not AuditEntry.objects.filter(action="report.export").exists()


def test_a_document_refused_while_it_is_built_is_one_chinese_line_with_status_1(tmp_path, capsys):
    """The naming notice of a campaign without advanced units is refused by the document itself
    (ValidationError in build()): one line, exit status 1, no traceback, no file."""
    world = approved_world()
    UnitResult.objects.filter(campaign=world.campaign).update(advanced=False)
    UnitTotals.objects.filter(enrollment__campaign=world.campaign).update(advanced=False)
    argv = [
        "manage.py",
        "export",
        str(world.campaign.pk),
        "naming_notice",
        "--format",
        "docx",
        "-o",
        str(tmp_path / "x.docx"),
    ]
    with pytest.raises(SystemExit) as caught:
        Command().run_from_argv(argv)
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.strip()] == [
        "CommandError: 本次考评没有评出先进单位。"
    ]
    assert files(tmp_path) == []
