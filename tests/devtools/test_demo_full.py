"""The full demo (`load_demo`, campaigns included), loaded once for the module: seed 001's
committee with exactly the 70 units of annex 1, every role, the demo of every part, and the
activity ledger's figures. Loading again, the accounts list and production: test_demo.py."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F

from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.organizations.models import Committee, Member, PartyOrganization, Unit
from mofan.organizations.validators import validate_credit_code

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "001_72b6ce2df04f0b6b.txt"


def annex_1_names() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    after = text[text.index("（共70家）") :].splitlines()[1]
    return [name.strip() for name in after.split("、")]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One full `load_demo` (15-20 s) for this module's tests, which only read what it made:
    loaded in a transaction rolled back when the module ends; each test runs in a savepoint
    of it, as any database test does."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo")
        yield
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_load_demo_reproduces_annex_1_and_every_role(demo, capsys):
    committee = Committee.objects.get(code="jiaozuo")
    # The two demo campaigns: one finished with published results, one caught mid-review.
    from mofan.campaigns.models import Campaign

    finished = Campaign.objects.get(indicator_version__system__slug="yueqing-2020")
    assert finished.results_published
    assert set(finished.enrollments.values_list("state", flat=True)) == {"approved"}
    current = Campaign.objects.get(indicator_version__system__slug="jiaozuo-2020")
    states = set(current.enrollments.values_list("state", flat=True))
    assert {"not_started", "in_progress", "submitted", "reviewed"} <= states
    assert current.enrollments.count() == 70
    names = list(Unit.objects.filter(committee=committee).values_list("name", flat=True))
    if SEED.exists():
        assert names == annex_1_names()
    assert len(names) == 70
    assert len(set(names)) == 70
    for code in Unit.objects.values_list("credit_code", flat=True):
        validate_credit_code(code)  # every demo code is a valid GB 32100 code
    for unit in Unit.objects.all():
        orgs = PartyOrganization.objects.filter(unit=unit)
        assert orgs.filter(kind="branch").exists()
        assert orgs.filter(kind="group", parent__kind="branch").exists()
        assert Member.objects.filter(unit=unit).count() >= 4
    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    # The audit trail records the load.
    from mofan.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="demo.load").count() == 1
    assert_rectification_demo(finished)
    assert_honours_demo()
    assert_survey_demo()
    assert_appraisals_demo()
    assert_cases_demo()


def assert_cases_demo() -> None:
    """Issue 17 point 6: one call with twelve cases, scored by the drawn experts (recorded,
    reproducible), ranked, and the quota of 优秀案例 published."""
    from mofan.cases.models import Case, CaseCall, CaseScore
    from mofan.cases.panel import redraw

    call = CaseCall.objects.get()
    assert call.state == "selected" and call.published_on
    assert call.cases.filter(state="submitted").count() == 12
    assert redraw(call.panel) == call.panel.drawn and len(call.panel.drawn) >= 2
    assert CaseScore.objects.filter(case__call=call).count() >= 24
    excellent = list(Case.objects.filter(call=call, excellent=True).order_by("rank"))
    assert len(excellent) == call.quota == 4
    assert [c.rank for c in excellent] == [1, 2, 3, 4]


def assert_rectification_demo(finished) -> None:
    """Issue 5's demo: the failing units of the finished campaign have their automatic problem
    lists and waiting re-reviews, and every supervision page has something real to show."""
    from mofan.evaluations.models import UnitResult
    from mofan.notifications.models import Notice
    from mofan.rectification.models import ProblemItem, ReReview
    from mofan.supervision.models import (
        Bulletin,
        Escalation,
        Interview,
        LedgerItem,
        SpotCheckDraw,
        SpotCheckVisit,
        YellowCard,
    )

    failing = UnitResult.objects.filter(enrollment__campaign=finished, grade="不达标")
    assert failing.exists()
    assert ReReview.objects.filter(enrollment__campaign=finished).count() == failing.count()
    sources = set(ProblemItem.objects.values_list("source", flat=True))
    assert {"result", "committee_check", "self_check", "interview", "yellow_card"} <= sources
    assert "spot_check" in sources
    own = Unit.objects.get(role_assignments__user__username="unit001_admin")
    assert LedgerItem.objects.filter(unit=own, escalation__gte=Escalation.WARNED).exists()
    assert Interview.objects.exists() and YellowCard.objects.filter(lifted_on=None).exists()
    assert SpotCheckDraw.objects.count() == 1 and SpotCheckVisit.objects.count() == 1
    assert set(Bulletin.objects.values_list("state", flat=True)) == {"draft", "published"}
    assert Notice.objects.filter(recipient__username="unit001_admin").exists()


def assert_appraisals_demo() -> None:
    """Issue 16 point 4: last year's 述职评议 closed with every unit's result frozen, this
    year's rating with unit001's secretary submitted and rated, some units not yet."""
    from mofan.appraisals.models import Appraisal, AppraisalRound, Rating
    from mofan.devtools.demo.appraisals import LAST_YEAR, THIS_YEAR

    own = Unit.objects.get(role_assignments__user__username="unit001_admin")
    last = AppraisalRound.objects.get(year=LAST_YEAR)
    assert last.state == "closed"
    assert last.appraisals.count() == 70
    assert set(last.appraisals.values_list("state", flat=True)) == {"rated"}
    levels = set(last.appraisals.values_list("result_level", flat=True))
    assert {"good", "fairly_good"} <= levels and len(levels) >= 3
    assert set(last.appraisals.values_list("way", flat=True)) == {"on_site", "written"}
    current = AppraisalRound.objects.get(year=THIS_YEAR)
    assert current.state == "rating"
    mine = Appraisal.objects.get(round=current, unit=own)
    assert mine.state == "submitted" and mine.submitted_by.username == "unit001_admin"
    assert Rating.objects.filter(appraisal=mine, rater__username="reviewer1").exists()
    states = set(current.appraisals.values_list("state", flat=True))
    assert {"pending", "returned", "submitted"} <= states


def assert_survey_demo() -> None:
    """One open survey with a few hundred responses across the units, figures for most."""
    from mofan.accounts.access import actor_for
    from mofan.surveys.models import Response, Survey
    from mofan.surveys.selectors import unit_figures

    survey = Survey.objects.get()
    assert 200 <= Response.objects.filter(survey=survey).count() <= 700
    assert Response.objects.filter(survey=survey).values("unit").distinct().count() > 40
    figures = unit_figures(actor_for(User.objects.get(username="gw_admin")), survey)
    assert sum(f.share is not None for f in figures) > 40


def assert_honours_demo() -> None:
    """Issue 16 point 6: last year's 七一 selections completed through the real services (the
    vetoed candidate not named, one honour revoked), this year's taking nominations, unit001's
    among them and units that have not nominated yet."""
    from mofan.audit.models import AuditEntry
    from mofan.devtools.demo.honours import LAST_YEAR, THIS_YEAR
    from mofan.honours.models import HonourProgramme, Nomination, VetoInput

    own = Unit.objects.get(role_assignments__user__username="unit001_admin")
    named = HonourProgramme.objects.filter(year=LAST_YEAR, state="named")
    assert named.count() == 2
    for programme in named:
        assert programme.document_number and programme.named_on
        assert programme.publicity_end and programme.publicity_end <= programme.named_on
        assert programme.nominations.filter(state="named").exists()
        assert programme.nominations.filter(state="not_selected").exists()
    vetoed = Nomination.objects.get(vetoes__vetoes=True)
    assert vetoed.programme.state == "named" and vetoed.state == "not_selected"
    assert vetoed.score == max(vetoed.programme.nominations.values_list("score", flat=True))
    assert not VetoInput.objects.filter(vetoes=True, nomination__state="named").exists()
    revoked = Nomination.objects.get(state="revoked")
    assert revoked.revoke_reason and revoked.revoke_document and revoked.programme in named
    assert revoked.objections.count() == 0
    assert Nomination.objects.filter(objections__upheld=False, state="named").count() == 1
    nominating = HonourProgramme.objects.filter(year=THIS_YEAR, state="nominating")
    assert nominating.count() == 2
    person = nominating.get(kind="person")
    assert person.nominations.filter(unit=own, nominated_by__username="unit001_admin").count() == 1
    assert person.nominations.count() < person.per_unit_limit * Unit.objects.count()
    assert not nominating.get(kind="party_org").nominations.filter(unit=own).exists()
    assert set(
        Nomination.objects.filter(programme__in=nominating).values_list("state", flat=True)
    ) == {"nominated"}
    # Every step went through the services: the trail has each kind of write.
    actions = set(
        AuditEntry.objects.filter(action__startswith="honour.").values_list("action", flat=True)
    )
    assert {
        "honour.programme.open",
        "honour.programme.publish",
        "honour.programme.name",
        "honour.nominate",
        "honour.review",
        "honour.veto",
        "honour.objection.lodge",
        "honour.objection.resolve",
        "honour.revoke",
    } <= actions


@pytest.mark.django_db
def test_the_demo_ledger_gives_figures_that_differ_and_a_short_unit_below_the_rule(demo):
    """Issue 15 point 5: a year of records for every unit, the figures computed from them for
    both demo campaigns, and the units deliberately short of a rule show it."""
    from mofan.activities.models import ActivityRecord, Participation
    from mofan.campaigns.models import Campaign
    from mofan.devtools.demo.ledger import SHORT_STUDY_UNIT, YEAR
    from mofan.evaluations.ledger_views import LeafLedger
    from mofan.evaluations.models import LedgerFigures

    units = list(Unit.objects.order_by("sort_order"))
    assert all(
        ActivityRecord.objects.filter(unit=u, held_on__year=YEAR).count() > 100 for u in units
    )
    # Roster meetings list the organisation's people; one-person records their person.
    assert Participation.objects.filter(present=False).exclude(absence_reason="").exists()
    assert not Participation.objects.exclude(member__unit=F("record__unit")).exists()
    for campaign in Campaign.objects.all():
        rows = LedgerFigures.objects.filter(campaign=campaign)
        assert rows.count() == campaign.enrollments.count()
        values = {
            json.dumps([f["value"] for fs in row.figures.values() for f in fs]) for row in rows
        }
        assert len(values) >= 2, campaign.name  # figures differ between units
    finished = Campaign.objects.get(indicator_version__system__slug="yueqing-2020")
    short = LedgerFigures.objects.get(campaign=finished, enrollment__unit=units[SHORT_STUDY_UNIT])
    figure = next(
        f for fs in short.figures.values() for f in fs if f["key"] == "branch_collective_study"
    )
    assert not figure["met"] and Decimal(figure["value"]) < 1
    assert figure["short"][0][2:] == [9, 12]  # its first branch held 9 of 12
    full = LedgerFigures.objects.get(campaign=finished, enrollment__unit=units[0])
    assert all(f["met"] for fs in full.figures.values() for f in fs)
    # The self-evaluation took the suggested input of the short leaf.
    enrollment = short.enrollment
    ledger = LeafLedger(enrollment)
    node_id = next(int(k) for k, fs in short.figures.items() if fs[0]["key"] == figure["key"])
    from mofan.evaluations.models import SelfScore
    from mofan.indicators.models import IndicatorNode

    node = IndicatorNode.objects.get(pk=node_id)
    saved = SelfScore.objects.get(enrollment=enrollment, node=node).input
    assert {k: saved.get(k) for k in ledger.suggested(node)} == ledger.suggested(node)
