"""The three-step evaluation: self-evaluation → review → consolidation, and the one
state-transition function for an enrollment. Every write audits inside its transaction; score
writes use optimistic locking so two tabs or two reviewers never overwrite each other silently.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.campaigns import administration
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations import notices
from mofan.evaluations.figures.unit import unit_refresh
from mofan.evaluations.models import (
    Assignment,
    ConsolidatedScore,
    EvidenceLink,
    Finding,
    ReviewScore,
    ReviewSubmission,
    SelfScore,
    Visit,
)
from mofan.evaluations.review_groups import home_units
from mofan.evaluations.score_write import ScoreRow, score_row_save, shown
from mofan.evaluations.scoring import consensus
from mofan.indicators.methods import OPTIONAL_IN_SELF, q
from mofan.indicators.models import IndicatorNode
from mofan.indicators.selectors import published_leaves
from mofan.notifications.recipients import unit_people
from mofan.notifications.services import notify

S = EnrollmentState
EDITABLE_STATES = (S.NOT_STARTED, S.IN_PROGRESS, S.RETURNED)
REVIEWED = (S.REVIEWED, S.APPROVED)


# --- the one state-transition function ---------------------------------------------------------

# (from, to): (name, who may do it)
TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (S.NOT_STARTED, S.IN_PROGRESS): ("start", "unit_admin"),
    (S.RETURNED, S.IN_PROGRESS): ("resume", "unit_admin"),
    (S.IN_PROGRESS, S.SUBMITTED): ("submit", "unit_leader"),
    (S.SUBMITTED, S.RETURNED): ("return", "committee_admin"),
    (S.SUBMITTED, S.REVIEWED): ("review", "group_leader"),
    (S.REVIEWED, S.APPROVED): ("approve", "committee_admin"),
    (S.APPROVED, S.REVIEWED): ("reopen", "committee_admin"),
}
# name: who may also make the transition on behalf of those above, always with a written reason
# (audited with an on-behalf marker, the unit told): the committee submits a unit's
# self-evaluation when its leader cannot, so a filled-in self-evaluation never dead-ends.
ON_BEHALF: dict[str, str] = {"submit": "committee_admin"}


def _may(actor: Actor, who: str, enrollment: Enrollment) -> bool:
    if who == "unit_admin":
        return rules.is_unit_admin_of(actor, enrollment.unit_id)
    if who == "unit_leader":
        return rules.is_unit_leader_of(actor, enrollment.unit_id)
    if who == "committee_admin":
        return rules.administers(actor, enrollment.campaign.committee_id)
    if who == "group_leader":
        assignment = (
            Assignment.objects.filter(enrollment=enrollment).select_related("group").first()
        )
        return assignment is not None and assignment.group.leader_id == actor.user.pk
    return False


def deadline_passed(enrollment: Enrollment) -> bool:
    deadline = enrollment.campaign.submission_deadline
    if enrollment.extended_until and (deadline is None or enrollment.extended_until > deadline):
        deadline = enrollment.extended_until
    return deadline is not None and timezone.now() > deadline


def locked_check(enrollment: Enrollment) -> None:
    """Refuses a write to the self-evaluation unless it is with the unit (the reason given)."""
    if enrollment.state == S.WITHDRAWN:
        raise ValidationError(_("本单位已退出本活动，自评不能再修改。"))
    if enrollment.state not in EDITABLE_STATES:
        raise ValidationError(_("自评已提交并锁定；如需修改请联系工委退回。"))


@transaction.atomic
def enrollment_transition(
    *, enrollment: Enrollment, to: str, actor: Actor, reason: str = ""
) -> Enrollment:
    """Check the transition and its preconditions, save, audit."""
    enrollment = Enrollment.objects.select_related("campaign__indicator_version").get(
        pk=enrollment.pk
    )
    key = (enrollment.state, to)
    if key not in TRANSITIONS:
        raise ValidationError(
            _("不能从“%(a)s”变为“%(b)s”。") % {"a": S(enrollment.state).label, "b": S(to).label}
        )
    name, who = TRANSITIONS[key]
    on_behalf = _on_behalf(actor, name, who, enrollment)
    if (name in ("return", "reopen") or on_behalf) and not reason.strip():
        raise ValidationError(_("请写明理由。"))
    if name == "submit":
        if deadline_passed(enrollment):
            raise ValidationError(
                _("已过提交截止时间；请先为该单位延期。")
                if on_behalf
                else _("已过提交截止时间；如需延期请联系工委。")
            )
        missing = submission_problems(enrollment)
        if missing:
            raise ValidationError(missing)
    before = enrollment.state
    updated = Enrollment.objects.filter(pk=enrollment.pk, version=enrollment.version).update(
        state=to, version=F("version") + 1
    )
    if updated != 1:
        raise ValidationError(_("状态已被他人更改，请刷新后重试。"))
    enrollment.refresh_from_db()
    if name == "submit":
        enrollment.submitted_at = timezone.now()
        enrollment.submitted_by = actor.user
        enrollment.on_behalf_reason = reason.strip() if on_behalf else ""
        enrollment.save(update_fields=["submitted_at", "submitted_by", "on_behalf_reason"])
    if name == "return":
        enrollment.returned_reason = reason
        enrollment.save(update_fields=["returned_reason"])
    if (before in REVIEWED) != (to in REVIEWED):
        unit_refresh(enrollment=enrollment)  # the review score counts from now on (or not)
    extra: dict[str, Any] = {"reason": reason} if reason else {}
    if on_behalf:
        extra["on_behalf"] = True
    audit_record(
        action=f"enrollment.{name}",
        actor=actor.user,
        target=enrollment,
        before={"state": before},
        after={"state": to},
        extra=extra or None,
    )
    if on_behalf:
        _tell_unit_on_behalf(enrollment, reason)
    if name == "submit":
        notices.tell_submitted(enrollment, on_behalf=on_behalf)
    elif name == "return":
        notices.tell_returned(enrollment, reason)
    return enrollment


def _on_behalf(actor: Actor, name: str, who: str, enrollment: Enrollment) -> bool:
    """False when `actor` is who makes the transition `name`, True when they may make it on
    that person's behalf (ON_BEHALF); refused otherwise."""
    if _may(actor, who, enrollment):
        return False
    if name in ON_BEHALF and _may(actor, ON_BEHALF[name], enrollment):
        return True
    raise PermissionDenied(_("您无权进行此操作。"))


