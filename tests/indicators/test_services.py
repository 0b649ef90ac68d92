"""Indicator services: a published version never changes; cloning a built-in gives the committee
its own draft with the identical tree; moves renumber the codes; publishing refuses a tree with
problems; every service writes an audit entry; only the committee's own admin may write."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from mofan.accounts.access import actor_for
from mofan.audit.models import AuditEntry
from mofan.indicators import services
from mofan.indicators.builtin import builtin_document
from mofan.indicators.fileformat import node_plain
from mofan.indicators.models import (
    IndicatorNode,
    IndicatorSystem,
    IndicatorVersion,
    PublishedVersionError,
    VersionStatus,
)
from mofan.indicators.selectors import nodes_of
from mofan.indicators.tree import walk
from mofan.indicators.validation import validate_tree
from tests.factories import CommitteeFactory
from tests.world import persona

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def builtins(db) -> dict[str, IndicatorVersion]:
    call_command("load_templates", stdout=io.StringIO())
    versions = IndicatorVersion.objects.filter(system__committee=None).select_related("system")
    return {v.system.slug: v for v in versions}


@pytest.fixture
def admin(committee_admin):
    return actor_for(committee_admin)


@pytest.fixture
def draft(builtins, committee, admin) -> IndicatorVersion:
    return services.version_clone(
        version=builtins["yueqing-2020"], committee=committee, actor=admin
    )


def node_at(version: IndicatorVersion, code: str) -> IndicatorNode:
    return IndicatorNode.objects.get(version=version, code=code)


def titles(version: IndicatorVersion, prefix: str = "") -> dict[str, str]:
    return {
        code: title
        for code, title in IndicatorNode.objects.filter(version=version).values_list(
            "code", "title"
        )
        if code.startswith(prefix)
    }


def audited(action: str, **filters: object) -> int:
    return AuditEntry.objects.filter(action=action, **filters).count()


# --- published versions are immutable ---------------------------------------------------------


def test_published_version_refuses_node_update_and_model_save(builtins, committee, admin):
    clone = services.version_clone(
        version=builtins["yueqing-2020"], committee=committee, actor=admin
    )
    services.version_publish(version=clone, actor=admin)
    leaf = node_at(clone, "1.1.1")
    with pytest.raises(ValidationError) as info:
        services.node_update(node=leaf, data={"title": "改过的标题"}, actor=admin)
    assert "已发布的版本不能修改" in " ".join(info.value.messages)

    leaf.title = "绕过服务直接保存"
    with pytest.raises(PublishedVersionError):
        leaf.save()
    assert node_at(clone, "1.1.1").title == "强化政治机关意识；"
    for direction in ("up", "indent"):
        with pytest.raises(ValidationError):
            services.node_move(node=node_at(clone, "1.1.2"), direction=direction, actor=admin)
    with pytest.raises(ValidationError):
        services.node_delete(node=node_at(clone, "1.1.2"), actor=admin)
    with pytest.raises(ValidationError):
        services.node_create(version=clone, parent=None, actor=admin, title="新类别", points=D(1))
    assert titles(clone) == titles(builtins["yueqing-2020"])


def test_builtin_templates_are_published_and_refuse_model_save(builtins):
    leaf = node_at(builtins["jiaozuo-2020"], "1.1.1")
    leaf.criteria = ""
    with pytest.raises(PublishedVersionError):
        leaf.save()


# --- clone ------------------------------------------------------------------------------------


def test_clone_of_a_builtin_is_a_draft_in_the_committees_own_system(builtins, committee, admin):
    source = builtins["yueqing-2020"]
    clone = services.version_clone(version=source, committee=committee, actor=admin)
    assert clone.status == VersionStatus.DRAFT
    assert clone.based_on == source
    assert clone.system.committee == committee
    assert clone.system.slug == "yueqing-2020"
    assert clone.system.pk != source.system.pk
    assert (clone.system.name, clone.system.issuer, clone.system.year) == (
        source.system.name,
        source.system.issuer,
        source.system.year,
    )
    assert [node_plain(r) for r in nodes_of(clone)] == [node_plain(r) for r in nodes_of(source)]
    expected = [node_plain(r) for r in builtin_document("yueqing-2020").roots]
    assert [node_plain(r) for r in nodes_of(clone)] == expected
    assert source.status == VersionStatus.PUBLISHED  # the template itself is untouched
    assert audited("indicators.version.clone", object_id=str(clone.pk)) == 1

    again = services.version_clone(version=source, committee=committee, actor=admin)
    assert again.system == clone.system  # the same own system, next number
    assert again.number == clone.number + 1


def test_clone_keeps_phases_and_rules(builtins, committee, admin):
    clone = services.version_clone(
        version=builtins["xinzhou-2022"], committee=committee, actor=admin
    )
    assert clone.system.phases == builtins["xinzhou-2022"].system.phases
    rules = {r["key"] for n, _d in walk(nodes_of(clone)) for r in n.rules}
    assert rules == {"member_volunteer_service"}


# --- moves renumber codes ---------------------------------------------------------------------


def test_node_move_up_and_down_swap_codes(draft, admin):
    before = titles(draft, "1.1.")
    moved = services.node_move(node=node_at(draft, "1.1.2"), direction="up", actor=admin)
    assert moved.code == "1.1.1"
    after = titles(draft, "1.1.")
    assert after["1.1.1"] == before["1.1.2"]
    assert after["1.1.2"] == before["1.1.1"]
    assert {k: v for k, v in after.items() if k not in ("1.1.1", "1.1.2")} == {
        k: v for k, v in before.items() if k not in ("1.1.1", "1.1.2")
    }
    services.node_move(node=moved, direction="down", actor=admin)
    assert titles(draft, "1.1.") == before
    with pytest.raises(ValidationError):
        services.node_move(node=node_at(draft, "1.1.1"), direction="up", actor=admin)
    with pytest.raises(ValidationError):
        services.node_move(node=node_at(draft, "1.1.5"), direction="down", actor=admin)
    assert audited("indicators.node.move") == 2


def test_node_move_indent_and_outdent_renumber_the_subtree(draft, admin):
    before = titles(draft)
    indented = services.node_move(node=node_at(draft, "1.2"), direction="indent", actor=admin)
    assert indented.code == "1.1.6"  # the last child of the previous sibling
    assert indented.parent == node_at(draft, "1.1")
    after = titles(draft)
    assert after["1.1.6"] == before["1.2"]
    assert after["1.1.6.1"] == before["1.2.1"]  # its children moved along, renumbered
    assert after["1.2"] == before["1.3"]  # the next sibling moved up
    assert after["1.2.3"] == before["1.3.3"]
    assert "1.3" not in after
    tree = nodes_of(draft)
    code_problems = [p for p in validate_tree(tree) if "编码" in p.message]
    assert code_problems == []  # every code is its parent's plus one segment, none repeated

    outdented = services.node_move(node=indented, direction="outdent", actor=admin)
    assert outdented.code == "1.2"
    assert titles(draft) == before
    assert services.version_problems(draft) == []
    with pytest.raises(ValidationError):
        services.node_move(node=node_at(draft, "1.1.1"), direction="indent", actor=admin)
    with pytest.raises(ValidationError):
        services.node_move(node=node_at(draft, "1"), direction="outdent", actor=admin)


def test_node_create_and_delete_renumber(draft, admin):
    parent = node_at(draft, "2.2")
    created = services.node_create(
        version=draft, parent=parent, actor=admin, title="新增的细则", points=D(2)
    )
    assert created.code == "2.2.5"
    assert created.method == {"type": "manual", "step": 0.5}
    assert audited("indicators.node.create", object_id=str(created.pk)) == 1
    deleted_title = node_at(draft, "2.2.1").title
    services.node_delete(node=node_at(draft, "2.2.1"), actor=admin)
    assert node_at(draft, "2.2.4").pk == created.pk
    assert deleted_title not in titles(draft).values()
    assert audited("indicators.node.delete") == 1


# --- publish ----------------------------------------------------------------------------------


def test_publish_refuses_a_tree_with_problems_and_lists_them(draft, admin):
    leaf = node_at(draft, "1.1.1")
    services.node_update(node=leaf, data={"points": D(6)}, actor=admin)
    services.node_update(node=node_at(draft, "5.3.4"), data={"title": " "}, actor=admin)
    with pytest.raises(ValidationError) as info:
        services.version_publish(version=draft, actor=admin)
    assert info.value.messages == [
        "1.1：分值 38 与下级分值之和 36 不一致。",
        "5.3.4：标题不能为空。",
    ]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert audited("indicators.version.publish") == 0

    services.node_update(node=node_at(draft, "1.1"), data={"points": D(36)}, actor=admin)
    services.node_update(node=node_at(draft, "1"), data={"points": D(98)}, actor=admin)
    services.node_update(node=node_at(draft, "5.3.4"), data={"title": "引领作用"}, actor=admin)
    published = services.version_publish(version=draft, actor=admin)
    assert published.status == VersionStatus.PUBLISHED
    assert published.published_by == admin.user
    assert audited("indicators.version.publish", object_id=str(draft.pk)) == 1
    with pytest.raises(ValidationError, match="已发布"):
        services.version_publish(version=draft, actor=admin)


# --- audit ------------------------------------------------------------------------------------


def test_every_service_writes_an_audit_entry(builtins, committee, admin):
    user = admin.user
    clone = services.version_clone(
        version=builtins["jiaozuo-2020"], committee=committee, actor=admin
    )
    leaf = node_at(clone, "2.4")
    services.node_update(node=leaf, data={"note": "加强宣传"}, actor=admin)
    created = services.node_create(
        version=clone, parent=node_at(clone, "2"), actor=admin, title="新增"
    )
    services.node_move(node=created, direction="up", actor=admin)
    services.node_delete(node=created, actor=admin)
    services.version_publish(version=clone, actor=admin)
    entries = list(
        AuditEntry.objects.filter(action__startswith="indicators.", actor_id=user.pk).order_by("id")
    )
    assert [e.action for e in entries] == [
        "indicators.version.clone",
        "indicators.node.update",
        "indicators.node.create",
        "indicators.node.move",
        "indicators.node.delete",
        "indicators.version.publish",
    ]
    update = entries[1]
    assert update.object_id == str(leaf.pk)
    assert update.data["before"]["note"] == ""
    assert update.data["after"]["note"] == "加强宣传"
    assert entries[-1].object_id == str(clone.pk)
    imports = AuditEntry.objects.filter(action="indicators.import")
    assert imports.count() == 5  # load_templates: one per template, by the command
    assert set(imports.values_list("actor_name", flat=True)) == {"load_templates"}


# --- who may write ----------------------------------------------------------------------------


@pytest.fixture
def outsiders(unit_admin, committee_leader):
    return {
        "unit_admin": actor_for(unit_admin),
        "committee_leader": actor_for(committee_leader),
        "other_admin": actor_for(
            persona("other_admin", other=CommitteeFactory(name="另一个工委", code="other"))
        ),
    }


@pytest.mark.parametrize("who", ["unit_admin", "committee_leader", "other_admin"])
def test_only_the_committees_own_admin_may_clone_or_edit(
    builtins, committee, draft, outsiders, who
):
    actor = outsiders[who]
    before = (IndicatorVersion.objects.count(), AuditEntry.objects.count(), titles(draft))
    with pytest.raises(PermissionDenied):
        services.version_clone(version=builtins["yueqing-2020"], committee=committee, actor=actor)
    leaf = node_at(draft, "1.1.1")
    with pytest.raises(PermissionDenied):
        services.node_update(node=leaf, data={"title": "越权修改"}, actor=actor)
    with pytest.raises(PermissionDenied):
        services.node_move(node=node_at(draft, "1.1.2"), direction="up", actor=actor)
    with pytest.raises(PermissionDenied):
        services.node_create(version=draft, parent=None, actor=actor, title="越权新增")
    with pytest.raises(PermissionDenied):
        services.node_delete(node=leaf, actor=actor)
    with pytest.raises(PermissionDenied):
        services.version_publish(version=draft, actor=actor)
    assert (IndicatorVersion.objects.count(), AuditEntry.objects.count(), titles(draft)) == before


def test_another_committees_admin_may_clone_a_builtin_into_their_own(builtins, outsiders):
    other_admin = outsiders["other_admin"]
    other = CommitteeFactory(code="other")
    clone = services.version_clone(
        version=builtins["bureau-2022"], committee=other, actor=other_admin
    )
    assert clone.system.committee == other


def test_another_committees_admin_cannot_clone_this_committees_version(draft, outsiders):
    other_admin = outsiders["other_admin"]
    other = CommitteeFactory(code="other")
    before = IndicatorSystem.objects.filter(committee=other).count()
    with pytest.raises(PermissionDenied):
        services.version_clone(version=draft, committee=other, actor=other_admin)
    assert IndicatorSystem.objects.filter(committee=other).count() == before, "cloned across"


def test_node_create_refuses_a_parent_from_another_version(builtins, draft, admin):
    foreign_parent = node_at(builtins["yueqing-2020"], "1.1")
    before = IndicatorNode.objects.filter(version=draft).count()
    with pytest.raises(ValidationError):
        services.node_create(version=draft, parent=foreign_parent, actor=admin, title="越界")
    assert IndicatorNode.objects.filter(version=draft).count() == before
