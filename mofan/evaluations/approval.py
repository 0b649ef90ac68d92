"""Committee approval (综合审定): veto inputs, results for every unit, freezing, reopening with
a reason, and publishing."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record, audit_record_many
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState, QuotaTiePolicy
from mofan.campaigns.selectors import taking_part
from mofan.evaluations import events, notices
from mofan.evaluations.figures.results import (
    ID_SLICE,
    RESULT_TYPE,
    SHOWN_APART,
    FreshResult,
    result_unfreeze,
    results_freeze,
    results_ranks_sync,
)
from mofan.evaluations.figures.setwise import figures_settle
from mofan.evaluations.figures.summary import result_summary_rebuild
from mofan.evaluations.figures.unit import current_tie, ranks_refresh, tie_decision, unit_refresh
from mofan.evaluations.models import QuotaTieDecision, TiePolicy, UnitResult, VetoInput
from mofan.evaluations.results import admitted_for
from mofan.evaluations.services import enrollment_transition

S = EnrollmentState


def check_admin(actor: Actor, campaign: Campaign) -> None:
    if not rules.administers(actor, campaign.committee_id):
        raise PermissionDenied(_("只有本工委管理员可以审定。"))


@transaction.atomic
def veto_input_record(
    *, enrollment: Enrollment, source: str, vetoed: bool, opinion: str, actor: Actor
) -> VetoInput:
    """The opinion of 纪检监察 / 巡察 / 审计 on one unit (seed 001)."""
    check_admin(actor, enrollment.campaign)
    if enrollment.state == S.APPROVED:
        raise ValidationError(_("结果已审定；如需修改请先重新打开。"))
    if enrollment.state == S.WITHDRAWN:
        raise ValidationError(_("该单位已退出本活动，不参加审定。"))
    if vetoed and not opinion.strip():
        raise ValidationError(_("否决须写明意见。"))
    existing = VetoInput.objects.filter(enrollment=enrollment, source=source).first()
    before = {"vetoed": existing.vetoed, "opinion": existing.opinion} if existing else None
    record, _created = VetoInput.objects.update_or_create(
        enrollment=enrollment,
        source=source,
        defaults={"vetoed": vetoed, "opinion": opinion, "recorded_by": actor.user},
    )
    unit_refresh(enrollment=enrollment)
    audit_record(
        action="approval.veto_input",
        actor=actor.user,
        target=record,
        before=before,
        after={"source": source, "vetoed": vetoed, "opinion": opinion},
    )
    return record


def _shown(values: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in values.items() if k not in SHOWN_APART}


def check_all_reviewed(campaign: Campaign) -> None:
    """Refuses approval while some unit is not reviewed, naming the first five."""
    pending = taking_part(campaign).exclude(state__in=(S.REVIEWED, S.APPROVED))
    waiting = pending.count()
    if waiting:
        names = list(
            pending.order_by("unit__sort_order", "pk").values_list("unit__name", flat=True)[:5]
        )
        raise ValidationError(
            _("还有 %(n)d 个单位未完成评审：%(u)s。")
            % {"n": waiting, "u": "、".join(names) + ("……" if waiting > 5 else "")}
        )


def _tie_entry(decision: QuotaTieDecision) -> dict[str, Any]:
    return {
        "policy": decision.policy,
        "score": str(decision.score),
        "tied": decision.tied,
        "admitted": decision.admitted,
        "reason": decision.reason,
    }


@transaction.atomic
def quota_tie_decide(
    *,
    campaign: Campaign,
    policy: str,
    actor: Actor,
    admitted: Collection[int] = (),
    reason: str = "",
) -> QuotaTieDecision:
    """The committee decides the tie across the 先进 quota line (issue 14): all tied units
    admitted (over the quota), none (places left empty), or chosen ones within the places left,
    with a reason. The field is re-ranked at once; audited with before and after."""
    check_admin(actor, campaign)
    tie = current_tie(campaign)
    if tie is None:
        raise ValidationError(_("目前没有跨先进名额线的并列单位，无需决定。"))
    if Enrollment.objects.filter(pk__in=tie.tied, state=S.APPROVED).exists():
        raise ValidationError(_("并列单位中已有结果审定；如需修改请先重新打开。"))
    reason = reason.strip()
    chosen = {int(pk) for pk in admitted}
    if policy == TiePolicy.ALL:
        chosen = set(tie.tied)
    elif policy == TiePolicy.NONE:
        chosen = set()
    elif policy == TiePolicy.PICK:
        if not chosen or not chosen <= set(tie.tied):
            raise ValidationError(_("请从并列单位中选定入选的单位。"))
        if len(chosen) > tie.seats:
            raise ValidationError(_("选定的单位不能超过剩余名额（%(n)d 个）。") % {"n": tie.seats})
        if not reason:
            raise ValidationError(_("选定部分并列单位须说明理由。"))
    else:
        raise ValidationError(_("请选择处理方式。"))
    existing = QuotaTieDecision.objects.filter(campaign=campaign).first()
    before = _tie_entry(existing) if existing is not None else None
    decision, _created = QuotaTieDecision.objects.update_or_create(
        campaign=campaign,
        defaults={
            "score": tie.score,
            "tied": list(tie.tied),
            "admitted": sorted(chosen),
            "policy": policy,
            "reason": reason,
            "decided_by": actor.user,
            "decided_at": timezone.now(),
        },
    )
    ranks_refresh(campaign=campaign)
    audit_record(
        action="approval.quota_tie",
        actor=actor.user,
        target=campaign,
        before=before,
        after=_tie_entry(decision),
    )
    return decision


def check_tie_decided(campaign: Campaign) -> None:
    """Refuses approval while units tie across the quota line undecided: nothing is dropped
    silently."""
    if campaign.tie_policy != QuotaTiePolicy.DECIDE:
        return  # settled in advance by the campaign's policy
    tie = current_tie(campaign)
    if tie is not None and admitted_for(tie, tie_decision(campaign)) is None:
        raise ValidationError(
            _("有 %(n)d 个单位以 %(s)s 分并列于先进名额线（剩余名额 %(k)d 个），请先决定。")
            % {"n": len(tie.tied), "s": tie.score, "k": tie.seats}
        )


@transaction.atomic
def campaign_approve(
    *, campaign: Campaign, actor: Actor, today: datetime.date | None = None
) -> int:
    """Approve every reviewed unit: write its frozen result. All units must be reviewed (or
    already approved) so that ranks and the honours quota are computed over the whole field.

    Set-wise, so that a province's 20,000 units approve in seconds rather than minutes: the
    stored figures, current since every write refreshes them (`figures.setwise.figures_settle`),
    copied into the results by the database (`figures.results`), the reviewed enrollments moved
    to APPROVED by guarded UPDATEs, and
    for each unit the same two audit entries as one-by-one approval wrote (`enrollment.approve`
    and `approval.result` with before and after), appended to the chain in order in one go.

    In the same transaction, the newly frozen results are announced (`events.results_approved`);
    rectification receives them: a unit graded in `campaign.rectify_grades` gets its problem
    list and a waiting re-review; `today` dates the items' deadlines. Honours receives them too:
    the campaign's 先进单位 become the candidates of its honour programme."""
    check_admin(actor, campaign)
    check_all_reviewed(campaign)
    figures_settle(campaign=campaign)  # the stored figures, current
    check_tie_decided(campaign)
    return results_approve(campaign=campaign, signer=actor, today=today)


