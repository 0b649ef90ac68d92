"""Reading and writing the `mofan-indicators/1` format (docs/indicator-format.md) as YAML and
xlsx. Pure functions over plain data: parsing reports every error with its line or row, writing
is deterministic so export → import → export gives the same bytes (YAML) or cells (xlsx)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import yaml
from django.utils.translation import gettext as _

from mofan.indicators.tree import NODE_FIELDS, NodeData
from mofan.indicators.validation import Problem, validate_tree

FORMAT = "mofan-indicators/1"
TOP_KEYS = (
    "format",
    "slug",
    "name",
    "issuer",
    "year",
    "version",
    "description",
    "source",
    "scoring",
    "cadence",
    "phases",
)
NODE_KEYS = ("code", *NODE_FIELDS, "children")
LINE = "__line__"


@dataclass
class Document:
    """One indicator-system version as plain data."""

    slug: str
    name: str
    issuer: str
    year: int
    version: int
    roots: list[NodeData]
    description: str = ""
    source: str = ""
    scoring: str = "points"
    cadence: str = ""
    phases: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class FormatError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@cache
def schema() -> dict[str, Any]:
    text = (
        resources.files("mofan.indicators")
        .joinpath("schema/indicator-system.schema.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


# --- canonical plain values -------------------------------------------------------------------

_FIRST = ("type", "key", "label", "name", "mode")


def canonical(value: Any) -> Any:
    """Mappings with a fixed key order (type/key/label first, then alphabetical), Decimals as
    plain numbers: the same data always serialises the same way."""
    if isinstance(value, Mapping):
        keys = [k for k in _FIRST if k in value] + sorted(k for k in value if k not in _FIRST)
        return {k: canonical(value[k]) for k in keys if k != LINE}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value.normalize())


def _strip(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _strip(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


# --- YAML -------------------------------------------------------------------------------------


# libyaml's loader when PyYAML was built with it (ten times faster); the same results.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    pass


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _mappings_along(data: Any, path: Iterable[Any]) -> Iterator[Mapping[str, Any]]:
    """The mappings met on the way down `path` into `data` (not `data` itself), as far as the
    path goes into the data."""
    current = data
    for step in path:
        try:
            current = current[step]
        except (KeyError, IndexError, TypeError):
            return
        if isinstance(current, Mapping):
            yield current


def _line_at(data: Any, path: Iterable[Any]) -> int | None:
    line = data.get(LINE) if isinstance(data, Mapping) else None
    for mapping in _mappings_along(data, path):
        if LINE in mapping:
            line = mapping[LINE]
    return line


def parse_yaml(text: str) -> Document:
    """Parse and check a YAML file; raise FormatError listing every problem with its line."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        detail = getattr(exc, "problem", None) or str(exc)
        if mark is not None:
            message = _("YAML 格式错误（第 %(c)d 列）：%(e)s") % {"c": mark.column + 1, "e": detail}
        else:
            message = _("YAML 格式错误：%(e)s") % {"e": detail}
        raise FormatError([Problem("-", message, line)]) from exc
    return from_plain(data)


def from_plain(data: Any) -> Document:
    """Check a parsed file against the schema and the tree rules; raise FormatError listing
    every problem (schema and tree alike, in line order), or return the document."""
    if not isinstance(data, Mapping):
        raise FormatError([Problem("-", _("文件内容应为一个映射（键值对）。"), 1)])
    problems: list[Problem] = []
    said: set[tuple[int | None, str]] = set()  # (line, field) the schema already complained of
    for error in sorted(
        jsonschema.Draft202012Validator(schema()).iter_errors(_strip(data)),
        key=lambda e: list(e.absolute_path).__repr__(),
    ):
        path = list(error.absolute_path)
        if _reported_by_tree(error, path):
            continue
        where = "/".join(str(p) for p in path) or "-"
        line = _line_at(data, path)
        problems.append(Problem(_code_at(data, path) or where, schema_message(error), line))
        said.update((line, f) for f in _node_fields(error, path) if f in _TREE_SAYS)
    # The tree is checked even when the schema found problems, so one pass lists them all
    # (less what the schema has already said about a node's code or title).
    roots = _build_nodes(data.get("nodes"))
    problems.extend(
        p
        for p in validate_tree(roots)
        if not any((p.line, f) in said and p.message == m for f, m in _TREE_SAYS.items())
    )
    if problems:
        raise FormatError(
            sorted(problems, key=lambda p: (p.line is None, p.line or 0))  # stable within a line
        )
    return Document(
        slug=data["slug"],
        name=data["name"],
        issuer=data["issuer"],
        year=int(data["year"]),
        version=int(data["version"]),
        roots=roots,
        description=str(data.get("description", "")),
        source=str(data.get("source", "")),
        scoring=str(data.get("scoring", "points")),
        cadence=str(data.get("cadence", "")),
        phases=_strip(data.get("phases", [])),
        extra={
            k: _strip(v) for k, v in data.items() if k not in TOP_KEYS and k not in ("nodes", LINE)
        },
    )


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _build_nodes(items: Any) -> list[NodeData]:
    """The tree as NodeData, built from the nesting (not from the codes, so a duplicate code
    cannot re-attach children elsewhere); tolerant of values the schema already reported."""
    order = 0

    def build(items: Any, parent: str | None) -> list[NodeData]:
        nonlocal order
        nodes = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, Mapping):
                continue
            order += 1
            points, weight, rules = item.get("points"), item.get("weight", 1), item.get("rules")
            node = NodeData(
                code=str(item.get("code", "")),
                title=str(item.get("title", "")),
                points=Decimal(str(points)) if is_number(points) else None,
                method=_strip(item["method"]) if isinstance(item.get("method"), Mapping) else {},
                parent=parent,
                criteria=str(item.get("criteria", "")),
                evidence=str(item.get("evidence", "")),
                evidence_required=bool(item.get("evidence_required", False)),
                weight=Decimal(str(weight)) if is_number(weight) else Decimal(1),
                override_points=bool(item.get("override_points", False)),
                rules=[dict(r) for r in _strip(rules) if isinstance(r, Mapping)]
                if isinstance(rules, list)
                else [],
                note=str(item.get("note", "")),
                extra={k: _strip(v) for k, v in item.items() if k not in NODE_KEYS and k != LINE},
                order=order,
                line=item.get(LINE),
            )
            node.children = build(item.get("children"), node.code)
            nodes.append(node)
        return nodes

    return build(items, None)


