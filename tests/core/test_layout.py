"""The house rules of docs/architecture.md that a linter does not check: no private name is
imported from another module, a module stays under ~600 lines and a function under ~80."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "mofan"
MODULE_LINES = 600
FUNCTION_LINES = 80
LONG_MODULES: set[str] = set()  # a module allowed over the limit must say why here


def _modules() -> list[tuple[str, ast.Module, int]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found.append((path.relative_to(ROOT).as_posix(), ast.parse(text), text.count("\n")))
    return found


def test_the_scan_reads_the_project():
    assert len(_modules()) > 200


def test_no_private_name_is_imported_from_another_module():
    imported = [
        f"{name}: from {node.module} import {alias.name}"
        for name, tree, _lines in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mofan")
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert imported == []


def test_modules_stay_under_600_lines():
    long = [
        f"{name}: {lines}"
        for name, _tree, lines in _modules()
        if lines > MODULE_LINES and name not in LONG_MODULES
    ]
    assert long == []


def test_functions_stay_under_80_lines():
    long = [
        f"{name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})"
        for name, tree, _lines in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > FUNCTION_LINES
    ]
    assert long == []


# Public functions that audit but run inside their caller's transaction, or write nothing else.
AUDITED_OUTSIDE_ATOMIC = {
    "evaluations/score_write.py:score_row_save",  # called by the atomic self/review/re-review saves
    "reports/views_exports.py:job_download",  # a view: the download's audit entry is its only write
    "reports/views_documents.py:programme_document",  # the same: its audit entry is its only write
    "reports/views_issuing.py:issued_download",  # the same: its audit entry is its only write
}


def test_every_public_write_that_audits_is_atomic():
    """A write and its audit entry commit together: every public function that calls
    audit_record runs in `transaction.atomic` (decorator or block), so splitting a helper out of
    a service cannot silently drop its transaction."""
    loose = []
    for name, tree, _lines in _modules():
        if name.startswith("devtools/"):
            continue
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            called = {
                getattr(call.func, "id", None) or getattr(call.func, "attr", None)
                for call in ast.walk(node)
                if isinstance(call, ast.Call)
            }
            if not called & {"audit_record", "audit_record_many"}:
                continue
            atomic = any("atomic" in ast.unparse(d) for d in node.decorator_list) or any(
                isinstance(block, ast.With) and "atomic" in ast.unparse(block)
                for block in ast.walk(node)
            )
            if not atomic and f"{name}:{node.name}" not in AUDITED_OUTSIDE_ATOMIC:
                loose.append(f"{name}:{node.name}")
    assert loose == []


CLOCK_READS = {"localdate", "localtime", "now", "today"}


def test_no_test_module_reads_the_clock_when_imported():
    """A date read at import time goes stale when the suite crosses midnight in the site's time
    zone (16:00 UTC for Asia/Shanghai): the PostgreSQL pass of CI collected its modules before
    midnight and ran the yellow-card tests after it, so `lifted_on=TODAY` fell before the card's
    `issued_on`. Fixed dates or a `today()` read at use time hold whenever the suite runs."""
    tests_root = ROOT.parent / "tests"
    stale = []
    for path in sorted(tests_root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in CLOCK_READS
                ):
                    stale.append(f"{path.relative_to(tests_root)}:{node.lineno}")
    assert stale == []


FIGURE_MODELS = {"UnitTotals", "UnitResult", "ResultSummary"}
WRITES = {
    "create",
    "bulk_create",
    "bulk_update",
    "update",
    "delete",
    "update_or_create",
    "get_or_create",
    "save",
    "_meta",
}


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def test_only_the_figures_package_writes_the_stored_figures():
    """`UnitTotals`, `UnitResult` and `ResultSummary` are written by `evaluations.figures` only
    (issue 13): a manager call that writes, a constructor or a raw table name elsewhere is a
    second writer. Reads (filter, get, values…) are anyone's."""
    found = []
    for name, tree, _lines in _modules():
        if name.startswith("evaluations/figures/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in FIGURE_MODELS:
                    found.append(f"{name}:{node.lineno} {node.func.id}(...)")
            elif isinstance(node, ast.Attribute) and node.attr in WRITES:
                root = _root_name(node.value)
                if root in FIGURE_MODELS:
                    found.append(f"{name}:{node.lineno} {root}….{node.attr}")
    assert found == []