@transaction.atomic(savepoint=False)
def results_approve(
    *,
    campaign: Campaign,
    signer: Actor,
    today: datetime.date | None = None,
    enrollment_ids: Collection[int] | None = None,
    extra: dict[str, Any] | None = None,
) -> int:
    """The approval itself, for every reviewed unit or for `enrollment_ids`, on figures the
    caller has just recomputed; the caller has checked who may approve (`campaign_approve`, or
    `approval_rounds.approval_sign` for a round the admin prepared and the leader signs)."""
    done = results_freeze(
        campaign=campaign,
        approved_by=signer.user,
        now=timezone.now(),
        enrollment_ids=enrollment_ids,
    )
    moving = [r.enrollment_id for r in done.fresh if r.state == S.REVIEWED]
    if moving:
        # REVIEWED and APPROVED count alike in the stored figures: nothing to refresh.
        updated = sum(  # in slices: SQLite takes at most 32,766 parameters a statement
            Enrollment.objects.filter(pk__in=moving[i : i + ID_SLICE], state=S.REVIEWED).update(
                state=S.APPROVED, version=F("version") + 1
            )
            for i in range(0, len(moving), ID_SLICE)
        )
        if updated != len(moving):
            raise ValidationError(_("状态已被他人更改，请刷新后重试。"))
    if not campaign.results_published:
        results_ranks_sync(campaign=campaign)  # ranks and 先进 follow the field until published
    audit_record_many(entries=_approval_entries(done.fresh, signer, campaign))
    result_summary_rebuild(campaign=campaign)  # the dashboard's campaign-wide figures
    problems = events.count_made(
        events.results_approved.send(
            sender=UnitResult,
            campaign=campaign,
            results=[
                events.ApprovedResult(r.pk, r.enrollment_id, r.grade, r.veto) for r in done.fresh
            ],
            actor=signer,
            today=today,
        )
    )
    audit_record(
        action="approval.campaign",
        actor=signer.user,
        target=campaign,
        extra={"units": done.written, "problems": problems, **(extra or {})},
    )
    return done.written


