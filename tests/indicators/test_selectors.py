"""The indicator tree of a published version is read once per process (`published_nodes`,
`published_leaves`): the same nodes, in order, as the database holds them, with no query the
second time; a draft version, which still changes, is read afresh each time."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mofan.accounts.access import actor_for
from mofan.indicators import services
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from mofan.indicators.selectors import published_leaves, published_node, published_nodes

pytestmark = pytest.mark.django_db


@pytest.fixture
def yueqing(db) -> IndicatorVersion:
    call_command("load_templates", stdout=io.StringIO())
    return IndicatorVersion.objects.get(system__committee=None, system__slug="yueqing-2020")


def in_db(version: IndicatorVersion, **filters) -> list[int]:
    nodes = IndicatorNode.objects.filter(version=version, **filters).order_by("order")
    return list(nodes.values_list("pk", flat=True))


def test_a_published_tree_is_read_once_and_is_the_databases(yueqing):
    nodes = published_nodes(yueqing)
    assert [n.pk for n in nodes] == in_db(yueqing)
    assert [n.pk for n in published_leaves(yueqing)] == in_db(yueqing, children__isnull=True)
    with CaptureQueriesContext(connection) as queries:
        again, leaves = published_nodes(yueqing), published_leaves(yueqing)
    assert len(queries) == 0
    assert again is nodes and [n.pk for n in leaves] == in_db(yueqing, children__isnull=True)


def test_a_draft_tree_is_read_afresh(yueqing, committee, committee_admin):
    admin = actor_for(committee_admin)
    draft = services.version_clone(version=yueqing, committee=committee, actor=admin)
    before = published_nodes(draft)
    parent = IndicatorNode.objects.get(version=draft, code="2.2")
    created = services.node_create(version=draft, parent=parent, actor=admin, title="新增的细则")
    after = published_nodes(draft)
    assert created.pk not in {n.pk for n in before}
    assert [n.pk for n in after] == in_db(draft)
    assert created.pk in {n.pk for n in published_leaves(draft)}


def test_one_node_by_id_from_the_tree_and_none_from_another_version(yueqing, committee):
    other = IndicatorVersion.objects.exclude(pk=yueqing.pk).filter(system__committee=None).first()
    assert other is not None
    wanted = IndicatorNode.objects.get(version=yueqing, code="2.2")
    foreign = IndicatorNode.objects.filter(version=other).first()
    assert foreign is not None
    published_nodes(yueqing)
    with CaptureQueriesContext(connection) as queries:
        found = published_node(yueqing, wanted.pk)
        missing = published_node(yueqing, foreign.pk)
    assert len(queries) == 0
    assert found is not None and (found.pk, found.code) == (wanted.pk, "2.2")
    assert missing is None
