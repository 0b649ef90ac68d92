"""Approval in rounds (综合审定, issue 14): the committee admin prepares the units that are ready
(reviewed), the committee leader signs off with their password, and only then are those units'
results frozen; other units may still be in review. The admin can withdraw a prepared round, and
close the approval with the units still unfinished marked 未完成, so that one stuck unit never
blocks the committee. Each step is audited (who prepared, who signed) and notifies the other side.

A round freezes each unit's score and grade as prepared (the leader signs exactly what was shown:
if a figure changed in between, signing is refused). Ranks and 先进 are over the whole field and
follow it until every unit is approved or closed (`figures.results.results_ranks_sync`); the
results are published only then.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.accounts.totp import has_confirmed_device, totp_verify
from mofan.audit.services import audit_record, audit_record_many
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations.approval import check_tie_decided, results_approve
from mofan.evaluations.figures.results import results_ranks_sync
from mofan.evaluations.figures.setwise import campaign_recompute, figures_settle
from mofan.evaluations.models import ApprovalBatch, BatchState, UnitTotals
from mofan.evaluations.selectors_approval import pending_round
from mofan.notifications.recipients import committee_people, unit_people
from mofan.notifications.services import notify

S = EnrollmentState
# Decided: approved, closed as 未完成, or withdrawn (已退出, never waited for nor closed).
DONE = (S.APPROVED, S.INCOMPLETE, S.WITHDRAWN)


def _check_admin(actor: Actor, campaign: Campaign) -> None:
    if not rules.administers(actor, campaign.committee_id):
        raise PermissionDenied(_("只有本工委管理员可以准备审定。"))


def _figures(campaign: Campaign, enrollment_ids: list[int]) -> dict[str, list[str]]:
    """What the leader signs: each unit's composite and grade, as text. The campaign's rows
    read and matched here: a round holds up to every unit, and 20,000 ids as query parameters
    cost more than reading the rows not in it."""
    wanted = set(enrollment_ids)
    return {
        str(pk): [str(composite), grade]
        for pk, composite, grade in UnitTotals.objects.filter(campaign=campaign).values_list(
            "enrollment_id", "composite", "grade"
        )
        if pk in wanted
    }


def _url(campaign: Campaign) -> str:
    return reverse("reviews:approval", args=[campaign.pk])


@transaction.atomic
def approval_prepare(*, campaign: Campaign, actor: Actor) -> ApprovalBatch:
    """The admin puts every reviewed unit not yet approved into a round for the leader."""
    _check_admin(actor, campaign)
    if pending_round(campaign) is not None:
        raise ValidationError(_("已有一轮审定等待领导签批；请等待签批，或先撤回。"))
    figures_settle(campaign=campaign)
    check_tie_decided(campaign)
    ready = sorted(
        Enrollment.objects.filter(campaign=campaign, state=S.REVIEWED).values_list("pk", flat=True)
    )
    if not ready:
        raise ValidationError(_("没有已完成评审、等待审定的单位。"))
    batch = ApprovalBatch.objects.create(
        campaign=campaign,
        enrollments=ready,
        figures=_figures(campaign, ready),
        prepared_by=actor.user,
        prepared_at=timezone.now(),
    )
    audit_record(
        action="approval.prepare",
        actor=actor.user,
        target=batch,
        committee_id=campaign.committee_id,
        after={"state": batch.state, "units": len(ready)},
    )
    notify(
        recipients=committee_people(campaign.committee_id, roles=(Role.COMMITTEE_LEADER,)),
        kind="approval.prepared",
        title=_("%(c)s：%(n)d 个单位的综合审定待您签批") % {"c": campaign.name, "n": len(ready)},
        url=_url(campaign),
    )
    return batch


def check_signer(actor: Actor, batch: ApprovalBatch, password: str, code: str) -> str:
    """The leader re-authenticates: the password, and the dynamic code (or a recovery code)
    as well when the leader has two-factor authentication. Returns how."""
    if not rules.signs_off(actor, batch.campaign.committee_id):
        raise PermissionDenied(_("只有本工委领导可以签批审定。"))
    if batch.state != BatchState.PREPARED:
        raise ValidationError(_("这一轮审定已签批或已撤回。"))
    if not password or not actor.user.check_password(password):
        raise ValidationError(_("密码不正确，未签批。"))
    if not has_confirmed_device(actor.user):
        return "password"
    if not code.strip():
        raise ValidationError(_("您已开启双因素认证，请同时输入动态验证码。"))
    if not totp_verify(user=actor.user, code=code.strip()):
        raise ValidationError(_("动态验证码不正确，未签批。"))
    return "password+totp"


@transaction.atomic
def approval_sign(
    *,
    batch: ApprovalBatch,
    actor: Actor,
    password: str,
    code: str = "",
    today: datetime.date | None = None,
) -> int:
    """The leader signs off a prepared round, confirming with their password: the round's
    units are approved on exactly the figures prepared. (The web page checks the password in
    the request and leaves the rest to a background task: `approval_tasks`.)"""
    batch = ApprovalBatch.objects.select_for_update().select_related("campaign").get(pk=batch.pk)
    how = check_signer(actor, batch, password, code)
    return approval_sign_confirmed(batch=batch, actor=actor, how=how, today=today)


@transaction.atomic
def approval_sign_confirmed(
    *,
    batch: ApprovalBatch,
    actor: Actor,
    how: str,
    today: datetime.date | None = None,
) -> int:
    """The signature once the leader has confirmed it (`how`: password, password+totp): checked
    again (the leader's role, the round still prepared), then the approval itself."""
    batch = ApprovalBatch.objects.select_for_update().select_related("campaign").get(pk=batch.pk)
    campaign = batch.campaign
    if not rules.signs_off(actor, campaign.committee_id):
        raise PermissionDenied(_("只有本工委领导可以签批审定。"))
    if batch.state != BatchState.PREPARED:
        raise ValidationError(_("这一轮审定已签批或已撤回。"))
    figures_settle(campaign=campaign)
    check_tie_decided(campaign)
    signed = set(batch.enrollments)
    still = signed & set(
        Enrollment.objects.filter(campaign=campaign, state=S.REVIEWED).values_list("pk", flat=True)
    )
    if still != signed or _figures(campaign, batch.enrollments) != batch.figures:
        raise ValidationError(_("准备审定后有单位的状态或结果发生了变化；请管理员撤回后重新准备。"))
    written = results_approve(
        campaign=campaign,
        signer=actor,
        today=today,
        enrollment_ids=batch.enrollments,
        extra={"round": batch.pk, "prepared_by": batch.prepared_by_id},
    )
    batch.state = BatchState.SIGNED
    batch.signed_by = actor.user
    batch.signed_at = timezone.now()
    batch.save(update_fields=["state", "signed_by", "signed_at"])
    audit_record(
        action="approval.sign",
        actor=actor.user,
        target=batch,
        committee_id=campaign.committee_id,
        before={"state": BatchState.PREPARED.value},
        after={"state": batch.state, "units": len(batch.enrollments)},
        extra={"prepared_by": batch.prepared_by_id, "reauthenticated": how},
    )
    notify(
        recipients=committee_people(campaign.committee_id),
        kind="approval.signed",
        title=_("%(c)s：%(n)d 个单位的综合审定已签批")
        % {"c": campaign.name, "n": len(batch.enrollments)},
        url=_url(campaign),
    )
    return written


@transaction.atomic
def approval_withdraw(*, batch: ApprovalBatch, actor: Actor, reason: str = "") -> ApprovalBatch:
    """The admin takes back a round the leader has not signed (to add units, or after a
    change)."""
    batch = ApprovalBatch.objects.select_for_update().select_related("campaign").get(pk=batch.pk)
    _check_admin(actor, batch.campaign)
    if batch.state != BatchState.PREPARED:
        raise ValidationError(_("这一轮审定已签批或已撤回。"))
    batch.state = BatchState.WITHDRAWN
    batch.note = reason.strip()
    batch.save(update_fields=["state", "note"])
    audit_record(
        action="approval.withdraw",
        actor=actor.user,
        target=batch,
        committee_id=batch.campaign.committee_id,
        before={"state": BatchState.PREPARED.value},
        after={"state": batch.state},
        extra={"reason": batch.note} if batch.note else None,
    )
    return batch


@transaction.atomic
def approval_close(*, campaign: Campaign, reason: str, actor: Actor) -> int:
    """Close the approval: every unit neither approved nor already closed becomes 未完成 (it
    is neither ranked nor honoured), so the rest can be published. Returns how many."""
    _check_admin(actor, campaign)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("请写明结束审定的理由。"))
    if pending_round(campaign) is not None:
        raise ValidationError(_("还有一轮审定等待领导签批；请先签批或撤回。"))
    remaining = list(
        Enrollment.objects.filter(campaign=campaign)
        .exclude(state__in=DONE)
        .values_list("pk", "state", "unit_id")
    )
    if not remaining:
        raise ValidationError(_("所有单位都已审定，无需结束。"))
    ids = [pk for pk, _s, _u in remaining]
    Enrollment.objects.filter(pk__in=ids).exclude(state__in=DONE).update(
        state=S.INCOMPLETE, version=F("version") + 1
    )
    campaign_recompute(campaign=campaign)  # they leave the field: no composite, no rank
    results_ranks_sync(campaign=campaign)
    audit_record_many(entries=_closed_entries(remaining, actor, reason))
    audit_record(
        action="approval.close",
        actor=actor.user,
        target=campaign,
        extra={"units": len(ids), "reason": reason},
    )
    for _pk, _state, unit_id in remaining:
        notify(
            recipients=unit_people(unit_id),
            kind="approval.closed",
            title=_("%(c)s：本单位未完成考评，已记为未完成") % {"c": campaign.name},
            body=reason,
        )
    return len(ids)


def _closed_entries(
    remaining: list[tuple[int, str, int]], actor: Actor, reason: str
) -> list[dict[str, Any]]:
    return [
        {
            "action": "enrollment.incomplete",
            "actor": actor.user,
            "object_type": Enrollment._meta.label_lower,
            "object_id": pk,
            "before": {"state": state},
            "after": {"state": S.INCOMPLETE.value},
            "extra": {"reason": reason},
        }
        for pk, state, _unit in remaining
    ]