def _tell_unit_on_behalf(enrollment: Enrollment, reason: str) -> None:
    notify(
        recipients=unit_people(enrollment.unit_id),
        kind="enrollment.submit_on_behalf",
        title=_("工委已代本单位提交“%(c)s”的自评") % {"c": enrollment.campaign.name},
        body=_("理由：%(r)s") % {"r": reason},
        url=reverse("campaigns:enrollment", args=[enrollment.pk]),
    )


def enrollment_extend(
    *, enrollment: Enrollment, until: Any, actor: Actor, reason: str = ""
) -> Enrollment:
    """A unit-specific deadline extension: the campaign's (bulk) extension for one unit,
    audited, the unit told."""
    administration.enrollments_extend(
        campaign=enrollment.campaign,
        enrollments=[enrollment],
        until=until,
        actor=actor,
        reason=reason,
    )
    enrollment.refresh_from_db()
    return enrollment


# --- self-evaluation ----------------------------------------------------------------------------


def leaf_nodes(enrollment: Enrollment) -> list[IndicatorNode]:
    return published_leaves(enrollment.campaign.indicator_version)


def submission_gaps(
    enrollment: Enrollment, *, done: set[int] | None = None, linked: set[int] | None = None
) -> tuple[list[str], list[str]]:
    """The codes of the leaves still without a self score, and of those still without the
    evidence they require. `done` and `linked`: the ids of the leaves with a self score and
    with evidence, when the caller has read them already."""
    leaves = [n for n in leaf_nodes(enrollment) if n.method_type not in OPTIONAL_IN_SELF]
    if done is None:
        done = set(
            SelfScore.objects.filter(enrollment=enrollment).values_list("node_id", flat=True)
        )
    if linked is None:
        linked = set(
            EvidenceLink.objects.filter(enrollment=enrollment).values_list("node_id", flat=True)
        )
    missing = [n.code for n in leaves if n.pk not in done]
    need = [n.code for n in leaves if n.evidence_required and n.pk not in linked]
    return missing, need


