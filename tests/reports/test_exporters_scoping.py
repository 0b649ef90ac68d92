"""An exporter never shows a user more than its pages do (issue 6 points 3 and 9): the leaking
data is created first, then shown not to leak, for the unit's admin (owner), its leader
(colleague), another unit (outsider), reviewers and other committees."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from mofan.accounts.access import actor_for
from mofan.reports.actors import is_system, system_actor
from mofan.reports.exporters.evidence_index import EvidenceIndexExporter
from mofan.reports.exporters.problems import ProblemListExporter, SupervisionLedgerExporter
from mofan.reports.exporters.ranking import RankingExporter
from mofan.reports.exporters.score_sheet import ScoreSheetExporter
from tests.evaluations.campaign_fixtures import World
from tests.reports.table_fixtures import (
    TODAY,
    approved_world,
    csv_rows,
    evidence,
    link,
    make_items,
    xlsx_column,
    xlsx_rows,
)
from tests.world import persona as make_persona

pytestmark = pytest.mark.django_db


def _ranking(world: World, persona: str, **kw):
    return RankingExporter(campaign=world.campaign, actor=world.actor(persona), **kw)


def _sheet(world: World, persona: str, unit):
    return ScoreSheetExporter(campaign=world.campaign, actor=world.actor(persona), unit=unit)


# --- ranking ----------------------------------------------------------------------------------


def test_a_unit_gets_no_ranking_before_publication():
    world = approved_world()
    for persona in ("owner", "colleague", "outsider"):
        with pytest.raises(PermissionDenied):
            _ranking(world, persona).check()


@pytest.mark.parametrize("persona", ["assigned", "leader", "unassigned", "other_admin", "auditor"])
def test_reviewers_and_others_get_no_ranking(persona):
    world = approved_world(publish=True, ranking=True)
    with pytest.raises(PermissionDenied):
        _ranking(world, persona).check()


def test_after_publication_a_unit_gets_only_its_own_row_with_its_rank_band():
    world = approved_world(publish=True)
    rows = xlsx_rows(_ranking(world, "owner"))
    assert "一票否决" not in rows[0]  # empty in every row: left out
    assert rows[1:] == [["前 50%", "甲单位", 17, 10, 24, 27, 27, "优秀", "先进单位", "已审定"]]
    flat = repr(rows)
    assert "乙单位" not in flat and "丙单位" not in flat
    rows = csv_rows(_ranking(world, "outsider"))
    assert [r[:2] for r in rows[1:]] == [["后 50%", "乙单位"]]


def test_with_the_ranking_published_a_unit_sees_its_rank():
    world = approved_world(publish=True, ranking=True)
    rows = xlsx_rows(_ranking(world, "colleague"))
    assert [r[:2] for r in rows[1:]] == [[1, "甲单位"]]
    assert _ranking(world, "colleague").count() == 1


def test_a_unit_cannot_narrow_the_ranking_to_another_unit():
    world = approved_world(publish=True, ranking=True)
    with pytest.raises(PermissionDenied):
        _ranking(world, "owner", unit=world.unit_b).check()
    export = _ranking(world, "committee_admin", unit=world.unit_b)
    assert [r[1] for r in xlsx_rows(export)[1:]] == ["乙单位"]


def test_another_committees_admin_cannot_narrow_to_a_unit_of_this_one():
    world = approved_world(publish=True, ranking=True)
    with pytest.raises(PermissionDenied):
        _ranking(world, "other_admin", unit=world.unit_a).check()


# --- score sheet ------------------------------------------------------------------------------


def test_unit_a_exporting_unit_bs_score_sheet_is_refused():
    world = approved_world(publish=True, ranking=True)
    for persona in ("owner", "colleague"):
        with pytest.raises(PermissionDenied):
            _sheet(world, persona, world.unit_b).check()
    with pytest.raises(PermissionDenied):
        _sheet(world, "outsider", world.unit_a).check()


def test_a_unit_gets_its_score_sheet_only_after_publication():
    world = approved_world()
    with pytest.raises(PermissionDenied):
        _sheet(world, "owner", world.unit_a).check()
    world.campaign.results_published = True
    world.campaign.save()
    _sheet(world, "owner", world.unit_a).check()


@pytest.mark.parametrize("persona", ["assigned", "leader", "unassigned", "other_admin", "auditor"])
def test_reviewers_and_others_get_no_score_sheet(persona):
    world = approved_world(publish=True, ranking=True)
    with pytest.raises(PermissionDenied):
        _sheet(world, persona, world.unit_a).check()


def test_the_score_sheet_needs_an_enrolled_unit():
    world = approved_world()
    with pytest.raises(LookupError):
        ScoreSheetExporter(campaign=world.campaign, actor=world.actor("committee_admin")).check()
    from tests.factories import UnitFactory

    late = UnitFactory(committee=world.committee, name="未参加单位")
    with pytest.raises(LookupError):
        _sheet(world, "committee_admin", late).check()


# --- problem list and ledger ------------------------------------------------------------------


def test_a_units_problem_list_has_only_its_own_items_of_the_campaign():
    world = approved_world()
    make_items(world)
    for persona in ("owner", "colleague"):
        export = ProblemListExporter(
            campaign=world.campaign, actor=world.actor(persona), today=TODAY
        )
        export.check()
        rows = csv_rows(export)
        assert [r[4] for r in rows[1:]] == ["台账不全", "学习记录缺失"]
        flat = repr(rows)
        assert "乙单位" not in flat and "外工委" not in flat and "工委检查发现的问题" not in flat
    export = ProblemListExporter(campaign=world.campaign, actor=world.actor("outsider"))
    assert xlsx_column(export, "问题描述") == ["乙单位的问题"]


def test_a_units_ledger_has_only_its_own_items():
    world = approved_world()
    make_items(world)
    export = SupervisionLedgerExporter(campaign=world.campaign, actor=world.actor("owner"))
    rows = xlsx_rows(export)
    assert [r[2] for r in rows[1:]] == ["完善党建台账", "整改学习制度"]
    assert "乙单位" not in repr(rows)
    export = SupervisionLedgerExporter(campaign=world.campaign, actor=world.actor("outsider"))
    assert [r[2] for r in xlsx_rows(export)[1:]] == ["乙单位的督办事项"]


def test_the_committee_can_narrow_the_problem_list_to_one_unit():
    world = approved_world()
    make_items(world)
    export = ProblemListExporter(
        campaign=world.campaign, actor=world.actor("committee_admin"), unit=world.unit_b
    )
    assert xlsx_column(export, "问题描述") == ["乙单位的问题"]
    with pytest.raises(PermissionDenied):
        ProblemListExporter(
            campaign=world.campaign, actor=world.actor("owner"), unit=world.unit_b
        ).check()


@pytest.mark.parametrize("persona", ["assigned", "leader", "other_admin", "auditor"])
def test_reviewers_and_others_get_no_problem_list_or_ledger(persona):
    world = approved_world()
    make_items(world)
    for cls in (ProblemListExporter, SupervisionLedgerExporter):
        with pytest.raises(PermissionDenied):
            cls(campaign=world.campaign, actor=world.actor(persona)).check()


def test_a_unit_member_gets_nothing():
    world = approved_world(publish=True, ranking=True)
    member = actor_for(make_persona("member", unit_a=world.unit_a))
    for cls in (RankingExporter, ProblemListExporter, SupervisionLedgerExporter):
        with pytest.raises(PermissionDenied):
            cls(campaign=world.campaign, actor=member).check()
    with pytest.raises(PermissionDenied):
        EvidenceIndexExporter(campaign=world.campaign, actor=member).check()


# --- evidence index ---------------------------------------------------------------------------


def _evidence_world() -> World:
    world = approved_world()
    a_file = evidence(world.unit_a, "甲的材料.pdf", world.user("owner"))
    b_file = evidence(world.unit_b, "乙的材料.pdf", world.user("outsider"))
    c_file = evidence(world.unit_c, "丙的材料.pdf", world.user("outsider"))
    link(a_file, world.ea, world.node("1.1"))
    link(b_file, world.eb, world.node("1.1"))
    link(c_file, world.ec, world.node("1.1"))
    # the other committee's unit links a file in its own campaign
    x_file = evidence(world.ex.unit, "外单位材料.pdf", world.user("other_admin"))
    link(x_file, world.ex, world.node("1.1"))
    return world


def test_a_units_evidence_index_has_only_its_own_files():
    world = _evidence_world()
    rows = xlsx_rows(EvidenceIndexExporter(campaign=world.campaign, actor=world.actor("owner")))
    assert [r[3] for r in rows[1:]] == ["甲的材料.pdf"]
    assert rows[1][7] == "甲联络员"
    with pytest.raises(PermissionDenied):
        EvidenceIndexExporter(
            campaign=world.campaign, actor=world.actor("owner"), unit=world.unit_b
        ).check()


def test_a_reviewer_gets_the_files_of_assigned_units_without_the_uploader():
    world = _evidence_world()
    rows = xlsx_rows(EvidenceIndexExporter(campaign=world.campaign, actor=world.actor("assigned")))
    assert "上传人" not in rows[0]  # never shown to a reviewer: no empty column either
    assert [(r[0], r[3]) for r in rows[1:]] == [("甲单位", "甲的材料.pdf")]
    rows = xlsx_rows(
        EvidenceIndexExporter(campaign=world.campaign, actor=world.actor("unassigned"))
    )
    assert [r[3] for r in rows[1:]] == ["乙的材料.pdf", "丙的材料.pdf"]
    with pytest.raises(PermissionDenied):
        EvidenceIndexExporter(
            campaign=world.campaign, actor=world.actor("assigned"), unit=world.unit_b
        ).check()


def test_the_committee_gets_every_file_of_its_campaign_only():
    world = _evidence_world()
    rows = xlsx_rows(
        EvidenceIndexExporter(campaign=world.campaign, actor=world.actor("committee_leader"))
    )
    assert [r[3] for r in rows[1:]] == ["甲的材料.pdf", "乙的材料.pdf", "丙的材料.pdf"]
    for persona in ("other_admin", "auditor"):
        with pytest.raises(PermissionDenied):
            EvidenceIndexExporter(campaign=world.campaign, actor=world.actor(persona)).check()


# --- the system actor -------------------------------------------------------------------------


def test_the_system_actor_sees_what_the_committee_admin_sees_and_nothing_else():
    world = _evidence_world()
    make_items(world)
    system = system_actor(world.committee.pk)
    assert is_system(system) and not is_system(world.actor("committee_admin"))
    for cls in (RankingExporter, ProblemListExporter, SupervisionLedgerExporter):
        ours = xlsx_rows(cls(campaign=world.campaign, actor=system, today=TODAY))
        admins = xlsx_rows(
            cls(campaign=world.campaign, actor=world.actor("committee_admin"), today=TODAY)
        )
        assert ours == admins
    foreign = system_actor(world.other_committee.pk)
    with pytest.raises(PermissionDenied):
        RankingExporter(campaign=world.campaign, actor=foreign).check()
