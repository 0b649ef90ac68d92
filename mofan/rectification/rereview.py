"""Re-review (复核) of a failing unit once its problem list is closed.

Life of a re-review (one state-transition function, `rereview_transition`):

    WAITING ──(system: every item behind it closed, `rereview_on_item_closed`)──▶ OPEN
    OPEN ──(the unit's review-group leader submits; `after` is computed)──▶ SUBMITTED
    SUBMITTED ──(committee admin approves: `after` replaces the unit's result)──▶ APPROVED
    SUBMITTED ──(committee admin rejects with a reason: the result stays)──▶ REJECTED
    WAITING / OPEN / SUBMITTED ──(system: the re-approved result no longer fails)──▶ REJECTED
    WAITING / OPEN ──(committee admin ends rectification with a reason; rounds 2+)──▶ CLOSED

Rounds: rectification ends only when the unit passes. When the committee approves a re-review
whose result still fails, or rejects one (the failing result stays), the unit gets a new round
(`round` + 1): its leaves still below their pass mark go onto its list again and a new waiting
re-review follows them (`auto.next_round`, on `events.rereview_decided`). The committee may end a
later round instead, with a recorded reason (`close`).

Documented choices
------------------
* Who re-scores: the review group the unit was assigned to (its leader and members), the same
  conflict-of-interest rule as the review. The group gives one score per indicator (any member
  may save it; optimistic locking keeps two members from overwriting each other silently); the
  leader submits.
* What is re-scored: only the indicators behind the unit's automatic items (`node_ids`), never a
  veto indicator; every other leaf keeps its consolidated score.
* The new result (`after`) is the same pure figures code as approval
  (`evaluations.figures.unit.unit_figures_with`) for this unit, with the re-review's scores in
  place of the consolidated scores of those leaves. The consolidated scores themselves are kept: the
  original stays traceable and `before`/`after` hold both results.
* On approval the unit's composite, review total, type scores, level counts and grade are
  replaced (version bumped, audited with before and after). The rank and the advanced honour
  stay as first approved: they were decided over the whole field at approval, and a unit that
  failed does not become an advanced unit through rectification.
* A vetoed unit gets no re-review at all (see `auto.py`): a veto is not fixed by re-scoring.
* If the committee reopens and re-approves the campaign's result, an approved re-review is
  applied again on top of the new consolidated scores (`rereview_reapply`), so reopening never
  silently undoes it; an undecided one is withdrawn when the unit no longer fails.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import EnrollmentState
from mofan.core.sorting import rank
from mofan.evaluations.figures.results import result_replace
from mofan.evaluations.models import Assignment, UnitResult
from mofan.evaluations.score_write import ScoreRow, score_row_save, shown
from mofan.evaluations.services import reviewer_check
from mofan.indicators.models import IndicatorNode
from mofan.notifications.recipients import committee_people, unit_people
from mofan.notifications.services import notify
from mofan.rectification import events
from mofan.rectification.models import (
    ProblemItem,
    ProblemSource,
    ProblemState,
    ReReview,
    ReReviewScore,
    ReReviewState,
)
from mofan.rectification.rereview_figures import (
    consolidated_values,
    rereview_outcome,
    result_snapshot,
)

R = ReReviewState

# The automatic items (auto.py) that a re-review waits for: source "考评不达标", made from a review
# finding or from the unit's result (its lowest-scoring leaves).
AUTO_SOURCE = ProblemSource.RESULT
FINDING_ORIGIN = "evaluations.finding"
RESULT_ORIGIN = "evaluations.unitresult"
REREVIEW_ORIGIN = "rectification.rereview"  # the items of a second or later round
AUTO_ORIGINS = (FINDING_ORIGIN, RESULT_ORIGIN, REREVIEW_ORIGIN)
NOT_RESCORED = ("veto",)  # scoring methods a re-review never re-scores

# (from, to): (name, who may do it)
TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (R.OPEN, R.SUBMITTED): ("submit", "group_leader"),
    (R.SUBMITTED, R.APPROVED): ("approve", "committee_admin"),
    (R.SUBMITTED, R.REJECTED): ("reject", "committee_admin"),
    (R.WAITING, R.CLOSED): ("close", "committee_admin"),
    (R.OPEN, R.CLOSED): ("close", "committee_admin"),
}
# Transitions the system makes on its own (`system=True`), never offered on a page.
SYSTEM_TRANSITIONS: dict[tuple[str, str], str] = {
    (R.WAITING, R.OPEN): "open",
    (R.WAITING, R.REJECTED): "withdraw",
    (R.OPEN, R.REJECTED): "withdraw",
    (R.SUBMITTED, R.REJECTED): "withdraw",
}
UNDECIDED = (R.WAITING, R.OPEN, R.SUBMITTED)


# --- reads ------------------------------------------------------------------------------------

# The list's column sorts (see `mofan.core.sorting`): newest first unless asked otherwise.
SORTS = {
    "created": ("created_at",),
    "unit": ("enrollment__unit__sort_order", "enrollment__unit_id", "-created_at"),
    "campaign": (
        "enrollment__campaign__year",
        "enrollment__campaign__name",
        "enrollment__campaign_id",
        "-created_at",
    ),
    "state": (rank("state", R.values).asc(), "-created_at"),
}
DEFAULT_SORT = "-created"


def rereviews_for(actor: Actor) -> QuerySet[ReReview]:
    """Re-reviews the actor may see: committee staff all of their committee's; a unit's admin
    and leader their own unit's; a reviewer those of units assigned to a group he leads or sits
    in. Nobody else any."""
    condition = Q(pk__in=[])
    committees = actor.committees_with(*COMMITTEE_STAFF)
    if committees:
        condition |= Q(enrollment__campaign__committee_id__in=committees)
    units = actor.units_with(*UNIT_READERS)
    if units:
        condition |= Q(enrollment__unit_id__in=units)
    if rules.is_reviewer(actor):
        user_id = actor.user.pk
        condition |= Q(
            enrollment_id__in=Assignment.objects.filter(
                Q(group__leader_id=user_id) | Q(group__seats__reviewer_id=user_id)
            ).values("enrollment_id")
        )
    return ReReview.objects.filter(condition)


def tied_items(rereview: ReReview) -> QuerySet[ProblemItem]:
    """The automatic items the re-review waits for until all are closed: the first round's are
    the unit's items made at approval, a later round's those made for it."""
    enrollment = rereview.enrollment
    items = ProblemItem.objects.filter(
        campaign_id=enrollment.campaign_id, unit_id=enrollment.unit_id, source=AUTO_SOURCE
    )
    if rereview.round > 1:
        return items.filter(origin_type=REREVIEW_ORIGIN, origin_id=rereview.pk)
    return items.filter(origin_type__in=(FINDING_ORIGIN, RESULT_ORIGIN))


def assignment_of(rereview: ReReview) -> Assignment | None:
    return (
        Assignment.objects.filter(enrollment_id=rereview.enrollment_id)
        .select_related("group", "enrollment")
        .first()
    )


def group_people(assignment: Assignment | None) -> list[User]:
    if assignment is None:
        return []
    group = assignment.group
    ids = set(group.seats.values_list("reviewer_id", flat=True)) | {group.leader_id}
    return list(User.objects.filter(pk__in=ids, is_active=True))


def may_score(rereview: ReReview, assignment: Assignment | None, actor: Actor) -> bool:
    if assignment is None or rereview.state != R.OPEN:
        return False
    try:
        reviewer_check(assignment, actor)
    except PermissionDenied:
        return False
    return True


def may_submit(rereview: ReReview, assignment: Assignment | None, actor: Actor) -> bool:
    return (
        may_score(rereview, assignment, actor)
        and assignment is not None
        and assignment.group.leader_id == actor.user.pk
    )


def may_decide(rereview: ReReview, actor: Actor) -> bool:
    return rereview.state == R.SUBMITTED and rereview.enrollment.campaign.committee_id in (
        actor.committees_with(Role.COMMITTEE_ADMIN)
    )


def may_close(rereview: ReReview, actor: Actor) -> bool:
    """A later round (2+) not yet submitted may be ended by the committee admin."""
    return (
        rereview.round > 1
        and rereview.state in (R.WAITING, R.OPEN)
        and rereview.enrollment.campaign.committee_id in actor.committees_with(Role.COMMITTEE_ADMIN)
    )


# --- writes -------------------------------------------------------------------------------------


def _url(rereview: ReReview) -> str:
    return reverse("rectification:rereview_detail", args=[rereview.pk])


@transaction.atomic
def rereview_create(
    *, enrollment: Any, result: UnitResult, node_ids: list[int], round: int = 1
) -> ReReview | None:
    """A waiting re-review of `node_ids` for a failing unit (the system; called by auto.py in
    the approval's transaction, or for a later round after a failing 复核). Nothing to re-score,
    nothing made."""
    if not node_ids:
        return None
    node_ids = sorted(set(node_ids))
    rereview = ReReview.objects.create(
        enrollment=enrollment,
        round=round,
        node_ids=node_ids,
        before={
            **result_snapshot(result),
            "nodes": consolidated_values(enrollment.pk, node_ids),
        },
    )
    audit_record(
        action="rereview.create",
        actor_name="system",
        target=rereview,
        committee_id=enrollment.campaign.committee_id,
        after={
            "state": rereview.state,
            "nodes": node_ids,
            "grade": result.grade,
            "round": rereview.round,
        },
    )
    return rereview


def _write_result(
    *, rereview: ReReview, after: dict[str, Any], action: str, actor: User | None
) -> UnitResult:
    """Replace the unit's result by `after` (composite, review total, type scores, level counts,
    grade; `figures.results.result_replace`); rank, advanced and veto stay. Audited."""
    result = UnitResult.objects.get(enrollment_id=rereview.enrollment_id)
    before = result_snapshot(result)
    result = result_replace(result=result, after=after)
    audit_record(
        action=action,
        actor=actor,
        actor_name="" if actor else "system",
        target=result,
        committee_id=rereview.enrollment.campaign.committee_id,
        before=before,
        after=result_snapshot(result),
        extra={"rereview": rereview.pk},
    )
    return result


def _check_transition(
    rereview: ReReview, to: str, actor: Actor | None, system: bool
) -> tuple[str, str]:
    key = (rereview.state, to)
    if system:
        if key not in SYSTEM_TRANSITIONS:
            raise ValidationError(_("复核状态不能这样变更。"))
        return SYSTEM_TRANSITIONS[key], "system"
    if key not in TRANSITIONS:
        raise ValidationError(
            _("复核不能从“%(a)s”变为“%(b)s”。") % {"a": R(rereview.state).label, "b": R(to).label}
        )
    name, who = TRANSITIONS[key]
    if actor is None:
        raise PermissionDenied(_("您无权进行此操作。"))
    if who == "committee_admin":
        allowed = rereview.enrollment.campaign.committee_id in actor.committees_with(
            Role.COMMITTEE_ADMIN
        )
    else:
        allowed = may_submit(rereview, assignment_of(rereview), actor)
    if not allowed:
        raise PermissionDenied(_("您无权进行此操作。"))
    return name, who


def _preconditions(rereview: ReReview, name: str, reason: str) -> dict[str, Any]:
    """What a transition needs before it saves; returns the fields it changes besides the
    state (the outcome on submit, the result as it stood on approval)."""
    enrollment = rereview.enrollment
    changes: dict[str, Any] = {}
    if name == "open":
        if tied_items(rereview).exclude(state=ProblemState.CLOSED).exists():
            raise ValidationError(_("该单位的问题清单尚未全部销号，不能开始复核。"))
    elif name == "submit":
        done = set(
            ReReviewScore.objects.filter(rereview=rereview).values_list("node_id", flat=True)
        )
        missing = [pk for pk in rereview.node_ids if pk not in done]
        if missing:
            codes = IndicatorNode.objects.filter(pk__in=missing).order_by("order")
            raise ValidationError(
                _("还有 %(n)d 项指标未复核评分：%(c)s。")
                % {"n": len(missing), "c": "、".join(n.code for n in codes)}
            )
        changes["after"] = rereview_outcome(rereview)
    elif name == "approve":
        result = UnitResult.objects.filter(enrollment=enrollment).first()
        if enrollment.state != EnrollmentState.APPROVED or result is None or not result.frozen:
            raise ValidationError(_("该单位的考评结果已重新打开，请先完成审定再批准复核。"))
        changes["before"] = {**rereview.before, **result_snapshot(result)}
    elif name in ("reject", "withdraw") and not reason.strip():
        raise ValidationError(_("请写明不予批准的理由。"))
    elif name == "close":
        if rereview.round < 2:
            raise ValidationError(_("第一轮整改复核不能由工委直接结束。"))
        if not reason.strip():
            raise ValidationError(_("请写明结束整改的理由。"))
    return changes


@transaction.atomic
def rereview_transition(
    *,
    rereview: ReReview,
    to: str,
    actor: Actor | None,
    reason: str = "",
    expected_version: int | None = None,
    system: bool = False,
) -> ReReview:
    """The one state-transition function of a re-review: checks the transition, who may make it
    and its preconditions, saves (optimistic `version`), audits and notifies.

    `system=True` is for the transitions the system makes itself (opening once every item is
    closed, withdrawing when a re-approved result no longer fails); `actor` is then whoever
    caused it (it may be None)."""
    rereview = ReReview.objects.select_related(
        "enrollment__campaign__indicator_version__system", "enrollment__unit"
    ).get(pk=rereview.pk)
    if expected_version is not None and expected_version != rereview.version:
        raise ValidationError(_("复核已被他人更改，请刷新后重试。"))
    name, _who = _check_transition(rereview, to, actor, system)
    enrollment = rereview.enrollment
    changes = _preconditions(rereview, name, reason)
    if name in ("approve", "reject", "withdraw", "close"):
        changes.update(
            reason=reason.strip(),
            decided_by=actor.user if actor is not None else None,
            decided_at=timezone.now(),
        )
    before_state = rereview.state
    updated = ReReview.objects.filter(pk=rereview.pk, version=rereview.version).update(
        state=to, version=F("version") + 1, **changes
    )
    if updated != 1:
        raise ValidationError(_("复核已被他人更改，请刷新后重试。"))
    rereview.state = to
    rereview.version += 1
    for field, value in changes.items():
        setattr(rereview, field, value)
    user = actor.user if actor is not None else None
    if name == "approve":
        _write_result(rereview=rereview, after=rereview.after, action="result.rereview", actor=user)
    audit_record(
        action=f"rereview.{name}",
        actor=user,
        actor_name="" if user else "system",
        target=rereview,
        committee_id=enrollment.campaign.committee_id,
        before={
            "state": before_state,
            **({"result": rereview.before} if name == "approve" else {}),
        },
        after={
            "state": to,
            **({"result": rereview.after} if name in ("submit", "approve") else {}),
        },
        extra={"reason": rereview.reason} if rereview.reason else None,
    )
    _notify(rereview, name)
    if name in ("approve", "reject"):
        # Still failing? A new round (auto.next_round), in this transaction.
        events.rereview_decided.send(sender=ReReview, rereview=rereview, actor=actor)
    return rereview


def _notify(rereview: ReReview, name: str) -> None:
    enrollment = rereview.enrollment
    unit = enrollment.unit.name
    url = _url(rereview)
    key = f"rereview:{rereview.pk}:{name}:{rereview.version}"
    if name == "open":
        notify(
            recipients=group_people(assignment_of(rereview)),
            kind="rereview.open",
            title=_("请复核：%(u)s") % {"u": unit},
            body=_("%(u)s 的问题清单已全部销号，请评审组对相关指标进行复核评分，由组长提交。")
            % {"u": unit},
            url=url,
            key=key,
        )
    elif name == "submit":
        notify(
            recipients=committee_people(enrollment.campaign.committee_id),
            kind="rereview.submitted",
            title=_("复核结果待批准：%(u)s") % {"u": unit},
            body=_("复核后等次：%(g)s。") % {"g": rereview.after.get("grade", "")},
            url=url,
            key=key,
        )
    else:
        assignment = assignment_of(rereview)
        leader = [assignment.group.leader] if assignment is not None else []
        titles = {
            "approve": _("复核结果已批准：%(u)s"),
            "reject": _("复核结果未予批准：%(u)s"),
            "withdraw": _("复核已撤销：%(u)s"),
            "close": _("工委决定结束整改：%(u)s"),
        }
        notify(
            recipients=[*unit_people(enrollment.unit_id), *leader],
            kind="rereview.decided",
            title=titles[name] % {"u": unit},
            body=rereview.reason,
            url=url,
            key=key,
        )


@transaction.atomic
def rereview_score_save(
    *,
    rereview: ReReview,
    node: IndicatorNode,
    value: dict[str, Any],
    comment: str,
    expected_version: int | None,
    actor: Actor,
) -> ReReviewScore:
    """The review group's re-review score of one node; `expected_version` is the version the
    form showed (None for a first save)."""
    rereview = ReReview.objects.select_related("enrollment__campaign").get(pk=rereview.pk)
    assignment = assignment_of(rereview)
    if assignment is None:
        raise PermissionDenied(_("您不在该单位的评审组中。"))
    reviewer_check(assignment, actor)  # seated in the group, and not the reviewer's own unit
    if rereview.state != R.OPEN:
        raise ValidationError(_("复核尚未开始或已提交，不能评分。"))
    if node.pk not in rereview.node_ids:
        raise ValidationError(_("该指标不在本次复核范围内。"))
    return score_row_save(
        row=ScoreRow(
            model=ReReviewScore,
            lookup={"rereview": rereview, "node": node},
            text_field="comment",
            writer={"scored_by": actor.user},
            stale=_stale,
            with_veto=False,
            audit_committee_id=rereview.enrollment.campaign.committee_id,
        ),
        node=node,
        value=value,
        text=comment,
        expected_version=expected_version,
        action="rereview.score",
        actor=actor,
    )


def _stale(existing: ReReviewScore) -> str:
    return _("该项已被 %(who)s 修改为 %(v)s，您的修改未保存。请刷新后再改。") % {
        "who": existing.scored_by.full_name,
        "v": shown(existing),
    }


def rereview_on_item_closed(*, item: ProblemItem, actor: Actor | None) -> ReReview | None:
    """Open the unit's waiting re-review once every item behind it is closed.

    Called by the problem-item transition function inside its transaction, after it has saved
    the item as closed (销号). Items that are not automatic items of a campaign are ignored."""
    if (
        item.campaign_id is None
        or item.source != AUTO_SOURCE
        or item.origin_type not in AUTO_ORIGINS
    ):
        return None
    rereview = (
        ReReview.objects.filter(
            enrollment__campaign_id=item.campaign_id,
            enrollment__unit_id=item.unit_id,
            state=R.WAITING,
        )
        .select_related("enrollment")
        .order_by("-pk")
        .first()
    )
    if rereview is None or tied_items(rereview).exclude(state=ProblemState.CLOSED).exists():
        return None
    return rereview_transition(rereview=rereview, to=R.OPEN, actor=actor, system=True)


@transaction.atomic
def rereview_reapply(*, rereview: ReReview) -> UnitResult:
    """After the committee reopened and re-approved a result whose re-review had been approved:
    apply the re-review again on top of the new consolidated scores (the system, audited)."""
    rereview = ReReview.objects.select_related("enrollment__campaign").get(pk=rereview.pk)
    after = rereview_outcome(rereview)
    ReReview.objects.filter(pk=rereview.pk).update(after=after, version=F("version") + 1)
    rereview.refresh_from_db()
    return _write_result(
        rereview=rereview, after=after, action="result.rereview_reapply", actor=None
    )


@transaction.atomic
def rereview_refresh(*, rereview: ReReview, result: UnitResult, node_ids: list[int]) -> ReReview:
    """After a re-approval of a still failing unit: the undecided re-review's `before` is the new
    result; a waiting one also covers any new items' nodes; a submitted one's `after` is computed
    again on the new consolidated scores (so the committee approves what would be applied)."""
    rereview = ReReview.objects.select_related("enrollment__campaign").get(pk=rereview.pk)
    if rereview.state == R.WAITING:
        rereview.node_ids = sorted(set(rereview.node_ids) | set(node_ids))
    rereview.before = {
        **result_snapshot(result),
        "nodes": consolidated_values(rereview.enrollment_id, rereview.node_ids),
    }
    if rereview.state == R.SUBMITTED:
        rereview.after = rereview_outcome(rereview)
    ReReview.objects.filter(pk=rereview.pk).update(
        node_ids=rereview.node_ids,
        before=rereview.before,
        after=rereview.after,
        version=F("version") + 1,
    )
    audit_record(
        action="rereview.refresh",
        actor_name="system",
        target=rereview,
        committee_id=rereview.enrollment.campaign.committee_id,
        after={"nodes": rereview.node_ids, "grade": result.grade},
    )
    rereview.refresh_from_db()
    return rereview