def submission_problems(enrollment: Enrollment) -> list[str]:
    """What is still missing before the self-evaluation can be submitted."""
    missing, need = submission_gaps(enrollment)
    problems = []
    if missing:
        problems.append(
            _("还有 %(n)d 项指标未自评：%(codes)s。")
            % {
                "n": len(missing),
                "codes": "、".join(missing[:10]) + ("……" if len(missing) > 10 else ""),
            }
        )
    if need:
        problems.append(_("以下指标须附佐证材料：%(codes)s。") % {"codes": "、".join(need)})
    return problems


def _leaf_of(enrollment: Enrollment, node: IndicatorNode) -> None:
    """Refuses a node outside the campaign's tree or with children (the tree of a published
    version is read once per process)."""
    version = enrollment.campaign.indicator_version
    if node.version_id != version.pk:
        raise ValidationError(_("该指标不属于本次活动的指标体系。"))
    if all(leaf.pk != node.pk for leaf in published_leaves(version)):
        raise ValidationError(_("只能对末级指标评分。"))


@transaction.atomic
def self_score_save(
    *,
    enrollment: Enrollment,
    node: IndicatorNode,
    value: dict[str, Any],
    narrative: str,
    expected_version: int | None,
    actor: Actor,
) -> SelfScore:
    """Save one leaf's self-evaluation; `expected_version` is the version the form showed
    (None for a first save)."""
    enrollment = Enrollment.objects.select_related("campaign__indicator_version__system").get(
        pk=enrollment.pk
    )
    if not rules.is_unit_admin_of(actor, enrollment.unit_id):
        raise PermissionDenied(_("只有本单位联络员可以填报自评。"))
    locked_check(enrollment)
    _leaf_of(enrollment, node)
    moves = enrollment.state in (S.NOT_STARTED, S.RETURNED)

    def figures() -> None:  # state unchanged: the figures refreshed before the audit entry
        unit_refresh(enrollment=enrollment, loaded=True)  # read above

    record = score_row_save(
        row=ScoreRow(
            model=SelfScore,
            lookup={"enrollment": enrollment, "node": node},
            text_field="narrative",
            writer={"updated_by": actor.user},
            stale=_self_stale,
            missing=_("该项已被删除或尚未保存，请刷新。"),
        ),
        node=node,
        value=value,
        text=narrative,
        expected_version=expected_version,
        action="self_score.save",
        actor=actor,
        before_audit=None if moves else figures,
    )
    if moves:  # the first save: 填报中, then the figures, after the score's entry as before
        enrollment_transition(enrollment=enrollment, to=S.IN_PROGRESS, actor=actor)
        unit_refresh(enrollment=enrollment)
    return record


def _self_stale(existing: SelfScore) -> str:
    return _("该项已被他人于 %(t)s 修改为 %(v)s，您的修改未保存。请刷新后再改。") % {
        "t": timezone.localtime(existing.updated_at).strftime("%H:%M:%S"),
        "v": shown(existing),
    }


# --- review -------------------------------------------------------------------------------------


def _seated(assignment: Assignment, actor: Actor) -> bool:
    group = assignment.group
    return (
        group.leader_id == actor.user.pk or group.seats.filter(reviewer_id=actor.user.pk).exists()
    )


def reviewer_check(assignment: Assignment, actor: Actor) -> None:
    """Refuses a reviewer not seated in the assignment's group, or reviewing their own unit."""
    if not _seated(assignment, actor):
        raise PermissionDenied(_("您不在该单位的评审组中。"))
    unit_id = assignment.enrollment.unit_id
    # the same conflict-of-interest set as the draw: unit roles and the member record
    if unit_id in actor.unit_roles or unit_id in home_units([actor.user.pk])[actor.user.pk]:
        raise PermissionDenied(_("回避：不能评审本人所在单位。"))


def assignment_open_for_scoring(assignment: Assignment, actor: Actor) -> Assignment:
    """The assignment, read afresh, when `actor` may still score it: seated in its group (see
    `reviewer_check`), the unit's self-assessment submitted, their own scores not yet submitted."""
    assignment = Assignment.objects.select_related(
        "group", "enrollment__campaign__indicator_version"
    ).get(pk=assignment.pk)
    reviewer_check(assignment, actor)
    if assignment.enrollment.state != S.SUBMITTED:
        raise ValidationError(_("该单位的自评尚未提交或已完成评审，不能评分。"))
    if ReviewSubmission.objects.filter(assignment=assignment, reviewer=actor.user).exists():
        raise ValidationError(_("您已提交评分，不能再修改。"))
    return assignment