def _approval_entries(
    fresh: list[FreshResult], actor: Actor, campaign: Campaign
) -> Iterator[dict[str, Any]]:
    """Per unit, what `enrollment_transition` and the result's write audit one by one."""
    enrollment_type = Enrollment._meta.label_lower
    committee = campaign.committee_id
    for record in fresh:
        if record.state == S.REVIEWED:
            yield {
                "action": "enrollment.approve",
                "actor": actor.user,
                "object_type": enrollment_type,
                "object_id": record.enrollment_id,
                "before": {"state": S.REVIEWED.value},
                "after": {"state": S.APPROVED.value},
                "committee_id": committee,
            }
        yield {
            "action": "approval.result",
            "actor": actor.user,
            "object_type": RESULT_TYPE,
            "object_id": record.pk,
            "before": record.before,
            "after": _shown(record.values),
            "committee_id": committee,
        }


@transaction.atomic
def result_reopen(*, enrollment: Enrollment, reason: str, actor: Actor) -> Enrollment:
    """Unfreeze one approved result so it can be changed; the reason is audited."""
    check_admin(actor, enrollment.campaign)
    enrollment = enrollment_transition(
        enrollment=enrollment, to=S.REVIEWED, actor=actor, reason=reason
    )
    result_unfreeze(enrollment=enrollment)
    return enrollment


@transaction.atomic
def campaign_publish(*, campaign: Campaign, actor: Actor, ranking: bool = False) -> Campaign:
    """Each unit then sees its own final score, grade, per-type scores and rank band; the full
    ranking only when `ranking`."""
    check_admin(actor, campaign)
    units = taking_part(campaign)  # a withdrawn unit (已退出) is never waited for
    if units.exclude(state__in=(S.APPROVED, S.INCOMPLETE)).exists():
        raise ValidationError(_("还有单位的结果未审定，不能公布。"))
    if not units.filter(state=S.APPROVED).exists():
        raise ValidationError(_("还没有审定的结果，不能公布。"))
    before = {
        "results_published": campaign.results_published,
        "ranking_published": campaign.ranking_published,
    }
    campaign.results_published = True
    campaign.ranking_published = ranking
    campaign.save(update_fields=["results_published", "ranking_published"])
    audit_record(
        action="approval.publish",
        actor=actor.user,
        target=campaign,
        before=before,
        after={"results_published": True, "ranking_published": ranking},
        extra={"ranking": ranking},
    )
    notices.tell_results_published(campaign)
    return campaign


def rank_band(rank: int | None, enrolled: int) -> str:
    """What a unit sees of its rank before the ranking is published: its quarter of the field."""
    if rank is None or enrolled == 0:
        return ""
    share = Decimal(rank) / Decimal(enrolled)
    if share <= Decimal("0.25"):
        return _("前 25%")
    if share <= Decimal("0.5"):
        return _("前 50%")
    if share <= Decimal("0.75"):
        return _("后 50%")
    return _("后 25%")
