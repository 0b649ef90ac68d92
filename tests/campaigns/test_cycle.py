"""三年一总评 over three annual campaigns (issue 4 point 6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from mofan.accounts.access import actor_for
from mofan.campaigns.services import campaign_create
from mofan.evaluations.cycle import cycle_overall
from mofan.evaluations.models import UnitResult
from mofan.indicators.models import IndicatorVersion
from tests.world import persona

pytestmark = pytest.mark.django_db

GRADES = {  # unit name -> grades of 2020, 2021, 2022
    "甲单位": ["优秀", "良好", "优秀"],
    "乙单位": ["优秀", "良好", "达标"],
}
SCORES = {"甲单位": ["460", "420", "470"], "乙单位": ["455", "410", "320"]}


def _results(committee, unit_a, unit_b):
    call_command("load_templates")
    version = IndicatorVersion.objects.get(system__slug="yueqing-2020", system__committee=None)
    admin = actor_for(persona("committee_admin", committee=committee))
    for index, year in enumerate((2020, 2021, 2022)):
        campaign = campaign_create(
            committee=committee,
            name=f"{year}年度考评",
            year=year,
            version=version,
            actor=admin,
            units=[unit_a, unit_b],
            cycle_start_year=2020,
        )
        for enrollment in campaign.enrollments.select_related("unit"):
            name = enrollment.unit.name
            UnitResult.objects.create(
                enrollment=enrollment,
                campaign_id=enrollment.campaign_id,
                composite=Decimal(SCORES[name][index]),
                grade=GRADES[name][index],
                frozen=True,
            )


def test_grade_count_rule(committee, unit_a, unit_b):
    _results(committee, unit_a, unit_b)
    campaigns, rows = cycle_overall(committee, 2020)
    assert [c.year for c in campaigns] == [2020, 2021, 2022]
    by_name = {row.unit.name: row for row in rows}
    assert by_name["甲单位"].grade == "优秀"  # 优秀 twice in three years
    assert by_name["乙单位"].grade == "良好"  # the middle of 优秀 / 良好 / 达标
    assert by_name["甲单位"].score == Decimal("450.00")


def test_mean_rule_grades_the_mean_against_the_maximum(committee, unit_a, unit_b):
    _results(committee, unit_a, unit_b)
    _campaigns, rows = cycle_overall(committee, 2020, rule="mean")
    by_name = {row.unit.name: row for row in rows}
    assert by_name["甲单位"].grade == "优秀"  # 450 of 500 = 90%
    assert by_name["乙单位"].score == Decimal("395.00")
    assert by_name["乙单位"].grade == "达标"  # 395 of 500 = 79%, below 良好's 80%


def test_cycle_page_for_the_committee_only(
    client, login, committee, unit_a, unit_b, committee_leader, unit_admin
):
    _results(committee, unit_a, unit_b)
    staff = login(committee_leader)
    html = staff.get("/campaigns/cycle/2020/").content.decode()
    assert "甲单位" in html and "乙单位" in html and "总评等次" in html
    staff.post("/accounts/logout/")
    login(unit_admin)
    assert client.get("/campaigns/cycle/2020/").status_code == 403
