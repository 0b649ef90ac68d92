"""The registries of core/extensions.py: page sections and notice kinds."""

from __future__ import annotations

import re
from pathlib import Path

from mofan.core.extensions import (
    NoticeKind,
    PageSection,
    Registry,
    notice_kinds,
    notice_label,
    sections_of,
)

ROOT = Path(__file__).resolve().parents[2] / "mofan"


def test_a_registry_keeps_order_and_registers_an_entry_once():
    registry: Registry[int] = Registry("numbers")
    for n in (3, 1, 3, 2):
        registry.register(n)
    assert list(registry) == [3, 1, 2]
    assert len(registry) == 3


def test_sections_are_ordered_and_a_none_context_leaves_a_section_out(monkeypatch):
    from mofan.core import extensions

    registry: Registry[PageSection] = Registry("page_sections")
    registry.register(PageSection("p", 20, "b.html", lambda **kw: {"n": kw["n"] + 1}))
    registry.register(PageSection("p", 10, "a.html", lambda **kw: {"n": kw["n"]}))
    registry.register(PageSection("p", 15, "skip.html", lambda **kw: None))
    registry.register(PageSection("other", 1, "x.html", lambda **kw: {}))
    monkeypatch.setattr(extensions, "page_sections", registry)
    assert sections_of("p", n=1) == [{"template": "a.html", "n": 1}, {"template": "b.html", "n": 2}]


def test_notice_labels_take_the_exact_kind_then_the_longest_family():
    assert notice_label("problem.due7") == "问题整改"
    assert notice_label("ledger.overdue") == "督办"
    assert notice_label("nothing.known") == ""
    assert {"problem.", "rereview.", "ledger.", "yellow_card."} <= {k.kind for k in notice_kinds}


def test_an_exact_kind_wins_over_its_family(monkeypatch):
    from mofan.core import extensions

    registry: Registry[NoticeKind] = Registry("notice_kinds")
    registry.register(NoticeKind("problem.", "整改"))
    registry.register(NoticeKind("problem.overdue", "逾期"))
    monkeypatch.setattr(extensions, "notice_kinds", registry)
    assert notice_label("problem.overdue") == "逾期"
    assert notice_label("problem.due1") == "整改"


def test_every_kind_of_notice_the_code_sends_is_registered():
    """Every `kind=` passed to notify() in the source has a label in the notice list."""
    kinds = set()
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts or "devtools" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "notify(" not in text:
            continue
        for match in re.finditer(r'\bkind=f?"([a-z_]+\.[a-z_0-9{}]*)"', text):
            kinds.add(match.group(1).split("{")[0])
    assert len(kinds) >= 10, kinds  # the scan finds the kinds (it cannot pass by finding none)
    unlabelled = sorted(k for k in kinds if not notice_label(k if not k.endswith(".") else k + "x"))
    assert unlabelled == []
