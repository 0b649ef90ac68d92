"""Province-scale data through the bulk paths (issue 7 point 1), at small sizes: the tables hold
what N and the template imply, the stored rows keep the services' invariants (scores, the
consolidation, the results approval computes), the audit chain verifies, and a seed decides
everything."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.devtools.scale import seed_scale
from mofan.devtools.simulate import REVIEW_GROUPS, REVIEWERS_PER_GROUP
from mofan.evaluations import approval, services
from mofan.evaluations.models import (
    Assignment,
    ConsolidatedScore,
    Draw,
    ReviewGroup,
    ReviewScore,
    ReviewSubmission,
    SelfScore,
    UnitResult,
    UnitTotals,
)
from mofan.evaluations.review_groups import draw_verify
from mofan.evaluations.score_write import score_fields
from mofan.indicators.builtin import SLUGS
from mofan.indicators.selectors import published_leaves
from mofan.organizations.models import Member, PartyOrganization, Unit
from mofan.rectification.models import ProblemItem, ProblemSource, ReReview
from tests.evaluations import reference

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)


def run(units: int = 6, members: int = 3, template: str = "yueqing-2020", seed: int = 5) -> dict:
    out = StringIO()
    call_command(
        "seed_scale",
        "--units",
        str(units),
        "--members-per-unit",
        str(members),
        "--template",
        template,
        "--seed",
        str(seed),
        "--json",
        stdout=out,
    )
    return json.loads(out.getvalue())


def leaves_of(campaign: Campaign) -> tuple[int, int]:
    leaves = published_leaves(campaign.indicator_version)
    own = [n for n in leaves if n.method_type not in services.OPTIONAL_IN_SELF]
    return len(leaves), len(own)


@pytest.mark.parametrize("template", SLUGS)
def test_every_table_holds_what_n_and_the_template_imply(template):
    summary = run(units=7, members=4, template=template)
    campaign = Campaign.objects.get(pk=summary["campaign_id"])
    committee_id = summary["committee_id"]
    leaves, own = leaves_of(campaign)
    reviewers = REVIEWERS_PER_GROUP  # each group: its leader and two reviewers
    assert Unit.objects.filter(committee_id=committee_id).count() == 7
    orgs = PartyOrganization.objects.filter(unit__committee_id=committee_id)
    assert orgs.count() == 7
    assert not orgs.filter(secretary__isnull=True).exists()
    for org in orgs.select_related("secretary"):
        assert org.secretary.party_org_id == org.pk
    assert Member.objects.filter(unit__committee_id=committee_id).count() == 7 * 4
    enrollments = Enrollment.objects.filter(campaign=campaign)
    assert enrollments.count() == 7
    assert set(enrollments.values_list("state", flat=True)) == {EnrollmentState.APPROVED}
    assert ReviewGroup.objects.filter(campaign=campaign).count() == REVIEW_GROUPS
    assert Assignment.objects.filter(enrollment__campaign=campaign).count() == 7
    assert draw_verify(Draw.objects.get(campaign=campaign, purpose="assignment"))
    assert SelfScore.objects.filter(enrollment__campaign=campaign).count() == 7 * own
    assert (
        ReviewScore.objects.filter(assignment__enrollment__campaign=campaign).count()
        == 7 * reviewers * leaves
    )
    assert (
        ReviewSubmission.objects.filter(assignment__enrollment__campaign=campaign).count()
        == 7 * reviewers
    )
    assert ConsolidatedScore.objects.filter(enrollment__campaign=campaign).count() == 7 * leaves
    assert UnitResult.objects.filter(enrollment__campaign=campaign, frozen=True).count() == 7
    assert summary["units"] == summary["results"] == summary["party_orgs"] == 7
    assert summary["members"] == 28
    assert summary["leaves"] == leaves
    assert summary["self_scores"] == 7 * own
    assert summary["review_scores"] == 7 * reviewers * leaves
    assert summary["consolidated_scores"] == 7 * leaves
    assert summary["score_rows"] == 7 * (own + reviewers * leaves + leaves)
    assert sum(summary["grades"].values()) == 7
    assert audit_verify().ok


def test_stored_rows_keep_the_services_invariants():
    summary = run(units=8, template="yueqing-2020", seed=3)
    campaign = Campaign.objects.get(pk=summary["campaign_id"])
    # Every stored score is what the services' scoring makes of the stored input.
    for model, scope in (
        (SelfScore, {"enrollment__campaign": campaign}),
        (ReviewScore, {"assignment__enrollment__campaign": campaign}),
    ):
        for row in model.objects.filter(**scope).select_related("node"):
            fields = score_fields(row.node, row.input)
            assert (row.score, row.level, row.veto) == (
                fields["score"],
                fields["level"],
                fields["veto"],
            )
    # The consolidated scores are the leader's consolidation of the reviewers' scores.
    for assignment in Assignment.objects.filter(enrollment__campaign=campaign).select_related(
        "group", "enrollment__campaign"
    ):
        assert set(services.reviewers_of(assignment)) == set(
            ReviewSubmission.objects.filter(assignment=assignment).values_list(
                "reviewer_id", flat=True
            )
        )
        stored = {
            c.node_id: c for c in ConsolidatedScore.objects.filter(enrollment=assignment.enrollment)
        }
        preview = services.consolidation_preview(assignment)
        assert len(preview) == len(stored)
        for row in preview:
            record = stored[row["node"].pk]
            assert record.mean == row["mean"]
            assert record.spread == row["spread"]
            assert record.flagged == row["flagged"]
            assert record.veto == row["veto"]
            assert record.score == row["mean"]
            assert record.level == row["level"]
            assert bool(record.reason) == row["flagged"]
            assert record.decided_by_id == assignment.group.leader_id
    # The frozen results are what approval computes from the stored scores.
    rows, _top = reference.campaign_rows(campaign)
    results = {r.enrollment_id: r for r in UnitResult.objects.filter(enrollment__campaign=campaign)}
    assert len(rows) == len(results) == 8
    for row in rows:
        stored = results[row.enrollment.pk]
        assert row.result is not None
        assert stored.self_total == row.self_totals.total
        assert stored.review_total == row.review_totals.total
        assert stored.composite == row.result.score
        assert stored.grade == row.result.grade
        assert stored.rank == row.result.rank
        assert stored.advanced == row.result.advanced
        assert stored.veto == row.result.veto
        assert stored.type_scores == json.loads(json.dumps(row.review_totals.type_scores))
    assert str(sum((r.composite for r in results.values()), Decimal(0))) == summary["composite_sum"]
    # The precomputed figures the pages read are in place and agree with the frozen results.
    totals = {t.enrollment_id: t for t in UnitTotals.objects.filter(campaign=campaign)}
    assert set(totals) == set(results)
    for enrollment_id, result in results.items():
        assert totals[enrollment_id].composite == result.composite
        assert totals[enrollment_id].grade == result.grade
    # Every unit is approved, so the committee can publish through the service.
    admin = User.objects.get(committee=campaign.committee, username__endswith="-admin001")
    actor = Actor(
        user=admin,
        roles=frozenset({Role.COMMITTEE_ADMIN}),
        committee_roles={campaign.committee_id: frozenset({Role.COMMITTEE_ADMIN})},
    )
    approval.campaign_publish(campaign=campaign, actor=actor, ranking=True)
    assert audit_verify().ok


def test_failing_units_get_their_problem_lists_through_the_rectification_hook():
    # xinzhou-2022, 30 units, seed 9: one unit is graded 不达标 (asserted, so this cannot pass
    # vacuously).
    summary = seed_scale(units=30, members_per_unit=1, template="xinzhou-2022", seed=9, today=TODAY)
    campaign_id = summary["campaign_id"]
    failing = UnitResult.objects.filter(enrollment__campaign_id=campaign_id, grade="不达标")
    assert failing.exists()
    items = ProblemItem.objects.filter(campaign_id=campaign_id, source=ProblemSource.RESULT)
    assert summary["problems"] == items.count() > 0
    assert set(items.values_list("unit_id", flat=True)) == set(
        failing.values_list("enrollment__unit_id", flat=True)
    )
    assert all(
        d == TODAY + datetime.timedelta(days=60) for d in items.values_list("deadline", flat=True)
    )
    assert (
        ReReview.objects.filter(enrollment__campaign_id=campaign_id).count()
        == failing.filter(veto=False).count()
    )
    assert audit_verify().ok


def test_the_committee_check_lists_more_than_a_page_of_items_through_the_service():
    """Two items for one unit in fifty, at least 30 units (all of them when fewer), a quarter
    of them overdue: the problem-list board has a full page at every size."""
    summary = seed_scale(units=40, members_per_unit=1, seed=4, today=TODAY)
    checks = ProblemItem.objects.filter(
        campaign_id=summary["campaign_id"], source=ProblemSource.COMMITTEE_CHECK
    )
    assert summary["committee_checks"] == checks.count() == 60
    assert checks.values("unit_id").distinct().count() == 30
    overdue = checks.filter(deadline__lt=TODAY).count()
    assert 0 < overdue < 60
    assert AuditEntry.objects.filter(action="problem.create").count() >= 60
    assert audit_verify().ok


def test_one_audit_entry_per_bulk_step_and_the_chain_verifies():
    before = AuditEntry.objects.count()
    summary = run(units=5)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True)[before:])
    for action in (
        "scale.seed.organizations",
        "campaign.create",
        "review.assignment.draw",
        "scale.seed.self_scores",
        "scale.seed.review_scores",
        "scale.seed.consolidated",
        "scale.seed.results",
    ):
        assert actions.count(action) == 1, action
    # The committee check's items go through the service, one audited creation each (two per
    # checked unit); apart from them a bounded number of entries, whatever N: none per row.
    created = actions.count("problem.create")
    assert created == summary["committee_checks"] + summary["problems"] == 10
    assert len(actions) - created < 20
    entry = AuditEntry.objects.get(action="scale.seed.self_scores")
    assert entry.committee_id == summary["committee_id"]
    assert entry.data["extra"]["rows"] == summary["self_scores"]
    assert entry.data["extra"]["sha256"] == summary["digests"]["self_scores"]
    assert audit_verify().ok
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("OK")
    # verify_audit's first run records that it created its anchor: that entry is its own.
    seeded = AuditEntry.objects.exclude(action="audit.anchor.created")
    assert seeded.count() - before == len(actions)


def test_the_same_seed_gives_the_same_data():
    first = run(units=6, seed=21)
    second = run(units=6, seed=21)
    other = run(units=6, seed=22)
    assert first["campaign_id"] != second["campaign_id"]
    volatile = ("committee_id", "campaign_id", "seconds", "total_seconds")
    for summary in (first, second, other):
        for key in volatile:
            summary.pop(key)
    assert first == second
    assert other["digests"] != first["digests"]
    assert other["units"] == first["units"]


def test_json_keys_and_the_chinese_summary_line():
    summary = run(units=3, members=2)
    assert set(summary) >= {
        "committee_id",
        "campaign_id",
        "template",
        "seed",
        "units",
        "party_orgs",
        "members",
        "leaves",
        "self_scores",
        "review_scores",
        "review_submissions",
        "consolidated_scores",
        "score_rows",
        "results",
        "problems",
        "grades",
        "composite_sum",
        "digests",
        "seconds",
        "total_seconds",
    }
    assert set(summary["seconds"]) >= {
        "organizations",
        "campaign",
        "self_scores",
        "review_scores",
        "consolidation",
        "approval_compute",
        "approval_write",
        "commit",
    }
    assert summary["total_seconds"] >= sum(summary["seconds"].values()) - 0.1
    out, err = StringIO(), StringIO()
    call_command("seed_scale", "--units", "2", "--members-per-unit", "1", stdout=out, stderr=err)
    line = out.getvalue()
    assert "规模数据" in line and "2 个单位" in line and "2 名成员" in line and "已审定" in line
    with pytest.raises(CommandError):
        call_command("seed_scale", "--units", "0")


def test_the_planner_statistics_are_gathered_after_the_load():
    """Without them PostgreSQL took the 20,000 units of a bulk load for 20 and sorted them all
    for the dashboard's first page."""
    summary = run(units=6)
    assert "analyze" in summary["seconds"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'campaigns_enrollment'")
            assert cursor.fetchone()[0] >= 6
        else:
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'campaigns_enrollment'")
            assert cursor.fetchall()


def test_members_phones_are_encrypted_and_found_by_their_blind_index():
    summary = run(units=3, members=2)
    members = Member.objects.filter(unit__committee_id=summary["committee_id"]).order_by("pk")
    phones = [m.phone for m in members]
    assert phones[0] == "13000010000" and len(set(phones)) == 6
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone, phone_digest FROM organizations_member WHERE id = %s", [members[0].pk]
        )
        stored, digest = cursor.fetchone()
    assert stored.startswith("sm4gcm:1:") and "13000010000" not in stored
    assert digest == Member.phone_digest_of("13000010000")
    assert list(Member.objects.filter(phone_digest=digest)) == [members[0]]


