"""The indicator file format as an Excel workbook (docs/indicator-format.md): a sheet 体系 with
the system's fields and a sheet 指标 with one row per node in tree order. It reads and writes
the same `Document` as the YAML form in `fileformat`, so export → import → export gives the
same cells."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from mofan.indicators.fileformat import (
    LINE,
    TOP_KEYS,
    Document,
    FormatError,
    canonical,
    from_plain,
    is_number,
    number,
    to_plain,
)
from mofan.indicators.tree import walk
from mofan.indicators.validation import Problem

NODE_COLUMNS = [
    "编码",
    "层级",
    "标题",
    "考核标准",
    "分值",
    "评分方法",
    "参数",
    "佐证材料",
    "须附佐证",
    "权重",
    "分值单独设定",
    "量化规则",
    "备注",
    "其他",
]


def _json(value: Any) -> str:
    return json.dumps(canonical(value), ensure_ascii=False, separators=(",", ":")) if value else ""


def dump_xlsx(doc: Document) -> bytes:
    from openpyxl import Workbook

    from mofan.core.xlsx import keep_text

    book = Workbook()
    info = book.active
    assert info is not None
    info.title = "体系"
    plain = to_plain(doc)
    for key in TOP_KEYS:
        if key in plain:
            value = plain[key]
            info.append([key, _json(value) if isinstance(value, list | dict) else value])
    for key in sorted(doc.extra):
        # Always JSON (even "", 0 or a plain string) so the value comes back with its type.
        info.append(
            [key, json.dumps(canonical(doc.extra[key]), ensure_ascii=False, separators=(",", ":"))]
        )
    sheet = book.create_sheet("指标")
    sheet.append(NODE_COLUMNS)
    for node, depth in walk(doc.roots):
        params = {k: v for k, v in node.method.items() if k != "type"}
        sheet.append(
            [
                node.code,
                depth + 1,
                node.title,
                node.criteria,
                number(node.points),
                node.method_type,
                _json(params),
                node.evidence,
                "是" if node.evidence_required else "",
                number(node.weight),
                "是" if node.override_points else "",
                _json(node.rules),
                node.note,
                _json(node.extra),
            ]
        )
    keep_text(info)
    keep_text(sheet)
    sheet.freeze_panes = "A2"
    for col, width in zip(
        "ABCDEFGHIJKLMN", (10, 6, 40, 60, 8, 12, 30, 20, 8, 6, 10, 30, 20, 10), strict=True
    ):
        sheet.column_dimensions[col].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class _CellError(ValueError):
    pass


def _level(value: Any) -> int:
    if is_number(value) and value == int(value) and value >= 1:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and int(value) >= 1:
        return int(value)
    raise _CellError(_("“层级”应为 1 或更大的整数。"))


def _json_cell(value: Any, column: str, kind: type) -> Any:
    if value in (None, ""):
        return kind()
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, kind):
        raise _CellError(_("“%(c)s”列不是有效的 JSON。") % {"c": column})
    return parsed


def parse_xlsx(content: bytes) -> Document:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FormatError([Problem("-", _("无法读取该 Excel 文件。"))]) from exc
    if "体系" not in book.sheetnames or "指标" not in book.sheetnames:
        raise FormatError([Problem("-", _("Excel 文件须包含“体系”和“指标”两个工作表。"))])
    problems: list[Problem] = []
    top = _read_system_sheet(book["体系"], problems)
    rows = book["指标"].iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or list(header[: len(NODE_COLUMNS)]) != NODE_COLUMNS:
        raise FormatError(
            [Problem("-", _("“指标”表的表头应为：%(h)s。") % {"h": " | ".join(NODE_COLUMNS)}, 1)]
        )
    roots = _read_node_rows(rows, problems)
    if problems:
        raise FormatError(problems)
    top["nodes"] = roots
    for key in ("year", "version"):
        if isinstance(top.get(key), str) and top[key].isdigit():
            top[key] = int(top[key])
    return from_plain(top)


def _read_system_sheet(sheet: Any, problems: list[Problem]) -> dict[str, Any]:
    """The sheet 体系 as the document's top-level keys; a broken JSON value goes to `problems`."""
    top: dict[str, Any] = {}
    for number_, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if not row or row[0] is None:
            continue
        key, value = str(row[0]), row[1] if len(row) > 1 else None
        if key == "phases" or (key not in TOP_KEYS and isinstance(value, str)):
            try:
                value = json.loads(value) if value else ([] if key == "phases" else "")
            except (json.JSONDecodeError, TypeError):
                if key == "phases" or str(value)[:1] in "[{":
                    problems.append(
                        Problem("-", _("“体系”表第 %(n)d 行的 JSON 无效。") % {"n": number_})
                    )
                # otherwise an extra key typed as plain text: kept as that text
        top[key] = "" if value is None else value
    return top


def _read_node_rows(
    rows: Iterable[tuple[Any, ...]], problems: list[Problem]
) -> list[dict[str, Any]]:
    """The rows of the sheet 指标 (after its header) nested by their level into plain nodes;
    a bad cell or a level that skips one goes to `problems` and the row is left out."""
    stack: list[tuple[int, dict[str, Any]]] = []
    roots: list[dict[str, Any]] = []
    for line, row in enumerate(rows, start=2):
        cells = list(row) + [None] * (len(NODE_COLUMNS) - len(row))
        if all(c in (None, "") for c in cells):
            continue
        try:
            depth, node = _node_from_cells(cells[: len(NODE_COLUMNS)], line)
        except _CellError as exc:
            problems.append(Problem(str(cells[0] or "-"), str(exc), line))
            continue
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if depth == 1:
            roots.append(node)
        elif stack and stack[-1][0] == depth - 1:
            stack[-1][1]["children"].append(node)
        else:
            problems.append(Problem(node["code"] or "-", _("层级不连续。"), line))
            continue
        stack.append((depth, node))
    return roots


def _node_from_cells(cells: list[Any], line: int) -> tuple[int, dict[str, Any]]:
    """One row of the sheet 指标 as its level and a plain node (without children yet)."""
    (
        code,
        level,
        title,
        criteria,
        points,
        method,
        params,
        evidence,
        required,
        weight,
        override,
        rules,
        note,
        extra,
    ) = cells
    depth = _level(level)
    method_map = {"type": method, **_json_cell(params, "参数", dict)}
    node: dict[str, Any] = {
        "code": "" if code is None else str(code),
        "title": "" if title is None else str(title),
        "points": points if points not in ("",) else None,
        "method": method_map,
        LINE: line,
    }
    if criteria:
        node["criteria"] = str(criteria)
    if evidence:
        node["evidence"] = str(evidence)
    if required == "是":
        node["evidence_required"] = True
    if weight not in (None, "", 1):
        node["weight"] = weight
    if override == "是":
        node["override_points"] = True
    if rules:
        node["rules"] = _json_cell(rules, "量化规则", list)
    if note:
        node["note"] = str(note)
    if extra:
        node.update({k: v for k, v in _json_cell(extra, "其他", dict).items() if k not in node})
    node["children"] = []
    return depth, node