def reviewers_of(assignment: Assignment) -> list[int]:
    seats = list(assignment.group.seats.values_list("reviewer_id", flat=True))
    if assignment.group.leader_id not in seats:
        seats.append(assignment.group.leader_id)
    return seats


@transaction.atomic
def review_score_save(
    *,
    assignment: Assignment,
    node: IndicatorNode,
    value: dict[str, Any],
    comment: str,
    expected_version: int | None,
    actor: Actor,
) -> ReviewScore:
    assignment = assignment_open_for_scoring(assignment, actor)
    enrollment = assignment.enrollment
    _leaf_of(enrollment, node)
    return score_row_save(
        row=ScoreRow(
            model=ReviewScore,
            lookup={"assignment": assignment, "reviewer": actor.user, "node": node},
            text_field="comment",
            stale=_review_stale,
        ),
        node=node,
        value=value,
        text=comment,
        expected_version=expected_version,
        action="review_score.save",
        actor=actor,
    )


def _review_stale(existing: ReviewScore) -> str:
    return _("该项已在另一个窗口修改为 %(v)s，您的修改未保存。请刷新后再改。") % {
        "v": shown(existing)
    }


@transaction.atomic
def review_submit(*, assignment: Assignment, actor: Actor) -> ReviewSubmission:
    assignment = Assignment.objects.select_related(
        "group", "enrollment__campaign__indicator_version"
    ).get(pk=assignment.pk)
    reviewer_check(assignment, actor)
    leaves = leaf_nodes(assignment.enrollment)
    done = set(
        ReviewScore.objects.filter(assignment=assignment, reviewer=actor.user).values_list(
            "node_id", flat=True
        )
    )
    missing = [n.code for n in leaves if n.pk not in done and n.method_type != "bonus"]
    if missing:
        raise ValidationError(
            _("还有 %(n)d 项未评分：%(codes)s。")
            % {"n": len(missing), "codes": "、".join(missing[:10])}
        )
    submission, created = ReviewSubmission.objects.get_or_create(
        assignment=assignment, reviewer=actor.user
    )
    if created:
        audit_record(action="review.submit", actor=actor.user, target=assignment)
        if assignment.enrollment.state == S.SUBMITTED and _all_submitted(assignment):
            notices.tell_consolidation_needed(assignment)
    return submission


def _all_submitted(assignment: Assignment) -> bool:
    done = set(
        ReviewSubmission.objects.filter(assignment=assignment).values_list("reviewer_id", flat=True)
    )
    return set(reviewers_of(assignment)) <= done


def may_see_other_reviewers(assignment: Assignment, actor: Actor) -> bool:
    """Independent review: others' scores stay hidden until one's own are submitted."""
    return ReviewSubmission.objects.filter(assignment=assignment, reviewer=actor.user).exists()


@transaction.atomic
def visit_record(
    *,
    assignment: Assignment,
    visited_on: Any,
    place: str,
    people_met: str,
    notes: str,
    actor: Actor,
) -> Visit:
    reviewer_check(assignment, actor)
    visit = Visit.objects.create(
        assignment=assignment,
        visited_on=visited_on,
        place=place,
        people_met=people_met,
        notes=notes,
        recorded_by=actor.user,
    )
    audit_record(
        action="review.visit",
        actor=actor.user,
        target=visit,
        after={"visited_on": str(visited_on), "place": place},
    )
    return visit


@transaction.atomic
def finding_add(
    *,
    assignment: Assignment,
    text: str,
    actor: Actor,
    node: IndicatorNode | None = None,
    is_problem: bool = False,
) -> Finding:
    reviewer_check(assignment, actor)
    if node is not None:
        _leaf_of(assignment.enrollment, node)
    finding = Finding.objects.create(
        assignment=assignment, node=node, text=text, is_problem=is_problem, created_by=actor.user
    )
    audit_record(
        action="review.finding",
        actor=actor.user,
        target=finding,
        after={"text": text, "is_problem": is_problem, "node": node.code if node else None},
    )
    return finding


