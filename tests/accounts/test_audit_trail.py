"""The auditor's trail reads as Chinese (issue 14, point 10): each action by the label its app
registered (core.extensions.audit_actions), the data column in brief with the full data a click
away, the filter folded until it is used; and every action the code writes has a label."""

from __future__ import annotations

import pathlib
import re

import pytest
from django.apps import apps
from django.urls import reverse

from mofan.accounts.selectors_audit import object_label
from mofan.audit.services import audit_record
from mofan.core.extensions import audit_action_label
from tests.world import logged_in

pytestmark = pytest.mark.django_db

MOFAN = pathlib.Path(__file__).resolve().parents[2] / "mofan"
CODE = r'"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"'
# The ways the code names the action it audits: a keyword, a dict key, a (create, update)
# pair, and the helpers that pass theirs on.
WRITTEN = [
    re.compile(r"\baction=" + CODE),
    re.compile(r'"action":\s*' + CODE),
    re.compile(r"\bactions=\(" + CODE + r",\s*" + CODE + r"\)"),
    re.compile(r"_audit_node\(\s*" + CODE),
    re.compile(r"_audit_refusal\(request,\s*" + CODE),
    re.compile(r"\baction = " + CODE),
]
FAMILY = re.compile(r'\baction=f"([a-z0-9_.]+\.)\{')


def written_actions() -> tuple[set[str], set[str]]:
    """The actions the production code writes, and the families it writes by pattern."""
    actions: set[str] = set()
    families: set[str] = set()
    for path in MOFAN.rglob("*.py"):
        if {"devtools", "migrations"} & set(path.parts):
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in WRITTEN:
            for match in pattern.finditer(text):
                actions.update(match.groups())
        families.update(FAMILY.findall(text))
    return actions, families


def test_every_action_the_code_writes_has_a_chinese_label():
    actions, families = written_actions()
    assert len(actions) > 80 and len(families) >= 5  # the scan finds them
    unnamed = sorted(a for a in actions | families if not audit_action_label(a))
    assert unnamed == []
    assert audit_action_label("account.login.success") == "登录成功"
    assert audit_action_label("enrollment.submit") == "提交自评"
    assert audit_action_label("ledger.something_new") == "督办"  # the family's label


def test_the_trail_shows_labels_a_compact_data_column_and_a_folded_filter(auditor):
    long = {"note": "很长的说明" * 20, "sha256": "0" * 64}
    audit_record(action="evidence.upload", actor_name="system", extra=long)
    audit_record(action="account.unlock", actor_name="verify_audit", extra={"n": 1})
    client = logged_in(auditor)
    body = client.get(reverse("audit:list")).content.decode()
    assert "登录成功" in body and "上传佐证材料" in body and "解除锁定" in body
    for code in ("account.login.success", "evidence.upload"):
        assert f">{code}<" not in body  # the code only as the cell's tooltip
    assert 'title="evidence.upload"' in body
    assert "<td>system</td>" not in body and "<td>系统</td>" in body
    assert "<td>verify_audit</td>" not in body and "<td>系统（审计校验）</td>" in body
    # long data: a brief summary that opens to the whole; short data: as it is
    assert '<td class="audit-data"><details><summary>note: 很长的说明' in body
    assert "…</summary><pre>{\n" in body and "0" * 64 in body
    assert "<small>n: 1</small>" in body
    # the filter is folded away until it is used
    assert '<details class="audit-filter">' in body
    assert 'list="audit-actions"' in body and '<option value="account.">账号操作</option>' in body
    filtered = client.get(reverse("audit:list"), {"action": "evidence."}).content.decode()
    assert '<details class="audit-filter" open>' in filtered
    assert 'title="evidence.upload"' in filtered and 'title="account.unlock"' not in filtered


def test_every_object_the_trail_can_name_is_named_in_chinese():
    models = [m for m in apps.get_models() if m.__module__.startswith("mofan.")]
    english = sorted(
        m._meta.label_lower for m in models if object_label(m._meta.label_lower).isascii()
    )
    assert english == []
