"""Approving a campaign set-wise (issue 7): the same results, states and audit entries as
approving unit by unit, in a number of queries that does not grow with the number of units."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mofan.accounts.access import actor_for
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations import approval
from mofan.evaluations.figures import setwise as recompute
from mofan.evaluations.models import UnitResult
from tests.evaluations import reference
from tests.evaluations.aggregates_data import synthetic_campaign
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _reviewed(units: int, code: str) -> Campaign:
    campaign = synthetic_campaign(units, seed=3, code=code, all_reviewed=True)
    campaign.rectify_grades = []  # no problem lists: this is about the results
    campaign.save(update_fields=["rectify_grades"])
    recompute.campaign_recompute(campaign=campaign)
    return campaign


def _approve(campaign: Campaign) -> int:
    admin = actor_for(make_user(Role.COMMITTEE_ADMIN, committee=campaign.committee))
    with CaptureQueriesContext(connection) as queries:
        approval.campaign_approve(campaign=campaign, actor=admin)
    return len(queries)


def test_the_results_are_the_figures_approval_computes() -> None:
    campaign = _reviewed(40, "ab1")
    expected = {
        r.enrollment.pk: (r.result.score, r.result.grade, r.result.rank, r.result.advanced)
        for r in reference.campaign_rows(campaign)[0]
        if r.result
    }
    _approve(campaign)
    stored = {
        r.enrollment_id: (r.composite, r.grade, r.rank, r.advanced)
        for r in UnitResult.objects.filter(enrollment__campaign=campaign)
    }
    assert stored == expected
    assert UnitResult.objects.filter(enrollment__campaign=campaign, frozen=True).count() == 40
    states = set(Enrollment.objects.filter(campaign=campaign).values_list("state", flat=True))
    assert states == {EnrollmentState.APPROVED}
    versions = set(Enrollment.objects.filter(campaign=campaign).values_list("version", flat=True))
    assert len(versions) == 1  # every enrollment moved once


def test_every_unit_has_its_audit_entries_and_the_chain_verifies() -> None:
    campaign = _reviewed(30, "ab2")
    ids = {
        str(pk) for pk in Enrollment.objects.filter(campaign=campaign).values_list("pk", flat=True)
    }
    _approve(campaign)
    moved = AuditEntry.objects.filter(action="enrollment.approve", object_id__in=ids)
    assert moved.count() == 30
    assert {e.data["after"]["state"] for e in moved} == {"approved"}
    results = AuditEntry.objects.filter(
        action="approval.result", object_type="evaluations.unitresult"
    )
    result_ids = {
        str(pk)
        for pk in UnitResult.objects.filter(enrollment__campaign=campaign).values_list(
            "pk", flat=True
        )
    }
    assert {e.object_id for e in results} >= result_ids
    assert all(e.committee_id == campaign.committee_id for e in [*moved, *results])
    assert audit_verify().ok


def test_a_reopened_unit_is_approved_again_and_the_others_stay_frozen() -> None:
    campaign = _reviewed(12, "ab3")
    admin = actor_for(make_user(Role.COMMITTEE_ADMIN, committee=campaign.committee))
    approval.campaign_approve(campaign=campaign, actor=admin)
    reopened = Enrollment.objects.filter(campaign=campaign).order_by("pk").first()
    assert reopened is not None
    approval.result_reopen(enrollment=reopened, reason="核对", actor=admin)
    frozen_before = {
        r.pk: r.approved_at for r in UnitResult.objects.filter(enrollment__campaign=campaign)
    }
    approval.campaign_approve(campaign=campaign, actor=admin)
    after = {r.pk: r for r in UnitResult.objects.filter(enrollment__campaign=campaign)}
    assert set(after) == set(frozen_before)  # updated in place, none added
    changed = [pk for pk, r in after.items() if r.approved_at != frozen_before[pk]]
    assert [after[pk].enrollment_id for pk in changed] == [reopened.pk]
    assert all(r.frozen for r in after.values())
    reopened.refresh_from_db()
    assert reopened.state == EnrollmentState.APPROVED
    entry = AuditEntry.objects.filter(action="approval.result").order_by("-id").first()
    assert entry is not None and entry.data["before"] is not None  # the old figures are kept


def test_approval_queries_grow_by_batches_not_by_units() -> None:
    """Only the batched inserts of the audit entries (1,000 a statement) may add a query as
    units are added; nothing is done per unit. On PostgreSQL 100 entries and more go by COPY,
    which Django's query log does not see: the larger campaign may count one statement fewer."""
    small, large = _approve(_reviewed(10, "ab4")), _approve(_reviewed(60, "ab5"))
    assert small - 1 <= large <= small + 3


def test_the_enrollments_move_in_slices_and_every_one_is_counted(monkeypatch) -> None:
    """The reviewed enrollments move to approved in slices of ids (SQLite takes at most 32,766
    parameters a statement: 100,000 units are more); every slice's rows count in the check
    that nobody moved one meanwhile."""
    monkeypatch.setattr(approval, "ID_SLICE", 7)
    campaign = _reviewed(20, "ab4")
    _approve(campaign)
    states = Enrollment.objects.filter(campaign=campaign).values_list("state", flat=True)
    assert set(states) == {EnrollmentState.APPROVED} and len(states) == 20
    assert UnitResult.objects.filter(enrollment__campaign=campaign, frozen=True).count() == 20