def consolidation_preview(assignment: Assignment) -> list[dict[str, Any]]:
    """Per leaf: every reviewer's score, their mean (or common level), the spread and whether
    the leader must decide."""
    enrollment = assignment.enrollment
    spread_limit = enrollment.campaign.review_spread
    by_node: dict[int, list[ReviewScore]] = {}
    for score in ReviewScore.objects.filter(assignment=assignment).order_by("reviewer_id"):
        by_node.setdefault(score.node_id, []).append(score)
    rows = []
    for node in leaf_nodes(enrollment):
        scores = by_node.get(node.pk, [])
        found = consensus([(s.score, s.level, s.veto) for s in scores], node.method, spread_limit)
        rows.append(
            {
                "node": node,
                "scores": scores,
                "mean": found.mean,
                "spread": found.spread,
                "level": found.level,
                "veto": found.veto,
                "flagged": found.flagged,
            }
        )
    return rows


def _decided(
    node: IndicatorNode, decision: dict[str, Any], score: Any, level: str, veto: bool
) -> tuple[Any, str, bool]:
    """A flagged leaf's figures as the group leader decided them (a Chinese error for a score
    that is not a number between 0 and the leaf's points)."""
    if "score" in decision and decision["score"] not in (None, ""):
        try:
            score = Decimal(str(decision["score"]))
        except InvalidOperation:
            score = Decimal("NaN")
        if not score.is_finite():
            raise ValidationError(_("%(c)s 的裁定分应为数字。") % {"c": node.code})
        score = q(score)  # stored, shown and audited with two decimals
        if node.points is not None and not Decimal(0) <= score <= node.points:
            raise ValidationError(
                _("%(c)s 的裁定分应在 0 到 %(p)s 之间。") % {"c": node.code, "p": node.points}
            )
    if decision.get("level"):
        level = str(decision["level"])
    if "veto" in decision:
        veto = bool(decision["veto"])
    return score, level, veto


@transaction.atomic
def consolidate(
    *, assignment: Assignment, actor: Actor, decisions: dict[int, dict[str, Any]] | None = None
) -> list[ConsolidatedScore]:
    """The group leader consolidates: the mean of the reviewers by default; a flagged leaf needs
    the leader's decision (`decisions[node_id] = {"score"|"level"|"veto", "reason"}`)."""
    assignment = Assignment.objects.select_related(
        "group", "enrollment__campaign__indicator_version"
    ).get(pk=assignment.pk)
    if assignment.group.leader_id != actor.user.pk:
        raise PermissionDenied(_("只有评审组长可以汇总。"))
    if assignment.enrollment.state != S.SUBMITTED:
        raise ValidationError(_("该单位不在待汇总状态（已汇总或尚未提交自评）。"))
    pending = set(reviewers_of(assignment)) - set(
        ReviewSubmission.objects.filter(assignment=assignment).values_list("reviewer_id", flat=True)
    )
    if pending:
        raise ValidationError(_("还有 %(n)d 位评审员未提交评分。") % {"n": len(pending)})
    decisions = decisions or {}
    rows = consolidation_preview(assignment)
    problems = []
    made = []
    ConsolidatedScore.objects.filter(enrollment=assignment.enrollment).delete()
    for row in rows:
        node = row["node"]
        decision = decisions.get(node.pk)
        score, level, veto, reason = row["mean"], row["level"], row["veto"], ""
        if row["flagged"]:
            if not decision or not str(decision.get("reason", "")).strip():
                problems.append(node.code)
                continue
            reason = str(decision["reason"])
            score, level, veto = _decided(node, decision, score, level, veto)
        made.append(
            ConsolidatedScore(
                enrollment=assignment.enrollment,
                node=node,
                score=score,
                level=level,
                veto=veto,
                mean=row["mean"],
                spread=row["spread"],
                flagged=row["flagged"],
                reason=reason,
                decided_by=actor.user,
            )
        )
    if problems:
        raise ValidationError(
            _("以下指标评审员意见差异较大，须由组长裁定并写明理由：%(c)s。")
            % {"c": "、".join(problems)}
        )
    ConsolidatedScore.objects.bulk_create(made)
    audit_record(
        action="review.consolidate",
        actor=actor.user,
        target=assignment,
        after={c.node.code: shown(c) for c in made},
        extra={
            "leaves": len(made),
            "flagged": [c.node.code for c in made if c.flagged],
            "decisions": {str(k): v for k, v in decisions.items()},
        },
    )
    enrollment_transition(enrollment=assignment.enrollment, to=S.REVIEWED, actor=actor)
    return made
