"""先进单位 as an honour programme (issue 16 point 1): approving a campaign's results makes its
advanced units the candidates of one unit programme, on the list to be named; a re-approval
brings it in line without a duplicate; it then runs through 公示 and naming like any programme.

The campaign is the documents' world (tests/reports/doc_fixtures.py): A 17 不达标, B 27 优秀,
C 15 vetoed by 纪检监察, D 28 优秀; quota floor(4 × 0.5) = 2 → B and D advanced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mofan.audit.models import AuditEntry
from mofan.campaigns.models import Enrollment
from mofan.evaluations import approval
from mofan.evaluations.models import UnitResult
from mofan.honours import nominations as writes
from mofan.honours import selectors, services
from mofan.honours.campaign_results import campaign_programme_sync
from mofan.honours.models import (
    HonourProgramme,
    Nomination,
    NominationState,
    ProgrammeSource,
    ProgrammeState,
)
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import UnitFactory
from tests.honours.world import build_world
from tests.rectification.rereview_fixtures import approve
from tests.reports.doc_fixtures import DocWorld, build_doc_world
from tests.world import active_campaign

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 1)


@pytest.fixture
def dw() -> DocWorld:
    return build_doc_world(publish=False)


def the_programme(dw: DocWorld) -> HonourProgramme:
    return HonourProgramme.objects.get(campaign=dw.campaign)


def states(p: HonourProgramme) -> dict[str, str]:
    return {n.unit.short_name: n.state for n in p.nominations.select_related("unit")}


def reapprove_with_veto(dw: DocWorld, letter: str) -> None:
    """复核: the unit's result reopened, a veto of 纪检监察 recorded, the campaign approved
    again."""
    admin = dw.actor("committee_admin")
    enrollment = {"B": dw.world.eb, "D": dw.ed}[letter]
    approval.result_reopen(enrollment=enrollment, reason="复核", actor=admin)
    approval.veto_input_record(
        enrollment=enrollment, source="discipline", vetoed=True, opinion="违纪", actor=admin
    )
    approve(dw.world)


def test_approval_makes_the_programme_of_exactly_the_advanced_units(dw):
    p = the_programme(dw)
    advanced = set(
        UnitResult.objects.filter(campaign=dw.campaign, advanced=True).values_list(
            "enrollment__unit_id", flat=True
        )
    )
    assert advanced == {dw.unit("B").pk, dw.unit("D").pk}
    assert (p.source, p.kind, p.state) == (
        ProgrammeSource.CAMPAIGN_RESULTS,
        "unit",
        ProgrammeState.REVIEWING,
    )
    assert (p.committee_id, p.year, p.title) == (
        dw.campaign.committee_id,
        dw.campaign.year,
        f"{dw.campaign.year}年度创建模范机关先进单位",
    )
    assert set(p.nominations.values_list("unit_id", flat=True)) == advanced  # no A, no vetoed C
    assert states(p) == {"乙": NominationState.SELECTED, "丁": NominationState.SELECTED}
    b = p.nominations.get(unit=dw.unit("B"))
    assert b.score == Decimal(27) and b.record["审定等次"] == "优秀"
    assert p.quota_value == 2
    # the approver's audit trail holds the programme and each candidate
    assert AuditEntry.objects.filter(action="honour.programme.create", object_id=str(p.pk))
    assert AuditEntry.objects.filter(action="honour.campaign_candidate").count() == 2
    assert services.selection_of(p).named == tuple(
        p.nominations.order_by("-score", "pk").values_list("pk", flat=True)
    )


def test_a_second_approval_makes_no_duplicate(dw):
    p = the_programme(dw)
    approve(dw.world)  # every unit already approved: approved again, nothing changes
    assert HonourProgramme.objects.filter(campaign=dw.campaign).count() == 1
    assert p.nominations.count() == 2
    assert AuditEntry.objects.filter(action="honour.campaign_candidate").count() == 2


def test_a_reapproval_after_a_veto_takes_the_vetoed_unit_off_the_list(dw):
    reapprove_with_veto(dw, "B")
    assert not UnitResult.objects.get(enrollment=dw.world.eb).advanced
    p = the_programme(dw)
    assert HonourProgramme.objects.filter(campaign=dw.campaign).count() == 1
    assert states(p) == {"乙": NominationState.NOT_SELECTED, "丁": NominationState.SELECTED}
    assert p.quota_value == 1
    b = p.nominations.get(unit=dw.unit("B"))
    entry = AuditEntry.objects.filter(
        action="honour.campaign_candidate", object_id=str(b.pk)
    ).latest("pk")
    assert entry.data["after"]["state"] == NominationState.NOT_SELECTED


def test_units_do_not_nominate_for_it(dw):
    p = the_programme(dw)
    with pytest.raises(ValidationError, match="不接受推荐"):
        writes.nomination_create(
            programme=p, unit=dw.unit("A"), statement="事迹突出", actor=dw.actor("owner")
        )
    assert p.nominations.count() == 2


def test_it_runs_through_review_publicity_and_naming(dw):
    admin = dw.actor("committee_admin")
    p = the_programme(dw)
    d = p.nominations.get(unit=dw.unit("D"))
    writes.veto_record(
        nomination=d, source="audit", vetoes=True, document="审计函2号", note="", actor=admin
    )
    services.programme_transition(programme=p, action="publish", actor=admin, today=DAY)
    assert states(p) == {"乙": NominationState.SELECTED, "丁": NominationState.NOT_SELECTED}
    # a re-approval during 公示 that changes nothing keeps the period; a vetoed one stays off
    approve(dw.world)
    p.refresh_from_db()
    assert p.publicity_start == DAY
    assert states(p)["丁"] == NominationState.NOT_SELECTED
    services.programme_transition(
        programme=p,
        action="name",
        actor=admin,
        document_number="焦直文〔2026〕8号",
        today=DAY + dt.timedelta(days=p.publicity_days),
    )
    p.refresh_from_db()
    assert p.state == ProgrammeState.NAMED
    register = selectors.register_for(admin, p.committee_id, p.year)
    assert [n.unit_id for n in register] == [dw.unit("B").pk]
    history = selectors.honours_readable_by(dw.actor("owner")).filter(unit=dw.unit("B"))
    assert [n.programme_id for n in history] == [p.pk]
    # once named, a later approval leaves it as it is
    reapprove_with_veto(dw, "D")
    assert states(p) == {"乙": NominationState.NAMED, "丁": NominationState.NOT_SELECTED}
    assert HonourProgramme.objects.filter(campaign=dw.campaign).count() == 1


def test_a_change_during_publicity_restarts_it(dw):
    admin = dw.actor("committee_admin")
    p = the_programme(dw)
    services.programme_transition(programme=p, action="publish", actor=admin, today=DAY)
    later = DAY + dt.timedelta(days=2)
    enrollment = dw.ed
    approval.result_reopen(enrollment=enrollment, reason="复核", actor=admin)
    approval.veto_input_record(
        enrollment=enrollment, source="discipline", vetoed=True, opinion="违纪", actor=admin
    )
    approval.campaign_approve(campaign=dw.campaign, actor=admin, today=later)
    p.refresh_from_db()
    assert (p.state, p.publicity_start) == (ProgrammeState.PUBLICITY, later)
    assert p.publicity_end == later + dt.timedelta(days=p.publicity_days)
    assert states(p) == {"乙": NominationState.SELECTED, "丁": NominationState.NOT_SELECTED}
    assert Nomination.objects.filter(programme=p).count() == 2


def _sync_queries(w, campaign, units: int) -> tuple[int, int]:
    """Queries of the first sync (creating) and of a second one after every score changed
    (updating), for a campaign with `units` advanced units (results written as plain rows)."""
    for i in range(units):
        unit = UnitFactory(committee=w.committee, name=f"单位{campaign.pk}-{i}")
        enrollment = Enrollment.objects.create(campaign=campaign, unit=unit)
        UnitResult.objects.create(
            enrollment=enrollment,
            campaign=campaign,
            grade="优秀",
            composite=Decimal(90),
            advanced=True,
            frozen=True,
        )
    actor = w.actor("committee_admin")
    with CaptureQueriesContext(connection) as first:
        campaign_programme_sync(campaign=campaign, actor=actor)
    UnitResult.objects.filter(campaign=campaign).update(composite=Decimal(91))
    with CaptureQueriesContext(connection) as second:
        campaign_programme_sync(campaign=campaign, actor=actor)
    assert Nomination.objects.filter(programme__campaign=campaign, score=91).count() == units
    return len(first), len(second)


def test_the_sync_queries_do_not_grow_with_the_units():

    w = build_world()
    version = small_version()
    campaigns = [
        active_campaign(
            committee=w.committee,
            version=version,
            admin=w.users["committee_admin"],
            name=f"第{i}期创建",
            year=2020 + i,
        )
        for i in (1, 2)
    ]
    # the world's units A and B are enrolled in both and have no result: not advanced
    assert _sync_queries(w, campaigns[0], 3) == _sync_queries(w, campaigns[1], 12)
