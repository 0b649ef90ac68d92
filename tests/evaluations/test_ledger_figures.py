"""Figures computed from the activity ledger (取数, issue 15 point 3): stored per enrollment,
refreshed in the transaction of every record, roster or leadership change, judged over the
right people and organisations, and computed set-wise (queries do not grow with units)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from mofan.accounts.access import actor_for
from mofan.activities import services
from mofan.activities.models import ActivityKind
from mofan.campaigns.models import Enrollment
from mofan.campaigns.services import leadership_add
from mofan.evaluations.ledger_figures import (
    departs,
    figures_of,
    ledger_figures_refresh,
    share_of,
    suggestion,
)
from mofan.evaluations.models import LedgerFigures
from mofan.indicators.builtin import load_templates
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from mofan.organizations.services import member_delete
from tests.factories import MemberFactory, PartyOrgFactory, UnitFactory
from tests.world import active_campaign, committee_with_units, persona

pytestmark = pytest.mark.django_db

YEAR = 2026
ON = datetime.date(YEAR, 3, 5)


def kind(code: str) -> ActivityKind:
    return ActivityKind.objects.get(committee=None, code=code)


class World:
    def __init__(self, template: str = "xinzhou-2022") -> None:
        load_templates()
        self.committee, (self.unit_a, self.unit_b) = committee_with_units(
            name="取数工委", code="ledger-figures"
        )
        where = {"committee": self.committee, "unit_a": self.unit_a, "unit_b": self.unit_b}
        self.admin = persona("committee_admin", **where)
        self.owner = actor_for(persona("unit_admin", **where))
        self.outsider = actor_for(persona("outsider", **where))
        self.org_a = PartyOrgFactory(unit=self.unit_a, name="甲第一支部")
        self.org_b = PartyOrgFactory(unit=self.unit_b, name="乙支部")
        self.people = {
            n: MemberFactory(unit=self.unit_a, party_org=self.org_a, name=n)
            for n in ("王一", "王二", "王三")
        }
        self.b1 = MemberFactory(unit=self.unit_b, party_org=self.org_b, name="乙一")
        self.version = IndicatorVersion.objects.get(system__committee=None, system__slug=template)
        self.campaign = active_campaign(
            committee=self.committee, version=self.version, admin=self.admin, name="取数", year=YEAR
        )
        self.enrollment = Enrollment.objects.get(campaign=self.campaign, unit=self.unit_a)

    def volunteer(self, name: str, on: datetime.date = ON, actor=None, org=None) -> None:
        person = self.people.get(name) or self.b1
        services.activity_record_create(
            data=services.RecordInput(
                party_org=org or person.party_org,
                kind=kind("volunteer"),
                held_on=on,
                topic=f"社区志愿服务 {name} {on}",
                present=[person.pk],
            ),
            actor=actor or (self.outsider if person == self.b1 else self.owner),
            today=datetime.date(YEAR, 12, 31),
        )

    def figure(self, code: str = "4.3", enrollment: Enrollment | None = None) -> dict:
        node = IndicatorNode.objects.get(version=self.version, code=code)
        return figures_of(enrollment or self.enrollment)[node.pk][0]


@pytest.fixture
def w() -> World:
    return World()


def test_enrolling_computes_the_figures_and_a_record_refreshes_them(w: World) -> None:
    # Computed at enrolment: three members, nobody has served yet.
    figure = w.figure()
    assert (figure["judged"], figure["passed"], figure["value"]) == (3, 0, "0.0000")
    assert figure["label"] == "党员社区志愿服务" and figure["period"] == "year"
    for on in (ON, ON + datetime.timedelta(days=30)):
        w.volunteer("王一", on)
    w.volunteer("王二")
    figure = w.figure()
    assert (figure["judged"], figure["passed"], figure["met"]) == (3, 1, False)
    assert figure["value"] == "0.3333"
    assert len(figure["records"]) == 3
    assert sorted(s[0] for s in figure["short"]) == ["王三", "王二"]


def test_another_units_records_never_count(w: World) -> None:
    w.volunteer("乙一")
    w.volunteer("乙一", ON + datetime.timedelta(days=1))
    mine, theirs = (
        w.figure(),
        w.figure(enrollment=Enrollment.objects.get(campaign=w.campaign, unit=w.unit_b)),
    )
    assert mine["passed"] == 0 and mine["records"] == []
    assert (theirs["judged"], theirs["passed"]) == (1, 1)


def test_records_outside_the_campaign_year_do_not_count(w: World) -> None:
    w.volunteer("王一", datetime.date(YEAR - 1, 12, 31))
    w.volunteer("王一", datetime.date(YEAR, 1, 1))
    assert len(w.figure()["records"]) == 1


def test_a_deleted_record_and_a_removed_member_refresh_the_figure(w: World) -> None:
    w.volunteer("王一")
    w.volunteer("王一", ON + datetime.timedelta(days=2))
    assert w.figure()["passed"] == 1
    record = w.enrollment.unit.activity_records.first()
    services.activity_record_delete(record=record, actor=w.owner)
    assert w.figure()["passed"] == 0
    member_delete(member=w.people["王三"], actor=w.owner)
    assert w.figure()["judged"] == 2


def test_leaders_are_the_leadership_team_matched_by_name_to_the_roll() -> None:
    w = World("jiaozuo-2020")
    leadership_add(enrollment=w.enrollment, role="leader", name="王一", post="局长", actor=w.owner)
    leadership_add(enrollment=w.enrollment, role="member", name="不在册", post="", actor=w.owner)
    node = IndicatorNode.objects.get(version=w.version, code="1.2.1")
    contact, party_group = figures_of(w.enrollment)[node.pk]
    assert (contact["key"], contact["judged"], contact["unmatched"]) == (
        "leadership_contact_point",
        1,
        ["不在册"],
    )
    # The 党组's 专题研究 is judged once per quarter for the whole unit.
    assert (party_group["key"], party_group["judged"], party_group["period"]) == (
        "party_group_study",
        4,
        "quarter",
    )
    for day in (ON, ON + datetime.timedelta(days=40)):
        services.activity_record_create(
            data=services.RecordInput(
                party_org=w.org_a,
                kind=kind("contact-visit"),
                held_on=day,
                topic="联系点调研",
                present=[w.people["王一"].pk],
            ),
            actor=w.owner,
            today=datetime.date(YEAR, 12, 31),
        )
    contact = figures_of(w.enrollment)[node.pk][0]
    assert (contact["passed"], contact["met"]) == (1, True)


def test_a_version_without_ledger_rules_stores_nothing() -> None:
    w = World("bureau-2022")
    assert not LedgerFigures.objects.filter(campaign=w.campaign).exists()
    assert ledger_figures_refresh(campaign=w.campaign) == 0


def test_refreshing_a_campaign_costs_the_same_queries_for_more_units(w: World) -> None:
    def measured() -> int:
        with CaptureQueriesContext(connection) as queries:
            ledger_figures_refresh(campaign=w.campaign)
        return len(queries)

    w.volunteer("王一")
    few = measured()
    for n in range(4):
        unit = UnitFactory(committee=w.committee, name=f"加{n}单位")
        org = PartyOrgFactory(unit=unit)
        MemberFactory(unit=unit, party_org=org)
        Enrollment.objects.create(campaign=w.campaign, unit=unit)
    assert measured() == few
    assert LedgerFigures.objects.filter(campaign=w.campaign).count() == 6


# --- the suggested input ----------------------------------------------------------------------


def figure(value: str | None, met: bool, **extra: object) -> dict:
    return {
        "key": "k",
        "measure": "per_person",
        "threshold": "2",
        "value": value,
        "met": met,
        "short": [],
        **extra,
    }


GRADE = {"type": "grade", "bands": [{"label": x, "ratio": [0, 1]} for x in "ABCD"]}


def test_the_suggestion_per_method() -> None:
    assert suggestion(GRADE, Decimal(8), [figure("1.0000", True)]) == {"band": "A"}
    assert suggestion(GRADE, Decimal(8), [figure("0.9000", False)]) == {"band": "B"}
    assert suggestion(GRADE, Decimal(8), [figure("0.0000", False)]) == {"band": "D"}
    qualitative = {"type": "qualitative"}
    assert suggestion(qualitative, None, [figure("1.0000", True), figure("0.5", False)]) == {
        "level": "未达标"
    }
    assert suggestion(qualitative, None, [figure(None, False)]) is None
    manual = {"type": "manual", "step": "0.5"}
    assert suggestion(manual, Decimal(5), [figure("0.7500", False)]) == {"value": "3.5"}
    short = figure("0.5000", False, short=[["一支部", "2026-01-01", 9, 12]], key="r")
    assert suggestion({"type": "quantitative", "rule": "r"}, Decimal(5), [short]) == {"value": "9"}
    hours = figure("0.6000", False, measure="hours_ratio", threshold="0.7", key="r")
    assert suggestion({"type": "quantitative", "rule": "r"}, Decimal(5), [hours]) == {
        "value": "0.6000"
    }
    assert suggestion({"type": "deduction", "rules": []}, Decimal(5), [short]) is None


def test_a_departure_is_judged_on_the_suggested_keys_only() -> None:
    assert not departs({"band": "A", "value": "7.5"}, {"band": "A"})
    assert departs({"band": "B"}, {"band": "A"})
    assert not departs({"value": "3.50"}, {"value": "3.5"})
    assert departs({"value": "x"}, {"value": "3.5"})
    assert not departs({"level": "差"}, None)


@given(
    value=st.decimals(min_value=0, max_value=1, places=4),
    levels=st.integers(min_value=1, max_value=6),
)
def test_a_better_figure_never_suggests_a_worse_level(value: Decimal, levels: int) -> None:
    method = {"type": "qualitative", "labels": [f"L{i}" for i in range(levels)]}
    better = min(Decimal(1), value + Decimal("0.1"))
    rank = method["labels"].index(suggestion(method, None, [figure(str(value), False)])["level"])
    higher = method["labels"].index(
        suggestion(method, None, [figure(str(better), better == 1)])["level"]
    )
    assert higher <= rank
    assert share_of(figure(str(value), False)) == value


def test_the_command_computes_the_figures_again(w: World) -> None:
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    LedgerFigures.objects.all().delete()
    out = io.StringIO()
    call_command("ledger_figures", campaign=w.campaign.pk, stdout=out)
    assert f"campaign {w.campaign.pk}: 2 units" in out.getvalue()
    assert w.figure()["judged"] == 3
    with pytest.raises(CommandError):
        call_command("ledger_figures", campaign=999999, stdout=io.StringIO())


def test_the_command_without_a_campaign_passes_over_closed_ones_unless_named(w: World) -> None:
    import io

    from django.core.management import call_command

    from mofan.campaigns.models import Campaign, CampaignStatus

    Campaign.objects.filter(pk=w.campaign.pk).update(status=CampaignStatus.CLOSED)
    LedgerFigures.objects.all().delete()
    out = io.StringIO()
    call_command("ledger_figures", stdout=out)
    assert f"campaign {w.campaign.pk}:" not in out.getvalue()
    assert not LedgerFigures.objects.exists()
    call_command("ledger_figures", campaign=w.campaign.pk, stdout=out)
    assert f"campaign {w.campaign.pk}: 2 units" in out.getvalue()
    assert w.figure()["judged"] == 3


def test_the_command_in_the_background_enqueues_a_task_the_worker_runs(w: World) -> None:
    import io

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from tests.task_worker import run_queued_tasks

    LedgerFigures.objects.all().delete()
    out = io.StringIO()
    call_command("ledger_figures", "--background", campaign=w.campaign.pk, stdout=out)
    task = DBTaskResult.objects.get()
    assert f"campaign {w.campaign.pk}: queued (task {task.id})" in out.getvalue()
    assert task.task_path == "mofan.evaluations.tasks.ledger_figures_task"
    assert not LedgerFigures.objects.exists()  # nothing done by the command itself
    assert run_queued_tasks() == 1
    task.refresh_from_db()
    assert (task.status, task.return_value) == ("SUCCESSFUL", 2)
    assert w.figure()["judged"] == 3


def test_no_activity_kinds_at_all_gives_figures_without_records(w: World) -> None:
    """A database without the built-in kinds (a live-server test flushes the migrations' data):
    the refresh must not fail on its empty filters (it did, with EmptyResultSet, when the
    records were read past Django's query layer); the figures judge nobody as met."""
    from mofan.activities.models import ActivityKind, ActivityRecord
    from mofan.evaluations.ledger_figures import ledger_figures_refresh

    ActivityRecord.objects.all().delete()
    ActivityKind.objects.all().delete()
    ledger_figures_refresh(campaign=w.campaign)
    figure = w.figure()
    assert figure["passed"] == 0 and figure["met"] is False
