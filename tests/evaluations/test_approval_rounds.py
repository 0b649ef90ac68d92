"""Approval in rounds (issue 14, point 4): the committee admin prepares the reviewed units while
others are still in review, the committee leader signs off with their password, the audit trail
shows both, and the committee can close the approval with the remaining units 未完成."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from mofan.accounts.access import actor_for
from mofan.accounts.roles import Role
from mofan.accounts.totp import totp_begin, totp_confirm
from mofan.audit.models import AuditEntry
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations import approval
from mofan.evaluations.approval_rounds import (
    approval_close,
    approval_prepare,
    approval_sign,
    approval_withdraw,
)
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.models import ApprovalBatch, BatchState, UnitResult, UnitTotals
from mofan.evaluations.selectors_approval import pending_round
from mofan.evaluations.selectors_ranking import approved_results
from mofan.notifications.models import Notice
from tests.evaluations.campaign_fixtures import World, world
from tests.factories import make_user
from tests.rectification.rereview_fixtures import finish_review
from tests.world import PASSWORD, logged_in

__all__ = ["world"]

S = EnrollmentState


def _c_still_in_review(world: World) -> None:
    """A and B reviewed; C back to 已提交 (its review not consolidated yet)."""
    finish_review(world)
    Enrollment.objects.filter(pk=world.ec.pk).update(state=S.SUBMITTED)
    campaign_recompute(campaign=world.campaign)


def _round(world: World) -> None:
    """The admin prepares every ready unit, the leader signs them off."""
    approval_sign(
        batch=approval_prepare(campaign=world.campaign, actor=world.actor("committee_admin")),
        actor=world.actor("committee_leader"),
        password=PASSWORD,
    )


def _states(world: World) -> dict[str, str]:
    return dict(
        Enrollment.objects.filter(campaign=world.campaign).values_list("unit__name", "state")
    )


def test_the_admin_prepares_the_ready_units_and_the_leader_signs_them_off(world):
    _c_still_in_review(world)
    admin, leader = world.actor("committee_admin"), world.actor("committee_leader")
    batch = approval_prepare(campaign=world.campaign, actor=admin)
    assert sorted(batch.enrollments) == sorted([world.ea.pk, world.eb.pk])
    assert Notice.objects.filter(kind="approval.prepared", recipient=leader.user).exists()
    assert not UnitResult.objects.filter(campaign=world.campaign).exists()  # nothing frozen yet
    with pytest.raises(ValidationError, match="密码不正确"):
        approval_sign(batch=batch, actor=leader, password="not-the-password")
    assert not UnitResult.objects.filter(campaign=world.campaign).exists()
    approval_sign(batch=batch, actor=leader, password=PASSWORD)
    assert _states(world) == {"甲单位": S.APPROVED, "乙单位": S.APPROVED, "丙单位": S.SUBMITTED}
    frozen = {r.enrollment_id: r for r in approved_results(world.campaign)}
    assert set(frozen) == {world.ea.pk, world.eb.pk}
    assert all(r.approved_by_id == leader.user.pk for r in frozen.values())
    prepared = AuditEntry.objects.get(action="approval.prepare")
    signed = AuditEntry.objects.get(action="approval.sign")
    assert prepared.actor_id == admin.user.pk and signed.actor_id == leader.user.pk
    assert signed.data["extra"] == {"prepared_by": admin.user.pk, "reauthenticated": "password"}
    assert Notice.objects.filter(kind="approval.signed", recipient=admin.user).exists()
    assert ApprovalBatch.objects.get(pk=batch.pk).state == BatchState.SIGNED
    # Publishing waits for C.
    with pytest.raises(ValidationError, match="未审定"):
        approval.campaign_publish(campaign=world.campaign, actor=admin)


def test_a_leader_with_two_factor_signs_with_password_and_code(world):
    """Sign-off is a re-authentication: with a confirmed TOTP device, the password alone is
    refused, a wrong code is refused, and a fresh code signs (audited as such)."""
    _c_still_in_review(world)
    leader = world.actor("committee_leader")
    device = totp_begin(user=leader.user)
    recovery = totp_confirm(user=leader.user, code=pyotp.TOTP(device.secret).now())
    assert recovery
    batch = approval_prepare(campaign=world.campaign, actor=world.actor("committee_admin"))
    with pytest.raises(ValidationError, match="动态验证码"):
        approval_sign(batch=batch, actor=leader, password=PASSWORD)
    with pytest.raises(ValidationError, match="动态验证码不正确"):
        approval_sign(batch=batch, actor=leader, password=PASSWORD, code="000000")
    assert not UnitResult.objects.filter(campaign=world.campaign).exists()
    # the page asks for the code (the login's own second step takes a recovery code)
    client = logged_in(world.user("committee_leader"))  # the password step
    assert client.post("/accounts/login/otp/", {"code": recovery[0]}).status_code == 302
    page = client.get(reverse("reviews:approval", args=[world.campaign.pk])).content.decode()
    assert 'name="code"' in page
    fresh = pyotp.TOTP(device.secret).at(time.time() + 30)
    approval_sign(batch=batch, actor=leader, password=PASSWORD, code=fresh)
    signed = AuditEntry.objects.get(action="approval.sign")
    assert signed.data["extra"]["reauthenticated"] == "password+totp"
    assert _states(world)["甲单位"] == S.APPROVED


def test_a_second_round_follows_and_ranks_follow_the_whole_field(world):
    _c_still_in_review(world)
    admin, leader = world.actor("committee_admin"), world.actor("committee_leader")
    _round(world)
    Enrollment.objects.filter(pk=world.ec.pk).update(state=S.REVIEWED)
    campaign_recompute(campaign=world.campaign)
    second = approval_prepare(campaign=world.campaign, actor=admin)
    assert second.enrollments == [world.ec.pk]
    approval_sign(batch=second, actor=leader, password=PASSWORD)
    ranks = dict(
        UnitResult.objects.filter(campaign=world.campaign).values_list("enrollment_id", "rank")
    )
    stored = dict(
        UnitTotals.objects.filter(campaign=world.campaign).values_list("enrollment_id", "rank")
    )
    assert ranks == stored and sorted(ranks.values()) == [1, 2, 3]
    approval.campaign_publish(campaign=world.campaign, actor=admin)


def test_only_the_admin_prepares_and_only_the_committees_leader_signs(world):
    _c_still_in_review(world)
    for who in ("committee_leader", "other_admin", "owner"):
        with pytest.raises(PermissionDenied):
            approval_prepare(campaign=world.campaign, actor=world.actor(who))
    batch = approval_prepare(campaign=world.campaign, actor=world.actor("committee_admin"))
    other_leader = make_user(Role.COMMITTEE_LEADER, committee=world.other_committee)
    for actor in (world.actor("committee_admin"), world.actor("owner"), actor_for(other_leader)):
        with pytest.raises(PermissionDenied):
            approval_sign(batch=batch, actor=actor, password=PASSWORD)
    assert not UnitResult.objects.filter(campaign=world.campaign).exists()
    with pytest.raises(ValidationError, match="等待领导签批"):
        approval_prepare(campaign=world.campaign, actor=world.actor("committee_admin"))


def test_a_change_after_preparation_refuses_the_signature_until_prepared_again(world):
    _c_still_in_review(world)
    admin, leader = world.actor("committee_admin"), world.actor("committee_leader")
    batch = approval_prepare(campaign=world.campaign, actor=admin)
    approval.veto_input_record(
        enrollment=world.eb, source="audit", vetoed=True, opinion="审计发现问题", actor=admin
    )
    with pytest.raises(ValidationError, match="发生了变化"):
        approval_sign(batch=batch, actor=leader, password=PASSWORD)
    approval_withdraw(batch=batch, actor=admin, reason="乙单位审计意见")
    assert pending_round(world.campaign) is None
    _round(world)
    assert UnitResult.objects.get(enrollment=world.eb).veto is True


def test_closing_marks_the_rest_incomplete_unranked_and_lets_the_results_be_published(world):
    _c_still_in_review(world)
    admin, leader = world.actor("committee_admin"), world.actor("committee_leader")
    _round(world)
    with pytest.raises(ValidationError, match="理由"):
        approval_close(campaign=world.campaign, reason=" ", actor=admin)
    with pytest.raises(PermissionDenied):
        approval_close(campaign=world.campaign, reason="x", actor=leader)
    c_liaison = make_user(Role.UNIT_ADMIN, unit=world.unit_c)
    assert approval_close(campaign=world.campaign, reason="丙单位评审未能完成", actor=admin) == 1
    assert _states(world)["丙单位"] == S.INCOMPLETE
    c = UnitTotals.objects.get(enrollment=world.ec)
    assert (c.composite, c.rank, c.advanced) == (None, None, False)
    entry = AuditEntry.objects.get(action="enrollment.incomplete")
    assert entry.data["extra"] == {"reason": "丙单位评审未能完成"}
    assert Notice.objects.filter(kind="approval.closed", recipient=c_liaison).exists()
    approval.campaign_publish(campaign=world.campaign, actor=admin)
    assert world.campaign.results_published
