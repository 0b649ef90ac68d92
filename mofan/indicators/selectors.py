"""Reads of indicator systems, scoped to the actor: committee staff see the built-in templates
and their own committee's systems; nobody else sees the editor's data."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.indicators.fileformat import Document
from mofan.indicators.models import IndicatorNode, IndicatorSystem, IndicatorVersion
from mofan.indicators.tree import NODE_FIELDS, NodeData, link


def systems_for(actor: Actor) -> QuerySet[IndicatorSystem]:
    committees = actor.committees_with(*COMMITTEE_STAFF)
    if not committees:
        return IndicatorSystem.objects.none()
    return IndicatorSystem.objects.filter(
        Q(committee__isnull=True) | Q(committee_id__in=committees)
    ).annotate(version_count=Count("versions"))


def systems_editable_by(actor: Actor) -> QuerySet[IndicatorSystem]:
    return IndicatorSystem.objects.filter(
        committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    )


def versions_for(actor: Actor) -> QuerySet[IndicatorVersion]:
    return IndicatorVersion.objects.filter(system__in=systems_for(actor)).select_related("system")


def versions_editable_by(actor: Actor) -> QuerySet[IndicatorVersion]:
    return IndicatorVersion.objects.filter(system__in=systems_editable_by(actor)).select_related(
        "system"
    )


def nodes_of(version: IndicatorVersion) -> list[NodeData]:
    """The version's tree as plain data (one query), roots first."""
    rows = IndicatorNode.objects.filter(version=version).values(
        "id", "parent_id", "code", *NODE_FIELDS, "extra", "order"
    )
    by_id = {row["id"]: row for row in rows}
    nodes = []
    for row in by_id.values():
        parent = by_id.get(row["parent_id"])
        node = NodeData(
            code=row["code"],
            title=row["title"],
            points=row["points"],
            method=row["method"] or {},
            parent=parent["code"] if parent else None,
            criteria=row["criteria"],
            evidence=row["evidence"],
            evidence_required=row["evidence_required"],
            weight=row["weight"],
            override_points=row["override_points"],
            rules=row["rules"] or [],
            note=row["note"],
            extra=row["extra"] or {},
            order=row["order"],
        )
        node.pk = row["id"]
        nodes.append(node)
    return link(nodes)


def document_for(version: IndicatorVersion) -> Document:
    system = version.system
    return Document(
        slug=system.slug,
        name=system.name,
        issuer=system.issuer,
        year=system.year,
        version=version.number,
        roots=nodes_of(version),
        description=system.description,
        source=system.source,
        scoring=system.scoring,
        cadence=system.cadence,
        phases=list(system.phases),
        extra=dict(system.extra),
    )


# Published versions never change, so their nodes can be kept in memory; the key includes the
# publication time so that a reused id (a test database, a restore) never hits a stale entry.
_NODE_CACHE: dict[tuple[int, str], tuple[list[IndicatorNode], list[IndicatorNode]]] = {}


def _read(version: IndicatorVersion) -> tuple[list[IndicatorNode], list[IndicatorNode]]:
    nodes = list(IndicatorNode.objects.filter(version=version).order_by("order"))
    parents = {n.parent_id for n in nodes if n.parent_id}
    return nodes, [n for n in nodes if n.pk not in parents]


def _published(version: IndicatorVersion) -> tuple[list[IndicatorNode], list[IndicatorNode]]:
    if not version.is_published or version.published_at is None:
        return _read(version)
    key = (version.pk, version.published_at.isoformat())
    found = _NODE_CACHE.get(key)
    if found is None:
        if len(_NODE_CACHE) > 64:
            _NODE_CACHE.clear()
        found = _NODE_CACHE[key] = _read(version)
    return found


def published_nodes(version: IndicatorVersion) -> list[IndicatorNode]:
    """Every node of a version, in order (headings and leaves); cached for published versions,
    read once per process instead of on every page that shows the tree. Callers must not
    modify the returned nodes."""
    return _published(version)[0]


def published_node(version: IndicatorVersion, pk: int) -> IndicatorNode | None:
    """One node of a version by id, from the cached tree (`published_nodes`); None when the
    version has no such node."""
    for node in published_nodes(version):
        if node.pk == pk:
            return node
    return None


def published_leaves(version: IndicatorVersion) -> list[IndicatorNode]:
    """The leaves of a version in tree order; cached for published versions. Callers must not
    modify the returned nodes."""
    return _published(version)[1]
