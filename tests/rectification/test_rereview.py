"""The re-review (复核) of a failing unit (issue 5 point 2): it opens when the last item behind it
is closed, the unit's review group re-scores only its indicators, the leader submits, and the
committee's approval replaces the unit's result (history kept in before/after) while a rejection
keeps the original. Items are closed by `close_item`, a stand-in for the problem-item transition
function of another branch that calls `rereview_on_item_closed` the same way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from mofan.core.concurrency import StaleWrite
from mofan.evaluations import approval
from mofan.evaluations.figures.unit import unit_refresh
from mofan.evaluations.models import ConsolidatedScore, UnitResult
from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemItem, ReReview, ReReviewScore, ReReviewState
from mofan.rectification.rereview import (
    rereview_on_item_closed,
    rereview_score_save,
    rereview_transition,
)
from mofan.rectification.services import problem_item_create
from tests.evaluations.campaign_fixtures import world
from tests.rectification.rereview_fixtures import (
    TODAY,
    approve,
    close_all,
    close_item,
    finish_review,
)

__all__ = ["world"]

pytestmark = pytest.mark.django_db
R = ReReviewState


@pytest.fixture
def approved(world):
    finish_review(world)
    approve(world)
    return world


def score(world, rereview, code, value, who="assigned", version=None):
    return rereview_score_save(
        rereview=rereview,
        node=world.node(code),
        value={"value": str(value)},
        comment=f"复核 {code}",
        expected_version=version,
        actor=world.actor(who),
    )


def opened(world) -> ReReview:
    return close_all(world, "A")


def submitted(world, scores=None) -> ReReview:
    rereview = opened(world)
    for code, value in (scores or {"1.1": 8, "1.2": 8, "2.1": 10}).items():
        score(world, rereview, code, value)
    return rereview_transition(rereview=rereview, to=R.SUBMITTED, actor=world.actor("leader"))


# --- opening ----------------------------------------------------------------------------------


def test_closing_the_last_item_opens_the_rereview_and_tells_the_group(approved):
    world = approved
    admin = world.actor("committee_admin")
    items = list(ProblemItem.objects.filter(unit=world.unit_a).order_by("pk"))
    assert len(items) == 4
    for item in items[:-1]:
        close_item(item, admin)
        assert ReReview.objects.get(enrollment=world.ea).state == R.WAITING
    assert not Notice.objects.filter(kind="rereview.open").exists()
    close_item(items[-1], admin)
    rereview = ReReview.objects.get(enrollment=world.ea)
    assert rereview.state == R.OPEN
    told = set(Notice.objects.filter(kind="rereview.open").values_list("recipient_id", flat=True))
    assert told == {world.user("leader").pk, world.user("assigned").pk}
    entry = AuditEntry.objects.get(action="rereview.open")
    assert entry.data["before"] == {"state": "waiting"} and entry.data["after"]["state"] == "open"
    assert entry.actor_id == world.user("committee_admin").pk
    # closing again (or another unit's item) changes nothing
    rereview_on_item_closed(item=items[-1], actor=admin)
    assert ReReview.objects.get(pk=rereview.pk).version == rereview.version


def test_items_of_other_sources_do_not_hold_or_open_the_rereview(approved):
    world = approved
    admin = world.actor("committee_admin")
    other = problem_item_create(
        unit=world.unit_a,
        source="committee_check",
        description="工委检查发现的问题",
        deadline=TODAY,
        actor=admin,
        campaign=world.campaign,
    )
    close_item(other, admin)
    assert ReReview.objects.get(enrollment=world.ea).state == R.WAITING
    # the committee's own item, open again, is not behind the re-review
    ProblemItem.objects.filter(pk=other.pk).update(state="open")
    for item in ProblemItem.objects.filter(unit=world.unit_a, source="result"):
        close_item(item, admin)
    assert ReReview.objects.get(enrollment=world.ea).state == R.OPEN


def test_the_system_alone_opens_a_rereview(approved):
    world = approved
    rereview = ReReview.objects.get(enrollment=world.ea)
    with pytest.raises(ValidationError):
        rereview_transition(rereview=rereview, to=R.OPEN, actor=world.actor("committee_admin"))
    with pytest.raises(ValidationError):  # items still open
        rereview_transition(rereview=rereview, to=R.OPEN, actor=None, system=True)
    assert ReReview.objects.get(pk=rereview.pk).state == R.WAITING


# --- scoring ----------------------------------------------------------------------------------


def test_only_the_group_scores_only_the_rereviews_nodes_and_only_while_open(approved):
    world = approved
    rereview = ReReview.objects.get(enrollment=world.ea)
    with pytest.raises(ValidationError):  # still waiting
        score(world, rereview, "1.1", 8)
    rereview = opened(world)
    for outsider in ("unassigned", "owner", "colleague", "committee_admin", "other_admin"):
        with pytest.raises(PermissionDenied):
            score(world, rereview, "1.1", 8, who=outsider)
    with pytest.raises(ValidationError):  # 2.2 is not in the re-review
        rereview_score_save(
            rereview=rereview,
            node=world.node("2.2"),
            value={"vetoed": True, "reason": "x"},
            comment="",
            expected_version=None,
            actor=world.actor("assigned"),
        )
    with pytest.raises(ValidationError):  # the method's own rules
        score(world, rereview, "1.1", 11)
    assert not ReReviewScore.objects.exists()
    saved = score(world, rereview, "1.1", 8)
    assert (saved.score, saved.scored_by) == (Decimal("8.00"), world.user("assigned"))
    assert AuditEntry.objects.filter(action="rereview.score").count() == 1


def test_two_members_cannot_overwrite_each_other_silently(approved):
    world = approved
    rereview = opened(world)
    first = score(world, rereview, "1.1", 8)
    score(world, rereview, "1.1", 7, who="leader", version=first.version)
    with pytest.raises(StaleWrite) as stale:
        score(world, rereview, "1.1", 9, version=first.version)
    assert "7" in str(stale.value.messages[0]) and "组长王" in stale.value.messages[0]
    assert ReReviewScore.objects.get().score == Decimal("7.00")


# --- submitting, approving, rejecting --------------------------------------------------------


def test_the_leader_submits_once_every_node_is_scored(approved):
    world = approved
    rereview = opened(world)
    score(world, rereview, "1.1", 8)
    with pytest.raises(ValidationError) as missing:
        rereview_transition(rereview=rereview, to=R.SUBMITTED, actor=world.actor("leader"))
    assert "1.2" in missing.value.messages[0] and "2.1" in missing.value.messages[0]
    score(world, rereview, "1.2", 8)
    score(world, rereview, "2.1", 10)
    with pytest.raises(PermissionDenied):  # a member, not the leader
        rereview_transition(rereview=rereview, to=R.SUBMITTED, actor=world.actor("assigned"))
    with pytest.raises(PermissionDenied):
        rereview_transition(rereview=rereview, to=R.SUBMITTED, actor=world.actor("unassigned"))
    done = rereview_transition(rereview=rereview, to=R.SUBMITTED, actor=world.actor("leader"))
    assert done.state == R.SUBMITTED
    # 8 + 8 + 10 = 26 of 30: 良好 (≥ 24, < 27)
    assert done.after["composite"] == "26.00" and done.after["grade"] == "良好"
    assert done.after["nodes"] == {
        str(world.node("1.1").pk): "8.00",
        str(world.node("1.2").pk): "8.00",
        str(world.node("2.1").pk): "10.00",
    }
    # nothing replaced yet
    assert UnitResult.objects.get(enrollment=world.ea).grade == "不达标"
    assert Notice.objects.filter(
        kind="rereview.submitted", recipient=world.user("committee_admin")
    ).exists()
    with pytest.raises(ValidationError):  # no more scoring
        score(world, done, "1.1", 9, version=1)


def test_approval_replaces_the_result_and_keeps_both(approved):
    world = approved
    original = UnitResult.objects.get(enrollment=world.ea)
    rereview = submitted(world)
    with pytest.raises(PermissionDenied):
        rereview_transition(rereview=rereview, to=R.APPROVED, actor=world.actor("other_admin"))
    with pytest.raises(PermissionDenied):
        rereview_transition(rereview=rereview, to=R.APPROVED, actor=world.actor("committee_leader"))
    with pytest.raises(PermissionDenied):
        rereview_transition(rereview=rereview, to=R.APPROVED, actor=world.actor("leader"))
    with pytest.raises(ValidationError):  # a stale page
        rereview_transition(
            rereview=rereview,
            to=R.APPROVED,
            actor=world.actor("committee_admin"),
            expected_version=rereview.version - 1,
        )
    done = rereview_transition(
        rereview=rereview,
        to=R.APPROVED,
        actor=world.actor("committee_admin"),
        expected_version=rereview.version,
    )
    result = UnitResult.objects.get(enrollment=world.ea)
    assert (result.composite, result.review_total, result.grade) == (
        Decimal("26.00"),
        Decimal("26.00"),
        "良好",
    )
    assert result.type_scores == {"1": "16.00", "2": "10.00"}
    assert result.version == original.version + 1
    # rank and honours stay as first approved; the self total is untouched
    assert (result.rank, result.advanced, result.self_total) == (
        original.rank,
        False,
        original.self_total,
    )
    done.refresh_from_db()
    assert done.state == R.APPROVED and done.decided_by == world.user("committee_admin")
    assert (done.before["composite"], done.before["grade"]) == ("17.00", "不达标")
    assert (done.after["composite"], done.after["grade"]) == ("26.00", "良好")
    # the consolidated scores stay as they were: the original remains traceable
    assert ConsolidatedScore.objects.get(enrollment=world.ea, node=world.node("1.1")).score == 2
    entry = AuditEntry.objects.get(action="result.rereview")
    assert entry.data["before"]["composite"] == "17.00"
    assert entry.data["after"]["composite"] == "26.00"
    assert AuditEntry.objects.filter(action="rereview.approve").exists()
    assert Notice.objects.filter(kind="rereview.decided", recipient=world.user("owner")).exists()
    assert audit_verify().ok


def test_rejection_keeps_the_original_result(approved):
    world = approved
    original = UnitResult.objects.get(enrollment=world.ea)
    rereview = submitted(world)
    admin = world.actor("committee_admin")
    with pytest.raises(ValidationError):  # a reason is required
        rereview_transition(rereview=rereview, to=R.REJECTED, actor=admin, reason=" ")
    done = rereview_transition(
        rereview=rereview, to=R.REJECTED, actor=admin, reason="整改不实，复核分偏高"
    )
    assert done.state == R.REJECTED and done.reason == "整改不实，复核分偏高"
    result = UnitResult.objects.get(enrollment=world.ea)
    assert (result.composite, result.grade, result.version) == (
        original.composite,
        "不达标",
        original.version,
    )
    assert done.after["grade"] == "良好"  # what the group proposed stays on record
    with pytest.raises(ValidationError):  # decided is final
        rereview_transition(rereview=done, to=R.APPROVED, actor=admin)


def test_a_reopened_result_must_be_approved_again_before_the_rereview(approved):
    world = approved
    rereview = submitted(world)
    admin = world.actor("committee_admin")
    approval.result_reopen(enrollment=world.ea, reason="核对", actor=admin)
    with pytest.raises(ValidationError):
        rereview_transition(rereview=rereview, to=R.APPROVED, actor=admin)
    approve(world)
    rereview.refresh_from_db()
    done = rereview_transition(rereview=rereview, to=R.APPROVED, actor=admin)
    assert done.state == R.APPROVED
    assert UnitResult.objects.get(enrollment=world.ea).grade == "良好"


def test_reapproving_after_an_approved_rereview_does_not_undo_it(approved):
    world = approved
    admin = world.actor("committee_admin")
    rereview_transition(rereview=submitted(world), to=R.APPROVED, actor=admin)
    approval.result_reopen(enrollment=world.ea, reason="补录意见", actor=admin)
    approve(world)
    result = UnitResult.objects.get(enrollment=world.ea)
    assert (result.composite, result.grade) == (Decimal("26.00"), "良好")
    assert AuditEntry.objects.filter(action="result.rereview_reapply").count() == 1
    assert ProblemItem.objects.filter(unit=world.unit_a).count() == 4


def test_a_rereview_is_withdrawn_when_the_reapproved_unit_no_longer_fails(approved):
    world = approved
    admin = world.actor("committee_admin")
    rereview = opened(world)
    approval.result_reopen(enrollment=world.ea, reason="1.1 汇总分录错", actor=admin)
    ConsolidatedScore.objects.filter(enrollment=world.ea, node=world.node("1.1")).update(
        score=Decimal(9)
    )
    unit_refresh(enrollment=world.ea)  # as the score's write would (written directly here)
    approve(world)
    rereview.refresh_from_db()
    assert rereview.state == R.REJECTED and "撤销" in rereview.reason
    assert UnitResult.objects.get(enrollment=world.ea).grade == "良好"  # 9 + 5 + 10 = 24
    assert AuditEntry.objects.filter(action="rereview.withdraw").count() == 1
