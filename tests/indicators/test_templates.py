"""Built-in templates (issue points 4 and 8), read back from the database after
`manage.py load_templates`: loading is idempotent, all five validate, 乐清 totals 500 with each
type 100 (computed from the loaded tree), the seeds' structure, scoring methods, quantitative rules
(DOMAIN.md §3) and phases are where they belong."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from mofan.audit.models import AuditEntry
from mofan.indicators.builtin import SLUGS
from mofan.indicators.models import (
    IndicatorNode,
    IndicatorSystem,
    IndicatorVersion,
    VersionStatus,
)
from mofan.indicators.selectors import nodes_of
from mofan.indicators.services import version_problems
from mofan.indicators.tree import NodeData, walk

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def loaded(db) -> dict[str, IndicatorVersion]:
    call_command("load_templates", stdout=io.StringIO())
    versions = IndicatorVersion.objects.filter(system__committee=None).select_related("system")
    return {v.system.slug: v for v in versions}


def tree(version: IndicatorVersion) -> list[NodeData]:
    return nodes_of(version)


def leaves(node: NodeData) -> list[NodeData]:
    return [n for n, _d in walk([node]) if not n.children]


def by_code(version: IndicatorVersion) -> dict[str, NodeData]:
    return {n.code: n for n, _d in walk(tree(version))}


def rules_by_node(version: IndicatorVersion) -> dict[str, dict[str, dict]]:
    return {n.code: {r["key"]: r for r in n.rules} for n, _d in walk(tree(version)) if n.rules}


# --- loading ----------------------------------------------------------------------------------


def test_load_templates_is_idempotent(db):
    out = io.StringIO()
    call_command("load_templates", stdout=out)
    assert out.getvalue().count("已加载") == 5
    counts = (
        IndicatorSystem.objects.count(),
        IndicatorVersion.objects.count(),
        IndicatorNode.objects.count(),
        AuditEntry.objects.count(),
    )
    assert counts[:2] == (5, 5)
    assert set(IndicatorSystem.objects.values_list("slug", flat=True)) == set(SLUGS)
    assert not IndicatorSystem.objects.exclude(committee=None).exists()
    assert AuditEntry.objects.filter(action="indicators.import").count() == 5

    again = io.StringIO()
    call_command("load_templates", stdout=again)
    assert again.getvalue().count("已存在，未改动") == 5
    assert "已加载" not in again.getvalue()
    assert (
        IndicatorSystem.objects.count(),
        IndicatorVersion.objects.count(),
        IndicatorNode.objects.count(),
        AuditEntry.objects.count(),
    ) == counts


def test_an_upgraded_template_is_published_as_a_new_version(db):
    """A database loaded from an older shipped file (here: 焦作 as it was, with leaf 3.5 among
    the scored leaves) gets a new published version on the next load; the old version, which
    campaigns may use, is left as it was; a further load changes nothing."""
    call_command("load_templates", stdout=io.StringIO())
    jiaozuo = IndicatorSystem.objects.get(slug="jiaozuo-2020", committee=None)
    old = jiaozuo.versions.get()
    IndicatorVersion.objects.filter(pk=old.pk).update(note="")  # loaded before fingerprints
    old_nodes = set(old.nodes.values_list("pk", flat=True))
    out = io.StringIO()
    call_command("load_templates", stdout=out)
    assert out.getvalue().count("模板已更新，已发布新版本") == 1
    assert out.getvalue().count("已存在，未改动") == 4
    newest = jiaozuo.versions.order_by("-number").first()
    assert newest.number == 2 and newest.status == VersionStatus.PUBLISHED
    assert newest.note.startswith("内置模板（")
    assert set(old.nodes.values_list("pk", flat=True)) == old_nodes  # untouched
    again = io.StringIO()
    call_command("load_templates", stdout=again)
    assert again.getvalue().count("已存在，未改动") == 5


def test_templates_are_published_version_one(loaded):
    assert set(loaded) == set(SLUGS)
    for version in loaded.values():
        assert version.number == 1
        assert version.status == VersionStatus.PUBLISHED
        assert version.published_at is not None


@pytest.mark.parametrize("slug", SLUGS)
def test_every_template_passes_validation(loaded, slug):
    assert version_problems(loaded[slug]) == []


# --- 乐清 (seed 003) -----------------------------------------------------------------------------


def test_yueqing_totals_500_with_each_type_100(loaded):
    roots = tree(loaded["yueqing-2020"])
    assert [r.title for r in roots] == [
        "政治型机关",
        "责任型机关",
        "服务型机关",
        "清廉型机关",
        "制度型机关",
    ]
    for root in roots:
        assert root.points == 100
        assert sum(leaf.points for leaf in leaves(root)) == 100, root.code  # type: ignore[misc]
    assert sum(r.points for r in roots) == 500  # type: ignore[misc]
    assert sum(leaf.points for r in roots for leaf in leaves(r)) == 500  # type: ignore[misc]


def test_yueqing_has_15_items_each_the_sum_of_its_2_to_5_sub_points(loaded):
    roots = tree(loaded["yueqing-2020"])
    items = [item for root in roots for item in root.children]
    assert len(items) == 15
    for item in items:
        assert 2 <= len(item.children) <= 5, item.code
        assert item.points == sum(s.points for s in item.children), item.code  # type: ignore[misc]
        assert all(not s.children for s in item.children)
    first = items[0]  # item 1 = 38 = 8+8+6+8+8
    assert first.points == 38
    assert [s.points for s in first.children] == [8, 8, 6, 8, 8]


def test_yueqing_sub_points_are_graded_except_the_deductions_of_item_10_4(loaded):
    nodes = by_code(loaded["yueqing-2020"])
    sub_points = [n for code, n in nodes.items() if code.count(".") == 2]
    assert len(sub_points) == 53
    for n in sub_points:
        if n.code == "4.1.4":
            continue
        assert n.method["type"] == "grade", n.code
        bands = {b["label"]: b for b in n.method["bands"]}
        assert list(bands) == ["优", "良", "一般", "不合格"], n.code
        assert bands["优"]["deduct"] == [0, 0]  # 优 = full
        assert bands["良"]["deduct"] == [1, 3]  # 良 −1..−3
        assert bands["一般"]["deduct"] == [3, min(5, n.points)]  # type: ignore[type-var]
        assert bands["不合格"]["ratio"] == [0, 0.5]  # ≤ half of the points

    item_10_4 = nodes["4.1.4"]
    assert nodes["4.1"].note == "原第10项"
    assert item_10_4.method["type"] == "deduction"
    assert item_10_4.method.get("floor", 0) == 0
    per_incident = {r["label"]: D(str(r["per_incident"])) for r in item_10_4.method["rules"]}
    assert per_incident == {
        "效能告诫": D(1),
        "其他形式处理": D("0.5"),
        "单位负责人受到刑事处罚": D(5),
        "单位负责人受到党政纪处分": D(3),
        "工作人员受到刑事处罚": D(2),
        "工作人员受到党政纪处分": D(1),
    }


# --- the other four ---------------------------------------------------------------------------


def test_jiaozuo_annex_2_three_qualitative_types_of_16_4_4_points(loaded):
    version = loaded["jiaozuo-2020"]
    roots = tree(version)
    assert [r.title for r in roots] == ["创建内容", "推进措施", "创建成效"]
    qualitative = [[n for n in leaves(r) if n.method["type"] == "qualitative"] for r in roots]
    assert [len(q) for q in qualitative] == [16, 4, 4]
    assert len(roots[0].children) == 5  # the five creation-content areas
    assert all(n.points is None for r in roots for n, _d in walk([r]))
    assert version.system.scoring == "qualitative"
    assert version.system.cadence == "一年一安排、一年一考评、三年一总评"
    # 征求纪检监察、巡察、审计意见 is not in annex 2: it is an approval input (VetoInput, recorded
    # at 综合审定), never a leaf a reviewer scores (issue 14 point 9)
    assert not [n for r in roots for n in leaves(r) if n.method["type"] == "veto"]


def test_bureau_six_areas_of_three_or_four_items(loaded):
    roots = tree(loaded["bureau-2022"])
    assert len(roots) == 6
    assert all("走在前" in r.title for r in roots)
    assert all(3 <= len(r.children) <= 4 for r in roots)
    assert all(leaf.method["type"] == "qualitative" for r in roots for leaf in leaves(r))


def test_xinzhou_phases_with_deadlines(loaded):
    system = loaded["xinzhou-2022"].system
    assert [(p["key"], p["name"], p["due"], p["due_month_day"]) for p in system.phases] == [
        ("mobilize", "动员部署", "7月上旬", "07-10"),
        ("implement", "组织实施", "9月底前", "09-30"),
        ("accept", "考评验收", "10月底前", "10-31"),
        ("consolidate", "总结巩固", "11月底前", "11-30"),
    ]
    roots = tree(loaded["xinzhou-2022"])
    for root, task in zip(roots, ["讲政治", "守纪律", "负责任", "有效率"], strict=True):
        assert task in root.title


def test_yueyang_is_continuous_without_phases(loaded):
    system = loaded["yueyang-2020"].system
    assert system.cadence == "continuous"
    assert system.phases == []
    assert len(tree(loaded["yueyang-2020"])) == 6


def test_only_xinzhou_has_phases(loaded):
    assert {slug for slug, v in loaded.items() if v.system.phases} == {"xinzhou-2022"}


# --- quantitative rules (DOMAIN.md §3) --------------------------------------------------------

EXPECTED_RULES = {
    "xinzhou-2022": {"member_volunteer_service"},
    "jiaozuo-2020": {
        "leadership_contact_point",
        "party_group_study",
        "life_participation_report",
        "cadre_training_coverage",
    },
    "bureau-2022": set(),
    "yueqing-2020": {"branch_collective_study", "sihua_branch_compliance"},
    "yueyang-2020": {"political_theory_share", "leader_research_article"},
}


@pytest.mark.parametrize("slug", SLUGS)
def test_each_template_carries_its_seeds_rules(loaded, slug):
    found = {key for rules in rules_by_node(loaded[slug]).values() for key in rules}
    assert found == EXPECTED_RULES[slug]


@pytest.mark.parametrize(
    ("slug", "code", "key", "measure", "threshold", "period", "subject"),
    [
        ("xinzhou-2022", "4.3", "member_volunteer_service", "count", 2, "year", "member"),
        ("jiaozuo-2020", "1.2.1", "leadership_contact_point", "count", 2, "year", "leader"),
        ("jiaozuo-2020", "1.2.1", "party_group_study", "count", 1, "quarter", "party_group"),
        ("jiaozuo-2020", "1.2.3", "life_participation_report", "count", 1, "half_year", "unit"),
        ("jiaozuo-2020", "1.2.4", "cadre_training_coverage", "count", 1, "five_years", "cadre"),
        ("yueqing-2020", "1.2.2", "branch_collective_study", "count", 12, "year", "branch"),
        ("yueqing-2020", "2.1.2", "sihua_branch_compliance", "count", 1, "year", "branch"),
        ("yueyang-2020", "1.5", "political_theory_share", "ratio", 0.7, "year", "cadre"),
        ("yueyang-2020", "2.1", "leader_research_article", "count", 1, "year", "leader"),
    ],
)
def test_rule_sits_on_its_node(loaded, slug, code, key, measure, threshold, period, subject):
    rule = rules_by_node(loaded[slug])[code][key]
    assert (rule["measure"], rule["threshold"], rule["period"], rule["subject"]) == (
        measure,
        threshold,
        period,
        subject,
    )
    assert rule["label"] and rule["source"]
    assert rule.get("comparison", ">=") == ">="
