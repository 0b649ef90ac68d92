"""约谈 records: the committee admin records a 约谈; the points raised go on the unit's problem
list."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.organizations.models import Unit
from mofan.rectification.models import ProblemSource
from mofan.rectification.services import problem_item_create
from mofan.supervision.common import require_committee_admin, today_or
from mofan.supervision.ledger.common import INTERVIEW_ORIGIN, rectify_deadline
from mofan.supervision.models import Escalation, Interview, LedgerItem


@transaction.atomic
def interview_create(
    *,
    unit: Unit,
    interviewer: str,
    interviewee: str,
    held_on: datetime.date,
    points: str,
    actor: Actor,
    commitments: str = "",
    rectify_by: datetime.date | None = None,
    ledger_item: LedgerItem | None = None,
    today: datetime.date | None = None,
) -> Interview:
    """Record a 约谈 (the committee admin). The points raised become an item on the unit's
    problem list (due `rectify_by`, else in 30 days); a linked ledger item at 需约谈 level gets
    an audited record that the 约谈 took place."""
    require_committee_admin(actor, unit.committee_id, _("只有本工委管理员可以登记约谈。"))
    day = today_or(today)
    if not interviewer.strip() or not interviewee.strip():
        raise ValidationError(_("请填写约谈人和被约谈人。"))
    if not points.strip():
        raise ValidationError(_("请填写约谈指出的问题。"))
    if held_on > day:
        raise ValidationError(_("约谈日期不能晚于今天：请在约谈后登记。"))
    if rectify_by is not None and rectify_by < held_on:
        raise ValidationError(_("整改时限不能早于约谈日期。"))
    if ledger_item is not None and ledger_item.unit_id != unit.pk:
        raise ValidationError(_("所选督办事项不属于该单位。"))
    interview = Interview.objects.create(
        committee_id=unit.committee_id,
        unit=unit,
        ledger_item=ledger_item,
        interviewer=interviewer.strip(),
        interviewee=interviewee.strip(),
        held_on=held_on,
        points=points.strip(),
        commitments=commitments.strip(),
        rectify_by=rectify_by,
        recorded_by=actor.user,
    )
    deadline = rectify_deadline(rectify_by, day)
    problem = problem_item_create(
        unit=unit,
        source=ProblemSource.INTERVIEW,
        description=interview.points,
        deadline=deadline,
        actor=actor,
        required_measures=interview.commitments,
        responsible_person=interview.interviewee[:50],
        origin=(INTERVIEW_ORIGIN, interview.pk),
    )
    audit_record(
        action="interview.create",
        actor=actor.user,
        target=interview,
        after={
            "unit": unit.pk,
            "ledger_item": ledger_item.pk if ledger_item else None,
            "interviewer": interview.interviewer,
            "interviewee": interview.interviewee,
            "held_on": held_on.isoformat(),
            "rectify_by": rectify_by.isoformat() if rectify_by else None,
            "problem_item": problem.pk,
        },
    )
    if ledger_item is not None and ledger_item.escalation == Escalation.INTERVIEW:
        audit_record(
            action="ledger.interview_held",
            actor=actor.user,
            target=ledger_item,
            after={"interview": interview.pk, "held_on": held_on.isoformat()},
        )
    return interview
