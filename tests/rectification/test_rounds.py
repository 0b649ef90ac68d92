"""Rectification that ends only when the unit passes (issue 14 point 7): a unit still failing
after its 复核 gets a new round (its leaves still below their pass mark, a new re-review that
scores on top of the earlier rounds), unless the committee ends it with a recorded reason; the
board lists every waiting finding in one action."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from mofan.evaluations.models import UnitResult
from mofan.notifications.models import Notice
from mofan.rectification.leaves import LeafMark, leaf_fails, leaves_to_list, pass_ratio
from mofan.rectification.models import ProblemItem, ProblemSource, ReReview, ReReviewState
from mofan.rectification.rereview import rereview_score_save, rereview_transition
from tests.evaluations.campaign_fixtures import world
from tests.rectification.rereview_fixtures import approve, close_all, close_item, finish_review
from tests.world import logged_in

__all__ = ["world"]

pytestmark = pytest.mark.django_db
R = ReReviewState


@pytest.fixture
def approved(world):
    finish_review(world)
    approve(world)
    return world


def score_and_submit(world, rereview, scores):
    for code, value in scores.items():
        rereview_score_save(
            rereview=rereview,
            node=world.node(code),
            value={"value": str(value)},
            comment=f"复核 {code}",
            expected_version=None,
            actor=world.actor("assigned"),
        )
    return rereview_transition(rereview=rereview, to=R.SUBMITTED, actor=world.actor("leader"))


def second_round(world, decision=R.APPROVED):
    """Round 1 scored so that A still fails (3 + 4 + 9 = 16 < 18), then decided."""
    first = score_and_submit(world, close_all(world, "A"), {"1.1": 3, "1.2": 4, "2.1": 9})
    rereview_transition(
        rereview=first, to=decision, actor=world.actor("committee_admin"), reason="整改不到位"
    )
    return ReReview.objects.get(enrollment=world.ea, round=2)


def codes(world, node_ids):
    return sorted(world.node(c).code for c in ("1.1", "1.2", "2.1") if world.node(c).pk in node_ids)


def test_a_unit_still_failing_after_an_approved_rereview_gets_a_second_round(approved):
    world = approved
    following = second_round(world)
    result = UnitResult.objects.get(enrollment=world.ea)
    assert (result.composite, result.grade) == (Decimal("16.00"), "不达标")
    assert following.state == R.WAITING
    # the leaves still below the pass mark on the scores round 1 left: 1.1 (0.3), 1.2 (0.4)
    assert codes(world, following.node_ids) == ["1.1", "1.2"]
    items = ProblemItem.objects.filter(origin_type="rectification.rereview").order_by("pk")
    assert [(i.origin_id, i.node.code) for i in items] == [
        (following.pk, "1.1"),
        (following.pk, "1.2"),
    ]
    assert all(i.source == ProblemSource.RESULT and i.created_by is None for i in items)
    assert all("第 1 轮复核后" in i.description for i in items)
    assert (
        Notice.objects.filter(
            recipient=world.user("owner"),
            kind="problem.new",
            key__in=[f"problem:{i.pk}:new" for i in items],
        ).count()
        == 2
    )
    entry = AuditEntry.objects.filter(action="rereview.create").order_by("-pk").first()
    assert entry.data["after"]["round"] == 2
    # a passing unit gets no round: B and C (vetoed) have none
    assert not ReReview.objects.filter(enrollment__in=[world.eb, world.ec]).exists()


def test_the_second_round_opens_on_its_own_items_and_scores_on_top_of_the_first(approved):
    world = approved
    following = second_round(world)
    for item in ProblemItem.objects.filter(
        origin_id=following.pk, origin_type="rectification.rereview"
    ):
        close_item(item, world.actor("committee_admin"))
    following.refresh_from_db()
    assert following.state == R.OPEN
    done = score_and_submit(world, following, {"1.1": 8, "1.2": 8})
    # 8 + 8 + 9: 2.1 keeps round 1's 9, not the consolidated 10
    assert (done.after["composite"], done.after["grade"]) == ("25.00", "良好")
    rereview_transition(rereview=done, to=R.APPROVED, actor=world.actor("committee_admin"))
    result = UnitResult.objects.get(enrollment=world.ea)
    assert (result.composite, result.grade) == (Decimal("25.00"), "良好")
    # the unit passes now: rectification ends, no third round
    assert ReReview.objects.filter(enrollment=world.ea).count() == 2
    assert audit_verify().ok


def test_a_rejected_rereview_starts_a_new_round_on_the_kept_result(approved):
    world = approved
    following = second_round(world, decision=R.REJECTED)
    result = UnitResult.objects.get(enrollment=world.ea)
    assert (result.composite, result.grade) == (Decimal("17.00"), "不达标")
    # the consolidated scores stand: 1.1 (0.2) and 1.2 (0.5) are below the line
    assert codes(world, following.node_ids) == ["1.1", "1.2"]


def test_only_the_committee_admin_ends_a_later_round_and_only_with_a_reason(approved):
    world = approved
    first = ReReview.objects.get(enrollment=world.ea, round=1)
    admin = world.actor("committee_admin")
    with pytest.raises(ValidationError):  # the first round is never skipped
        rereview_transition(rereview=first, to=R.CLOSED, actor=admin, reason="不再整改")
    following = second_round(world)
    for persona in ("other_admin", "leader", "owner", "committee_leader"):
        with pytest.raises(PermissionDenied):
            rereview_transition(
                rereview=following, to=R.CLOSED, actor=world.actor(persona), reason="结束"
            )
    with pytest.raises(ValidationError):
        rereview_transition(rereview=following, to=R.CLOSED, actor=admin, reason="  ")
    following.refresh_from_db()
    assert following.state == R.WAITING
    done = rereview_transition(
        rereview=following, to=R.CLOSED, actor=admin, reason="该单位已撤并，经工委会议研究结束整改"
    )
    assert done.state == R.CLOSED and done.decided_by == world.user("committee_admin")
    entry = AuditEntry.objects.get(action="rereview.close")
    assert entry.data["extra"]["reason"].startswith("该单位已撤并")
    assert Notice.objects.filter(
        recipient=world.user("owner"), kind="rereview.decided", title__contains="结束整改"
    ).exists()
    # no new round follows a closed one
    assert ReReview.objects.filter(enrollment=world.ea).count() == 2


def test_the_page_shows_the_round_and_the_close_form_to_the_admin_only(approved):
    world = approved
    following = second_round(world)
    url = reverse("rectification:rereview_detail", args=[following.pk])
    body = logged_in(world.user("committee_admin")).get(url).content.decode()
    assert "第 2 轮复核" in body and 'id="close-rereview"' in body
    owner_page = logged_in(world.user("owner")).get(url)
    assert owner_page.status_code == 200
    assert "第 2 轮复核" in owner_page.content.decode()
    assert 'id="close-rereview"' not in owner_page.content.decode()
    close = reverse("rectification:rereview_close", args=[following.pk])
    assert logged_in(world.user("owner")).post(close, {"reason": "结束"}).status_code == 403
    following.refresh_from_db()
    assert following.state == R.WAITING
    client = logged_in(world.user("committee_admin"))
    response = client.post(close, {"reason": "", "version": following.version}, follow=True)
    assert "理由" in response.content.decode()
    client.post(close, {"reason": "经研究结束整改", "version": following.version})
    following.refresh_from_db()
    assert following.state == R.CLOSED and following.reason == "经研究结束整改"


# --- the board's bulk action --------------------------------------------------------------------


def test_the_board_lists_every_waiting_finding_in_one_action(world):
    finish_review(world)  # findings on A (two problems) and B (one); nothing approved yet
    url = reverse("rectification:items_from_findings")
    board = reverse("rectification:item_board")
    assert (
        'id="list-all-findings"'
        in logged_in(world.user("committee_admin")).get(board).content.decode()
    )
    # people who may not: refused, nothing listed
    assert logged_in(world.user("owner")).post(url).status_code == 403
    assert logged_in(world.user("assigned")).post(url).status_code == 403
    response = logged_in(world.user("other_admin")).post(url, follow=True)
    assert "没有待列入" in response.content.decode()
    assert not ProblemItem.objects.exists()
    # another campaign's scope lists nothing
    logged_in(world.user("committee_admin")).post(url, {"campaign": world.other_campaign.pk})
    assert not ProblemItem.objects.exists()
    response = logged_in(world.user("committee_admin")).post(
        url, {"campaign": world.campaign.pk}, follow=True
    )
    assert "已将 3 条评审发现列入问题清单" in response.content.decode()
    items = ProblemItem.objects.order_by("pk")
    assert [i.unit_id for i in items] == [world.unit_a.pk, world.unit_a.pk, world.unit_b.pk]
    assert {i.source for i in items} == {ProblemSource.REVIEW_FINDING}
    today = timezone.localdate()
    assert {i.deadline for i in items} == {today + datetime.timedelta(days=60)}
    assert AuditEntry.objects.filter(action="problem.bulk_from_findings").count() == 1
    # a second time: nothing left, nothing twice
    response = logged_in(world.user("committee_admin")).post(url, follow=True)
    assert "没有待列入" in response.content.decode()
    assert ProblemItem.objects.count() == 3


# --- the pure rule ------------------------------------------------------------------------------


def test_the_pass_mark_per_method():
    manual = {"type": "manual"}
    qualitative = {"type": "qualitative", "levels": ["达标", "基本达标", "未达标"]}
    line = Decimal("0.6")
    assert leaf_fails(manual, Decimal("0.59"), line)
    assert not leaf_fails(manual, Decimal("0.6"), line)
    assert not leaf_fails(manual, None, line)
    assert leaf_fails(qualitative, Decimal(0), line)
    assert not leaf_fails(qualitative, Decimal("0.5"), line)  # 基本达标 passes
    assert pass_ratio([{"min_ratio": 0.9}, {"min_ratio": 0.6}, {"min_ratio": 0}]) == Decimal("0.6")
    assert pass_ratio([]) == Decimal("0.6")


@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.decimals(0, 1, places=2)), st.booleans()),
        max_size=12,
    ),
    st.integers(0, 6),
)
def test_every_failing_leaf_else_the_lowest(rows, fallback):
    marks = [
        LeafMark(node_id=100 + i, position=i, ratio=r, fails=f and r is not None)
        for i, (r, f) in enumerate(rows)
    ]
    chosen = leaves_to_list(marks, fallback)
    failing = [m for m in marks if m.fails]
    if failing:
        assert chosen == failing  # all of them, in tree order, however many
    else:
        assert len(chosen) <= fallback
        assert all(m.ratio is not None and m.ratio < 1 for m in chosen)
