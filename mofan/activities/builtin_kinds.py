"""The built-in kinds of record (issue 15 point 1), shared by every committee: loaded by the data
migration 0002 and kept here so a test can hold the database to them."""

from __future__ import annotations

from typing import Any

# code, name, group, attendance, absence_reasons, hours, theory_flag
BUILTIN_KINDS: list[tuple[str, str, str, str, bool, str, bool]] = [
    ("party-congress", "党员大会", "三会一课", "roster", True, "none", False),
    ("branch-committee", "支委会", "三会一课", "roster", True, "none", False),
    ("group-meeting", "党小组会", "三会一课", "roster", True, "none", False),
    ("party-lecture", "党课", "三会一课", "roster", True, "optional", True),
    ("theme-day", "主题党日", "组织生活", "roster", True, "none", False),
    ("first-topic", "第一议题", "学习", "roster", True, "optional", True),
    ("central-group", "中心组学习", "学习", "roster", True, "optional", True),
    ("collective-study", "集体学习", "学习", "roster", True, "optional", True),
    ("special-study", "专题研究", "研究", "roster", True, "none", False),
    ("contact-visit", "联系点调研", "调研", "person", False, "none", False),
    ("volunteer", "志愿服务", "服务", "person", False, "optional", False),
    ("heart-talk", "谈心谈话", "组织生活", "person", False, "none", False),
    ("democratic-review", "民主评议党员", "组织生活", "roster", True, "none", False),
    ("training", "培训", "培训", "person", False, "required", True),
    ("article", "调研文章", "调研", "person", False, "none", False),
    ("life-report", "组织生活情况通报", "组织生活", "none", False, "none", False),
    ("sihua-check", "“四化”党支部达标验收", "支部建设", "none", False, "none", False),
]


def kind_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "name": name,
            "group": group,
            "attendance": attendance,
            "absence_reasons": reasons,
            "hours": hours,
            "theory_flag": theory,
            "sort_order": (index + 1) * 10,
        }
        for index, (code, name, group, attendance, reasons, hours, theory) in enumerate(
            BUILTIN_KINDS
        )
    ]


def load_builtin_kinds(model: Any) -> None:
    """Write the built-in kinds into `model` (ActivityKind, or its historical model in the data
    migration), updating any that exist; a database emptied by a flush gets them back."""
    for row in kind_rows():
        model.objects.update_or_create(
            committee=None, code=row["code"], defaults={k: v for k, v in row.items() if k != "code"}
        )
