"""The leaf rows built in Python (`mofan.evaluations.leaf_html`, issue 20 point 6): every value
escaped as a template would, the forms the row needs in each state, and the texts of the
evidence block. The pages that show them are tested in test_workpage.py, test_ledger_pages.py
and test_evidence_access.py; these tests need no database."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mofan.evaluations import leaf_html
from mofan.evaluations.evidence_views import LinkedFile
from mofan.evaluations.inputs import input_fields

HOSTILE = '<script>alert("x")</script>'


def node(**kw: Any) -> SimpleNamespace:
    base = {
        "pk": 7,
        "code": "1.2",
        "title": "理论学习",
        "points": Decimal("5.00"),
        "criteria": "",
        "evidence": "",
        "evidence_required": False,
    }
    return SimpleNamespace(**{**base, **kw})


def link(pk: int, name: str) -> LinkedFile:
    return LinkedFile(evidence_id=pk, name=name)


def ctx(*, editable: bool = True, filtered: bool = False, cap: int | None = None):
    return leaf_html.row_context(
        editable=editable,
        filtered=filtered,
        just_saved=False,
        evidence=leaf_html.evidence_context(
            enrollment_pk=3,
            can_edit=editable,
            next_url="/reviews/self/3/",
            cap=cap,
            csrf_token="TOKEN",
        ),
    )


def row(the_node: SimpleNamespace, *, score: Any = None, links=(), **kw: Any) -> dict[str, Any]:
    evidence = {
        "node": the_node,
        "links": list(links),
        "choices": None,
        "can_pick": True,
        "full": False,
        "error": "",
    }
    base = {
        "node": the_node,
        "score": score,
        "fields": input_fields({"type": "manual"}, the_node.points, None),
        "narrative": "",
        "version": "",
        "evidence": evidence,
        "ledger": {"figures": [], "suggested": None},
        "editable": True,
        "optional": False,
        "error": "",
        "pending": score is None,
        "collapsed": score is not None,
    }
    return {**base, **kw}


def test_every_value_is_escaped():
    leaf = node(title=HOSTILE, criteria=HOSTILE, evidence=HOSTILE)
    html = leaf_html.self_leaf_row(
        row(leaf, links=[link(11, HOSTILE)], narrative=HOSTILE, error=HOSTILE), ctx()
    )
    assert "<script>" not in html
    # title, criteria, evidence rule, error, narrative, the file's name and its unlink label
    assert html.count("&lt;script&gt;") == 7
    assert 'aria-label="取消关联 &lt;script&gt;' in html


def test_an_unsaved_row_is_an_open_form_with_the_token_and_the_save_url():
    html = leaf_html.self_leaf_row(row(node(), pending=True), ctx())
    assert html.startswith('<article class="leaf is-pending" id="leaf-1.2">')
    assert "<header><code>1.2</code> 理论学习 <small>（5 分）</small>" in html
    assert '<span class="badge badge-warning">未填</span>' in html
    assert 'action="/reviews/self/3/7/"' in html
    assert html.count('name="csrfmiddlewaretoken" value="TOKEN"') == 1
    assert 'name="unfilled"' not in html
    assert "<details" not in html


def test_a_saved_row_folds_and_counts_its_files():
    score = SimpleNamespace(score=Decimal("4.50"), level="", narrative="已落实")
    html = leaf_html.self_leaf_row(
        row(node(), score=score, links=[link(11, "a.pdf"), link(12, "b.pdf")]), ctx()
    )
    assert html.startswith('<article class="leaf is-done" id="leaf-1.2">')
    assert '<details class="leaf-fold"><summary><code>1.2</code>' in html
    assert "已填：4.50 分" in html  # floatformat:"-2", as the template had it
    assert '<small class="fold-hint">佐证 2 份 · 点开修改</small></summary>' in html
    assert html.rstrip().endswith("</details>\n</article>")
    # one unlink form per file, each with the token, plus the save form
    assert html.count('name="csrfmiddlewaretoken"') == 3
    assert '<a href="/evidence/11/download/">a.pdf</a>' in html


def test_the_filter_is_kept_by_the_form_and_read_only_rows_have_none():
    filtered = leaf_html.self_leaf_row(row(node()), ctx(filtered=True))
    assert '<input type="hidden" name="unfilled" value="1">' in filtered
    score = SimpleNamespace(score=Decimal("3"), level="", narrative="")
    shown = leaf_html.self_leaf_row(row(node(), score=score), ctx(editable=False))
    assert "<form" not in shown
    assert "关联佐证材料" not in shown


def test_the_evidence_block_offers_what_the_state_allows():
    ev = ctx(cap=2).evidence
    leaf = node(evidence_required=True)
    empty = {"node": leaf, "links": [], "choices": None, "can_pick": False, "full": False}
    assert "须附佐证，尚未关联" in leaf_html.node_evidence(empty, ev)
    assert "材料库中没有可关联的文件" in leaf_html.node_evidence(empty, ev)
    full = {**empty, "links": [link(1, "a"), link(2, "b")], "full": True}
    assert "本指标最多可关联 2 份佐证材料，已达上限。" in leaf_html.node_evidence(full, ev)
    pick = {**empty, "can_pick": True}
    assert "?enrollment=3&amp;node=7&amp;next=/reviews/self/3/" in leaf_html.node_evidence(pick, ev)
    files = [SimpleNamespace(pk=5, original_name=HOSTILE)]
    chooser = leaf_html.node_evidence({**empty, "choices": files}, ev)
    assert '<option value="5">&lt;script&gt;' in chooser


def test_fields_mark_the_control_at_fault():
    fields = input_fields({"type": "manual"}, Decimal("5"), {"value": "9"})
    fields[0]["error"] = True
    html = leaf_html.leaf_fields(fields)
    assert 'value="9"' in html
    assert 'max="5"' in html
    assert 'aria-invalid="true" autofocus' in html


def test_ledger_figures_are_listed_with_the_records_link():
    ledger = {
        "figures": [
            {
                "label": "集中学习",
                "rule": "每月1次",
                "result": "9/12",
                "met": False,
                "applies": True,
                "short": ["一支部", HOSTILE],
                "more_short": 3,
                "score": "2.5",
            }
        ],
        "suggested_text": "2.5 分",
        "prefilled": True,
        "override": "",
        "records": 12,
    }
    html = leaf_html.leaf_ledger(ledger, 7, 3)
    assert '<li class="is-short">' in html
    assert "未达到：一支部、&lt;script&gt;" in html
    assert "等，另有 3 项" in html
    assert "（折合 2.5 分）" in html
    assert "查看依据的台账记录（12 条）" in html
    assert leaf_html.leaf_ledger({"figures": []}, 7, 3) == ""


@given(
    value=st.one_of(
        st.integers(min_value=-(10**30), max_value=10**30),
        st.decimals(allow_nan=False, allow_infinity=False, places=None),
        st.decimals(min_value=-1000, max_value=1000, places=2),
        st.booleans(),
        st.none(),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    language=st.sampled_from(["zh-hans", "en", "de"]),
    grouping=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_a_value_shows_as_a_template_localizes_it(value: Any, language: str, grouping: bool):
    """`_n`'s fast paths for integers and decimals give the text Django's `localize` gives, in
    a language whose decimal separator is not "." too, and with thousands grouping on."""
    from django.test import override_settings
    from django.utils import translation
    from django.utils.formats import localize
    from django.utils.html import conditional_escape

    with translation.override(language), override_settings(USE_THOUSAND_SEPARATOR=grouping):
        assert leaf_html._n(value) == str(conditional_escape(localize(value)))
