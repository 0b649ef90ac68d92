"""Who may have which official document (issue 6 point 4): the committee's staff all four; a
unit's admin or leader the results bulletin and the naming notice once the results are
published (as on its own page), and its own rectification notice — never another unit's.
Every refused persona is refused in `check()` and again in `build()`, before anything is read.
"""

# ruff: noqa: F811
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from mofan.evaluations import approval
from mofan.reports.documents.naming_notice import NamingNotice
from mofan.reports.documents.rectification_notice import RectificationNotice
from mofan.reports.documents.results_bulletin import ResultsBulletin
from mofan.reports.documents.work_summary import WorkSummary
from tests.reports.doc_fixtures import (
    B_ITEM,
    DOC_DAY,
    docs,  # noqa: F401 (a fixture)
    docs_unpublished,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db

STAFF = ("committee_admin", "committee_leader")
UNIT_READERS = ("owner", "colleague", "outsider", "d_admin")  # A admin, A leader, B, D
NOBODY = ("a_member", "assigned", "leader", "auditor", "other_admin")


def _allowed(export) -> bool:
    try:
        export.check()
    except PermissionDenied:
        with pytest.raises(PermissionDenied):
            export.build()
        return False
    return True


@pytest.mark.parametrize("cls", [ResultsBulletin, NamingNotice])
def test_results_documents_reach_units_once_published(docs, cls):
    for name in STAFF + UNIT_READERS:
        assert _allowed(cls(campaign=docs.campaign, actor=docs.actor(name), today=DOC_DAY)), name
    for name in NOBODY:
        assert not _allowed(cls(campaign=docs.campaign, actor=docs.actor(name))), name


@pytest.mark.parametrize("cls", [ResultsBulletin, NamingNotice])
def test_results_documents_stay_with_the_committee_before_publication(docs_unpublished, cls):
    docs = docs_unpublished
    for name in STAFF:
        assert _allowed(cls(campaign=docs.campaign, actor=docs.actor(name))), name
    for name in UNIT_READERS + NOBODY:
        assert not _allowed(cls(campaign=docs.campaign, actor=docs.actor(name))), name
    # Publishing opens them to the units.
    approval.campaign_publish(campaign=docs.campaign, actor=docs.actor("committee_admin"))
    assert _allowed(cls(campaign=docs.campaign, actor=docs.actor("owner")))


def test_the_work_summary_is_the_committees_only(docs):
    for name in STAFF:
        assert _allowed(WorkSummary(campaign=docs.campaign, actor=docs.actor(name))), name
    for name in UNIT_READERS + NOBODY:
        assert not _allowed(WorkSummary(campaign=docs.campaign, actor=docs.actor(name))), name


def test_a_unit_gets_its_own_rectification_notice_only(docs):
    unit_a, unit_b = docs.unit("A"), docs.unit("B")
    # B's item exists (created first) and is on B's notice for B and the committee.
    for name in ("outsider", "committee_admin"):
        notice = RectificationNotice(
            campaign=docs.campaign, actor=docs.actor(name), unit=unit_b
        ).build()
        assert B_ITEM in repr(notice.blocks)
    for name in ("owner", "colleague", *STAFF):
        export = RectificationNotice(campaign=docs.campaign, actor=docs.actor(name), unit=unit_a)
        assert _allowed(export), name
        assert B_ITEM not in repr(export.build().blocks)
    for name in ("outsider", "d_admin", *NOBODY):
        export = RectificationNotice(campaign=docs.campaign, actor=docs.actor(name), unit=unit_a)
        assert not _allowed(export), name
    # A asking for B's notice is refused, and the refusal says nothing of B's items.
    export = RectificationNotice(campaign=docs.campaign, actor=docs.actor("owner"), unit=unit_b)
    with pytest.raises(PermissionDenied) as refused:
        export.build()
    assert B_ITEM not in str(refused.value)


def test_a_notice_for_a_unit_of_another_committee_is_refused(docs):
    export = RectificationNotice(
        campaign=docs.campaign,
        actor=docs.actor("committee_admin"),
        unit=docs.world.ex.unit,  # 外单位 of the other committee
    )
    assert not _allowed(export)


def test_the_rectification_notice_needs_a_unit(docs):
    export = RectificationNotice(campaign=docs.campaign, actor=docs.actor("committee_admin"))
    with pytest.raises(ValueError):
        export.check()
