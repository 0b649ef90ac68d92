"""Indicator-system writes: import, clone, publish and node edits, each audited.

A published version never changes: every node write checks the version is a draft.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_delete, audit_record
from mofan.indicators.fileformat import Document
from mofan.indicators.models import (
    IndicatorNode,
    IndicatorSystem,
    IndicatorVersion,
    VersionStatus,
)
from mofan.indicators.selectors import nodes_of
from mofan.indicators.tree import NODE_FIELDS, NodeData, walk
from mofan.indicators.validation import Problem, validate_tree
from mofan.organizations.models import Committee


def _user(actor: Actor | None) -> Any:
    return actor.user if actor is not None else None


def _create_nodes(version: IndicatorVersion, roots: list[NodeData]) -> int:
    """Insert a tree in tree order; parents first so children can point at them."""
    ids: dict[str, int] = {}
    count = 0
    level: list[tuple[NodeData, str | None]] = [(root, None) for root in roots]
    order = 0
    order_of = {n.code: i for i, (n, _d) in enumerate(walk(roots))}
    while level:
        batch = []
        for node, parent_code in level:
            order += 1
            batch.append(
                IndicatorNode(
                    version=version,
                    parent_id=ids[parent_code] if parent_code else None,
                    code=node.code,
                    **{name: getattr(node, name) for name in NODE_FIELDS},
                    extra=node.extra,
                    order=order_of[node.code],
                )
            )
        created = IndicatorNode.objects.bulk_create(batch)
        if any(obj.pk is None for obj in created):  # backends that do not return ids
            created = list(
                IndicatorNode.objects.filter(version=version, code__in=[b.code for b in batch])
            )
        for obj in created:
            ids[obj.code] = obj.pk
        count += len(created)
        level = [(child, node.code) for node, _p in level for child in node.children]
    return count


# A system's own facts, shared by its versions: the same names on Document and IndicatorSystem.
SYSTEM_FIELDS = (
    "name",
    "issuer",
    "year",
    "description",
    "source",
    "scoring",
    "cadence",
    "phases",
    "extra",
)


def _system_fields(source: Document | IndicatorSystem) -> dict[str, Any]:
    return {name: getattr(source, name) for name in SYSTEM_FIELDS}


@transaction.atomic
def system_import(
    *,
    doc: Document,
    committee: Committee | None,
    actor: Actor | None,
    publish: bool = False,
    slug: str | None = None,
    note: str = "",
) -> IndicatorVersion:
    """Create the system (or a new version of it) from a checked document."""
    problems = validate_tree(doc.roots)
    if problems:
        raise ValidationError([str(p) for p in problems])
    slug = slug or doc.slug
    system = IndicatorSystem.objects.filter(committee=committee, slug=slug).first()
    if system is None:
        system = IndicatorSystem.objects.create(
            committee=committee, slug=slug, **_system_fields(doc)
        )
        number = doc.version
    else:
        # The system's own facts (name, phases...) are shared by its versions: a new version
        # may refresh them only while none is published, so a published one never changes.
        if not system.versions.filter(status=VersionStatus.PUBLISHED).exists():
            for key, value in _system_fields(doc).items():
                setattr(system, key, value)
            system.save()
        number = (system.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = IndicatorVersion.objects.create(system=system, number=number, note=note)
    count = _create_nodes(version, doc.roots)
    if publish:
        version.status = VersionStatus.PUBLISHED
        version.published_at = timezone.now()
        version.published_by = _user(actor)
        version.save()
    audit_record(
        action="indicators.import",
        actor=_user(actor),
        actor_name="" if actor else "load_templates",
        target=version,
        extra={"slug": slug, "version": number, "nodes": count, "published": publish},
    )
    return version


def _check_committee_admin(actor: Actor, committee_id: int | None) -> None:
    if committee_id is None or not rules.administers(actor, committee_id):
        raise PermissionDenied(_("只有本工委管理员可以修改指标体系。"))


@transaction.atomic
def version_clone(
    *, version: IndicatorVersion, committee: Committee, actor: Actor
) -> IndicatorVersion:
    """A new draft from any visible version: a built-in template becomes the committee's own
    system (same slug), a committee's own version gets the next number."""
    _check_committee_admin(actor, committee.pk)
    source = version.system
    if source.committee_id not in (None, committee.pk):
        raise PermissionDenied(_("只能复制内置模板或本工委的指标体系。"))
    system = source
    if source.committee_id != committee.pk:
        own = IndicatorSystem.objects.filter(committee=committee, slug=source.slug).first()
        system = own or IndicatorSystem.objects.create(
            committee=committee, slug=source.slug, **_system_fields(source)
        )
    number = (system.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    clone = IndicatorVersion.objects.create(system=system, number=number, based_on=version)
    _create_nodes(clone, nodes_of(version))
    audit_record(
        action="indicators.version.clone",
        actor=actor.user,
        target=clone,
        extra={"from_version": version.pk, "system": system.slug, "number": number},
    )
    return clone


def version_problems(version: IndicatorVersion) -> list[Problem]:
    return validate_tree(nodes_of(version))


@transaction.atomic
def version_publish(*, version: IndicatorVersion, actor: Actor) -> IndicatorVersion:
    _check_committee_admin(actor, version.system.committee_id)
    version = IndicatorVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise ValidationError(_("该版本已发布。"))
    problems = version_problems(version)
    if problems:
        raise ValidationError([str(p) for p in problems])
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = actor.user
    version.save(update_fields=["status", "published_at", "published_by"])
    audit_record(action="indicators.version.publish", actor=actor.user, target=version)
    return version


def _check_draft(version: IndicatorVersion, actor: Actor) -> None:
    _check_committee_admin(actor, version.system.committee_id)
    if IndicatorVersion.objects.filter(pk=version.pk, status=VersionStatus.PUBLISHED).exists():
        raise ValidationError(_("已发布的版本不能修改，请先复制为新草稿。"))


def _snapshot(node: IndicatorNode) -> dict[str, Any]:
    data = {name: getattr(node, name) for name in ("code", *NODE_FIELDS)}
    for key in ("points", "weight"):
        if data[key] is not None:
            data[key] = str(data[key])
    return data


def _audit_node(
    action: str,
    node: IndicatorNode,
    actor: Actor,
    *,
    before: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Audit a node write with the node as it is now (and as it was, when given)."""
    audit_record(
        action=action,
        actor=actor.user,
        target=node,
        before=before,
        after=_snapshot(node),
        extra=extra,
    )


@transaction.atomic
def node_update(*, node: IndicatorNode, data: dict[str, Any], actor: Actor) -> IndicatorNode:
    _check_draft(node.version, actor)
    before = _snapshot(node)
    for name, value in data.items():
        if name not in NODE_FIELDS:
            raise ValueError(name)
        setattr(node, name, value)
    node.save()
    _audit_node("indicators.node.update", node, actor, before=before)
    return node


@transaction.atomic
def node_create(
    *,
    version: IndicatorVersion,
    parent: IndicatorNode | None,
    actor: Actor,
    title: str,
    points: Decimal | None = None,
    method: dict[str, Any] | None = None,
) -> IndicatorNode:
    _check_draft(version, actor)
    if parent is not None and parent.version_id != version.pk:
        raise ValidationError(_("上级节点不属于该版本。"))
    siblings = IndicatorNode.objects.filter(version=version, parent=parent)
    position = siblings.count() + 1
    code = f"{parent.code}.{position}" if parent else str(position)
    while IndicatorNode.objects.filter(version=version, code=code).exists():
        position += 1
        code = f"{parent.code}.{position}" if parent else str(position)
    last_order = IndicatorNode.objects.filter(version=version).aggregate(m=Max("order"))["m"] or 0
    if method is None:
        method = {"type": "manual", "step": 0.5} if points is not None else {"type": "qualitative"}
    node = IndicatorNode(
        version=version,
        parent=parent,
        code=code,
        title=title,
        points=points,
        method=method,
        order=last_order + 1,
    )
    node.save()
    if parent is not None and parent.method_type != "rollup":
        parent.method = {"type": "rollup", "mode": "sum" if parent.points is not None else "worst"}
        parent.save(update_fields=["method"])
    _renumber(version)
    node.refresh_from_db()
    _audit_node("indicators.node.create", node, actor)
    return node


@transaction.atomic
def node_delete(*, node: IndicatorNode, actor: Actor) -> None:
    version = node.version
    _check_draft(version, actor)
    audit_delete(
        target=node, action="indicators.node.delete", actor=actor.user, before=_snapshot(node)
    )
    _renumber(version)


@transaction.atomic
def node_move(*, node: IndicatorNode, direction: str, actor: Actor) -> IndicatorNode:
    """Reorder (up/down) or change level (indent under the previous sibling / outdent to the
    parent's level); codes are renumbered to match the new positions."""
    version = node.version
    _check_draft(version, actor)
    before = _snapshot(node)
    siblings = list(
        IndicatorNode.objects.filter(version=version, parent_id=node.parent_id).order_by(
            "order", "id"
        )
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == node.pk)
    if direction in ("up", "down"):
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(siblings):
            raise ValidationError(_("已经是第一个或最后一个，无法移动。"))
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, sibling in enumerate(siblings):
            IndicatorNode.objects.filter(pk=sibling.pk).update(order=position)
    elif direction == "indent":
        if index == 0:
            raise ValidationError(_("第一个节点不能降级：它前面没有同级节点。"))
        new_parent = siblings[index - 1]
        last = new_parent.children.order_by("-order").values_list("order", flat=True).first()
        IndicatorNode.objects.filter(pk=node.pk).update(parent=new_parent, order=(last or 0) + 1)
        if new_parent.method_type != "rollup":
            mode = "sum" if new_parent.points is not None else "worst"
            IndicatorNode.objects.filter(pk=new_parent.pk).update(
                method={"type": "rollup", "mode": mode}
            )
    elif direction == "outdent":
        if node.parent_id is None:
            raise ValidationError(_("顶层节点不能再升级。"))
        parent = node.parent
        assert parent is not None
        later = IndicatorNode.objects.filter(
            version=version, parent_id=parent.parent_id, order__gt=parent.order
        )
        later.update(order=models_F("order") + 1)
        IndicatorNode.objects.filter(pk=node.pk).update(
            parent_id=parent.parent_id, order=parent.order + 1
        )
    else:
        raise ValidationError(_("未知的移动方式。"))
    _renumber(version)
    node.refresh_from_db()
    _audit_node("indicators.node.move", node, actor, before=before, extra={"direction": direction})
    return node


def models_F(name: str) -> Any:
    from django.db.models import F

    return F(name)


def _renumber(version: IndicatorVersion) -> None:
    """Give every node the code of its position (1, 1.2, 1.2.3) and a tree-order `order`."""
    nodes = list(IndicatorNode.objects.filter(version=version).order_by("order", "id"))
    children: dict[int | None, list[IndicatorNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    wanted: list[tuple[IndicatorNode, str, int]] = []
    counter = 0

    def visit(parent_id: int | None, prefix: str) -> None:
        nonlocal counter
        for position, node in enumerate(children.get(parent_id, []), start=1):
            counter += 1
            code = f"{prefix}{position}"
            wanted.append((node, code, counter))
            visit(node.pk, code + ".")

    visit(None, "")
    changed = [(n, c, o) for n, c, o in wanted if n.code != c or n.order != o]
    if not changed:
        return
    # Two passes so that swapping codes never violates the unique constraint midway.
    for node, _code, _order in changed:
        IndicatorNode.objects.filter(pk=node.pk).update(code=f"~{node.pk}")
    for node, code, order in changed:
        IndicatorNode.objects.filter(pk=node.pk).update(code=code, order=order)