def test_the_ledger_has_the_records_asked_for_and_its_figures_are_computed():
    """Issue 15 point 5: `--ledger-records` records in all (100 a unit by default), spread over
    the units, dated in the campaign's year, with compact participations from each unit's own
    roll; one audit entry; the figures computed for every unit, some short of a rule."""
    from django.db.models import Count, F

    from mofan.activities.models import ActivityRecord, Participation
    from mofan.evaluations.models import LedgerFigures

    before = AuditEntry.objects.count()
    summary = seed_scale(units=12, members_per_unit=4, seed=2, ledger_records=1000, today=TODAY)
    committee_id, campaign = (
        summary["committee_id"],
        Campaign.objects.get(pk=summary["campaign_id"]),
    )
    records = ActivityRecord.objects.filter(committee_id=committee_id)
    assert summary["ledger_records"] == records.count() == 1000
    per_unit = sorted(records.values("unit").annotate(n=Count("pk")).values_list("n", flat=True))
    assert per_unit == [83] * 8 + [84] * 4  # 1000 = 12 × 83 + 4
    assert not records.exclude(held_on__year=campaign.year).exists()
    people = Participation.objects.filter(record__committee_id=committee_id)
    assert summary["participations"] == people.count() > 0
    assert not people.exclude(member__unit=F("record__unit")).exists()
    assert not people.exclude(name=F("member__name")).exists()
    assert people.filter(present=False).exclude(absence_reason="").exists()
    assert set(people.values_list("record__kind__attendance", flat=True)) == {"roster", "person"}
    # Ids were assigned by the seed: the next record written the ordinary way still gets one.
    record = records.first()
    record.pk = None
    record.save()
    assert record.pk > max(records.exclude(pk=record.pk).values_list("pk", flat=True))
    entry = AuditEntry.objects.get(action="scale.seed.ledger", id__gt=before)
    assert entry.data["extra"]["ledger_records"] == 1000
    figures = LedgerFigures.objects.filter(campaign=campaign)
    assert figures.count() == 12
    values = {str([f["value"] for fs in r.figures.values() for f in fs]) for r in figures}
    assert len(values) >= 2  # unit 3 held 9 集体学习, unit 7 no “四化”验收
    assert audit_verify().ok
    default = seed_scale(units=2, members_per_unit=2, seed=3, today=TODAY)
    assert default["ledger_records"] == 200
