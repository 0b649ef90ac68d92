"""The five seed plans imported as documents give the built-in templates' trees: the same
structure (codes), the same points, the same kind of method per node (the templates are the
reference). No difference remains in these; the one reasoned difference is in the phases'
keys (see test_phases_are_read_from_the_steps_section). Titles are not compared: the templates
shortened some by hand (乐清's types are 政治型机关 where the table says 政治型)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from mofan.indicators.builtin import SLUGS, builtin_document
from mofan.indicators.doc_import.draft import propose
from mofan.indicators.fileformat import parse_yaml
from mofan.indicators.models import IndicatorSystem
from mofan.indicators.selectors import nodes_of
from mofan.indicators.tree import NodeData, walk

SEEDS = Path(__file__).parent / "seeds"


def shape(roots: list[NodeData]) -> list[tuple[str, object, str]]:
    return [(n.code, n.points, "parent" if n.children else n.method_type) for n, _d in walk(roots)]


def seed_text(slug: str) -> str:
    return (SEEDS / f"{slug}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("slug", SLUGS)
def test_seed_imports_to_the_template_tree(slug):
    proposal = propose(seed_text(slug))
    got = shape(proposal.document.roots)
    want = shape(builtin_document(slug).roots)
    assert got == want
    assert proposal.mismatches == []


def test_seed_trees_equal_what_load_templates_stores(db):
    """The reference is what `load_templates` builds in the database, not only the files."""
    call_command("load_templates", stdout=io.StringIO())
    for slug in SLUGS:
        version = IndicatorSystem.objects.get(slug=slug, committee=None).versions.get()
        stored = shape(nodes_of(version))
        assert shape(propose(seed_text(slug)).document.roots) == stored, slug


def test_yueqing_reads_the_bands_of_its_note_and_the_per_incident_deductions():
    doc = propose(seed_text("yueqing-2020")).document
    nodes = {n.code: n for n, _d in walk(doc.roots)}
    assert (
        nodes["1.1.1"].method["bands"]
        == builtin_document("yueqing-2020").roots[0].children[0].children[0].method["bands"]
    )
    # 一般扣3-5分 on a 4-point item takes at most its 4 points, as the template notes
    assert nodes["2.3.5"].method["bands"][2]["deduct"] == [3, 4]
    deduction = nodes["4.1.4"].method
    assert deduction["type"] == "deduction"
    assert [r["per_incident"] for r in deduction["rules"]] == [1, 0.5, 5, 3, 2, 1]
    assert sum(n.points for n in doc.roots) == 500


def test_xinzhou_volunteer_threshold_is_a_candidate_rule():
    doc = propose(seed_text("xinzhou-2022")).document
    nodes = {n.code: n for n, _d in walk(doc.roots)}
    (rule,) = nodes["4.3"].rules
    assert (rule["measure"], rule["threshold"], rule["period"], rule["subject"]) == (
        "count",
        2,
        "year",
        "member",
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_every_source_line_is_in_the_tree_or_listed(slug):
    proposal = propose(seed_text(slug))
    for line in proposal.lines:
        if line.text.strip():
            assert line.status in ("node", "layout", "unrecognised")
    listed = {line.number for line in proposal.unrecognised}
    in_tree = {line.number for line in proposal.lines if line.status in ("node", "layout")}
    blank = {line.number for line in proposal.lines if not line.text.strip()}
    assert listed | in_tree | blank == {line.number for line in proposal.lines}


@pytest.mark.parametrize("slug", SLUGS)
def test_command_writes_a_loadable_draft_deterministically(slug, tmp_path):
    out_a, out_b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    call_command(
        "indicators_from_text", str(SEEDS / f"{slug}.txt"), "-o", str(out_a), stderr=io.StringIO()
    )
    call_command(
        "indicators_from_text", str(SEEDS / f"{slug}.txt"), "-o", str(out_b), stderr=io.StringIO()
    )
    text = out_a.read_text(encoding="utf-8")
    assert text == out_b.read_text(encoding="utf-8")
    assert text.startswith("# ")
    doc = parse_yaml(text)  # the comments do not stop the file from loading
    assert shape(doc.roots) == shape(builtin_document(slug).roots)


@pytest.mark.parametrize("slug", SLUGS)
def test_phases_are_read_from_the_steps_section(slug):
    """Names, deadlines and the latest day they allow, as the templates have them (only 忻州
    has phases). The keys differ by reason: the templates' English keys (`mobilize`) cannot be
    read from the Chinese; the importer numbers them (`phase_1`)."""

    def seen(phases):
        return [(p["name"], p["due"], p.get("due_month_day")) for p in phases]

    got = propose(seed_text(slug)).document.phases
    assert seen(got) == seen(builtin_document(slug).phases)
    assert [p.get("description") for p in got] == [
        p.get("description") for p in builtin_document(slug).phases
    ]