# What validate_tree says about a missing or empty code or title, which the schema says first.
_TREE_SAYS = {"code": "编码不能为空。", "title": "标题不能为空。"}


def _node_fields(error: jsonschema.ValidationError, path: list[Any]) -> list[str]:
    """The node's own fields a schema error is about (a missing one, or the one it is at)."""
    rest = _within_node(path)
    if rest is None:
        return []
    if error.validator == "required" and not rest:
        return [k for k in error.validator_value if k not in error.instance]
    return [str(rest[0])] if len(rest) == 1 else []


def _reported_by_tree(error: jsonschema.ValidationError, path: list[Any]) -> bool:
    """Schema violations that `validate_tree` reports more precisely, with the node's code:
    points that are negative or not a multiple of 0.5, a weight not above 0, an unknown method
    type. Reporting them twice would only confuse."""
    rest = _within_node(path)
    if rest is None:
        return False
    kind = error.validator
    if rest in (["points"], ["weight"]):
        return is_number(error.instance) and kind in (
            "oneOf",
            "minimum",
            "exclusiveMinimum",
            "multipleOf",
        )
    return rest == ["method", "type"] and kind == "enum"


def _within_node(path: list[Any]) -> list[Any] | None:
    """The part of a schema path below the innermost node, or None outside the node tree."""
    if len(path) < 2 or path[0] != "nodes" or not isinstance(path[1], int):
        return None
    position = 2
    while (
        position + 1 < len(path)
        and path[position] == "children"
        and isinstance(path[position + 1], int)
    ):
        position += 2
    return path[position:]


FIELD_NAMES = {
    "code": "编码",
    "title": "标题",
    "points": "分值",
    "method": "评分方法",
    "children": "下级",
    "slug": "标识",
    "name": "名称",
    "issuer": "发布单位",
    "year": "年度",
    "version": "版本号",
    "nodes": "指标",
    "format": "格式标识",
    "type": "方法类型",
    "bands": "等次",
    "rules": "规则",
    "label": "名称",
    "key": "标识",
    "threshold": "阈值",
    "cap": "上限",
}


def schema_message(error: jsonschema.ValidationError) -> str:
    """A Chinese message for a JSON Schema violation."""
    path = [p for p in error.absolute_path if isinstance(p, str)]
    field = FIELD_NAMES.get(path[-1], path[-1]) if path else ""
    prefix = f"“{field}”" if field else ""
    kind = error.validator
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        return _("缺少必填项“%(f)s”。") % {"f": FIELD_NAMES.get(missing, missing)}
    if kind == "minLength":
        return _("%(f)s不能为空。") % {"f": prefix}
    if kind == "minItems":
        return _("%(f)s至少需要一项。") % {"f": prefix}
    if kind == "type":
        return _("%(f)s的类型不对（应为 %(t)s）。") % {"f": prefix, "t": error.validator_value}
    if kind in ("enum", "const"):
        return _("%(f)s的取值无效。") % {"f": prefix}
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return _("%(f)s的数值超出允许范围。") % {"f": prefix}
    if kind == "multipleOf":
        return _("%(f)s应为 %(n)s 的整数倍。") % {"f": prefix, "n": error.validator_value}
    if kind == "pattern":
        return _("%(f)s的写法不符合要求。") % {"f": prefix}
    return _("%(f)s格式不符合要求。") % {"f": prefix}


def _code_at(data: Any, path: list[Any]) -> str | None:
    code = None
    for mapping in _mappings_along(data, path):
        if "code" in mapping:
            code = str(mapping["code"])
    return code


def node_plain(node: NodeData) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": node.code,
        "title": node.title,
        "points": number(node.points),
        "method": canonical(node.method),
    }
    if node.criteria:
        out["criteria"] = node.criteria
    if node.evidence:
        out["evidence"] = node.evidence
    if node.evidence_required:
        out["evidence_required"] = True
    if node.weight != 1:
        out["weight"] = number(node.weight)
    if node.override_points:
        out["override_points"] = True
    if node.rules:
        out["rules"] = canonical(node.rules)
    if node.note:
        out["note"] = node.note
    for key in sorted(node.extra):
        out[key] = canonical(node.extra[key])
    out["children"] = [node_plain(child) for child in node.children]
    return out


def to_plain(doc: Document) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": FORMAT,
        "slug": doc.slug,
        "name": doc.name,
        "issuer": doc.issuer,
        "year": doc.year,
        "version": doc.version,
    }
    for key in ("description", "source", "scoring", "cadence"):
        value = getattr(doc, key)
        if value:
            out[key] = value
    if doc.phases:
        out["phases"] = canonical(doc.phases)
    for key in sorted(doc.extra):
        out[key] = canonical(doc.extra[key])
    out["nodes"] = [node_plain(root) for root in doc.roots]
    return out


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(doc: Document) -> str:
    return yaml.dump(
        to_plain(doc),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
        indent=2,
    )
