"""Where a unit's self-evaluation stands on its way to submission, as the unit's people see it:
what still blocks it, who may submit it, and whether the person looking may (issue 14: a
liaison at 53/53 must never face a page without a button and without a reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations.services import deadline_passed, submission_gaps

S = EnrollmentState


@dataclass
class SubmissionStatus:
    state: str
    state_label: str
    submitted: bool  # no longer with the unit (submitted, in review, approved), not withdrawn
    deadline: datetime | None
    deadline_passed: bool
    blockers: list[str] = field(default_factory=list)
    unfilled: list[str] = field(default_factory=list)  # codes of leaves without a self score
    need_evidence: list[str] = field(default_factory=list)  # codes still lacking evidence
    leaders: list[str] = field(default_factory=list)  # the unit's 单位领导 accounts, by name
    blocked: bool = False  # anything at all in the way (the lists above)
    is_leader: bool = False
    can_submit: bool = False
    submitted_at: datetime | None = None
    submitted_by: str = ""
    submitted_on_behalf: bool = False  # by the committee, not by one of the unit's leaders
    on_behalf_reason: str = ""  # the committee's reason for submitting on the unit's behalf


def _deadline(enrollment: Enrollment) -> datetime | None:
    deadline = enrollment.campaign.submission_deadline
    extended = enrollment.extended_until
    if extended and (deadline is None or extended > deadline):
        return extended
    return deadline


def _state_blocker(enrollment: Enrollment) -> str:
    if enrollment.state == S.NOT_STARTED:
        return _("尚未开始填报：联络员保存第一项自评后即可继续。")
    if enrollment.state == S.RETURNED:
        return _("自评已被工委退回，修改并保存任一项后可重新提交。")
    if enrollment.state == S.WITHDRAWN:
        return _("本单位已退出本活动，不能再填报或提交。")
    return ""


def submission_status(
    enrollment: Enrollment,
    actor: Actor,
    *,
    done: set[int] | None = None,
    linked: set[int] | None = None,
) -> SubmissionStatus:
    """The submission block of the unit's pages. `enrollment` with its campaign loaded;
    `done`, `linked`: as `submission_gaps` takes them."""
    leaders = User.objects.filter(
        is_active=True,
        role_assignments__unit_id=enrollment.unit_id,
        role_assignments__role=Role.UNIT_LEADER,
    ).distinct()
    status = SubmissionStatus(
        state=enrollment.state,
        state_label=str(S(enrollment.state).label),
        submitted=enrollment.state not in (S.NOT_STARTED, S.IN_PROGRESS, S.RETURNED, S.WITHDRAWN),
        deadline=_deadline(enrollment),
        deadline_passed=deadline_passed(enrollment),
        leaders=[u.full_name or u.username for u in leaders.order_by("full_name")],
        is_leader=rules.is_unit_leader_of(actor, enrollment.unit_id),
    )
    if status.submitted:
        status.submitted_at = enrollment.submitted_at
        by = enrollment.submitted_by
        status.submitted_by = (by.full_name or by.username) if by else ""
        status.submitted_on_behalf = (
            by is not None
            and not by.role_assignments.filter(
                unit_id=enrollment.unit_id, role=Role.UNIT_LEADER
            ).exists()
        )
        status.on_behalf_reason = enrollment.on_behalf_reason
        return status
    blockers = [_state_blocker(enrollment)] if enrollment.state != S.IN_PROGRESS else []
    if enrollment.state == S.WITHDRAWN:
        status.blockers, status.blocked = blockers, True
        return status
    status.unfilled, status.need_evidence = submission_gaps(enrollment, done=done, linked=linked)
    if status.deadline_passed:
        blockers.append(_("已过提交截止时间；如需延期请联系工委。"))
    if not status.leaders:
        blockers.append(_("本单位尚无单位领导账号，请联系工委开通，或由工委代为提交。"))
    status.blockers = [b for b in blockers if b]
    status.blocked = bool(status.blockers or status.unfilled or status.need_evidence)
    status.can_submit = status.is_leader and not status.blocked
    return status
