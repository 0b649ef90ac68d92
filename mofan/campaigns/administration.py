"""Campaign administration after creation (issue 14 point 2): the committee admin edits a
campaign's settings and phase dates, adds units or withdraws one before it submits (kept as
已退出, and may take it back), extends the
deadline for several units at once and deletes a campaign still in draft.

Every write checks the committee admin, runs in one transaction and audits the changed fields
with their values before and after; the units whose dates change are told (`campaign.dates`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, ProtectedError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record, audit_record_many
from mofan.campaigns import events
from mofan.campaigns.models import (
    Cadence,
    Campaign,
    CampaignStatus,
    Enrollment,
    EnrollmentState,
    Phase,
    QuotaTiePolicy,
)
from mofan.indicators.models import IndicatorVersion
from mofan.notifications.recipients import units_people
from mofan.notifications.services import Draft, notify, notify_many
from mofan.organizations.models import Unit

S = EnrollmentState
# A unit may be withdrawn, or its deadline extended, while the self-evaluation is with it.
BEFORE_SUBMISSION = (S.NOT_STARTED, S.IN_PROGRESS)
EXTENDABLE = (S.NOT_STARTED, S.IN_PROGRESS, S.RETURNED)
# The settings `campaign_update` changes; the scoring ones are frozen once a result is approved.
TEXT_FIELDS = ("name", "document_title", "approved_by", "document_number")
SETTING_FIELDS = (
    *TEXT_FIELDS,
    "cadence",
    "cycle_start_year",
    "submission_deadline",
    "composite_weights",
    "honours_quota",
    "tie_policy",
)
SCORING_FIELDS = ("composite_weights", "honours_quota", "tie_policy")


def _check_admin(actor: Actor, campaign: Campaign) -> None:
    if not rules.administers(actor, campaign.committee_id):
        raise PermissionDenied(_("只有本工委管理员可以管理创建活动。"))


def _check_open(campaign: Campaign) -> None:
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("活动已结束，不能再修改。"))


def cadence_of(version: IndicatorVersion) -> str:
    """The cadence a template gives: 岳阳 continuous, 忻州 in phases, 焦作 (and a template
    saying nothing) one evaluation a year."""
    system = version.system
    if system.cadence == "continuous":
        return Cadence.CONTINUOUS
    if system.phases:
        return Cadence.PHASED
    return Cadence.ANNUAL


def cycle_start_of(version: IndicatorVersion, year: int) -> int | None:
    """For a template with 三年一总评 (焦作), the first year of the three-year cycle that `year`
    falls in, counted from the template's own year; None otherwise."""
    system = version.system
    if "三年一总评" not in (system.cadence or ""):
        return None
    first = system.year or year
    return year - (year - first) % 3 if year >= first else year


def _shown(value: Any) -> Any:
    """A value as the audit entry records it (JSON)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal as settings: 1, "1" and 1.00 are one weight; 0.2 and 0.200 one quota."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(Decimal(str(a[k])), b[k]) for k in a)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a is not None and b is not None and Decimal(str(a)) == Decimal(str(b))
    return bool(a == b)


def _validate(campaign: Campaign, new: dict[str, Any]) -> None:
    if "name" in new and not str(new["name"]).strip():
        raise ValidationError(_("请填写活动名称。"))
    if "cadence" in new and new["cadence"] not in Cadence.values:
        raise ValidationError(_("无效的考评节奏。"))
    if "tie_policy" in new and new["tie_policy"] not in QuotaTiePolicy.values:
        raise ValidationError(_("无效的并列处理方式。"))
    if "honours_quota" in new and not Decimal(0) <= Decimal(str(new["honours_quota"])) <= 1:
        raise ValidationError(_("先进单位比例应在 0 与 1 之间。"))
    weights = new.get("composite_weights")
    if weights is not None and sum(Decimal(str(v)) for v in weights.values()) <= 0:
        raise ValidationError(_("权重之和应大于 0。"))
    if set(new) & set(SCORING_FIELDS) and campaign.enrollments.filter(state=S.APPROVED).exists():
        raise ValidationError(_("已有单位的结果审定，不能再修改权重、先进名额或并列规则。"))


def _phase_changes(
    campaign: Campaign, dates: Mapping[int, tuple[datetime.date | None, datetime.date | None]]
) -> list[tuple[Phase, dict[str, Any], dict[str, Any]]]:
    """(phase, before, after) for each phase whose dates `dates` (by phase id) change."""
    changed = []
    for phase in campaign.phases.all():
        if phase.pk not in dates:
            continue
        starts_on, ends_on = dates[phase.pk]
        if starts_on and ends_on and starts_on > ends_on:
            raise ValidationError(_("“%(p)s”的开始日期晚于截止日期。") % {"p": phase.name})
        before = {"starts_on": phase.starts_on, "ends_on": phase.ends_on}
        after = {"starts_on": starts_on, "ends_on": ends_on}
        if before != after:
            changed.append((phase, before, after))
    return changed


def _follow_accept_phase(
    campaign: Campaign, new: dict[str, Any], phases: list[tuple[Phase, dict[str, Any], Any]]
) -> None:
    """The 考评验收 phase gates submission: when its end moves and the deadline was that end
    (and is not being changed by hand), the deadline moves with it, at the same time of day."""
    deadline = campaign.submission_deadline
    if "submission_deadline" in new or deadline is None:
        return
    for phase, before, after in phases:
        if phase.key != "accept" or before["ends_on"] is None or after["ends_on"] is None:
            continue
        local = timezone.localtime(deadline)
        if local.date() == before["ends_on"]:
            moved = datetime.datetime.combine(after["ends_on"], local.time())
            new["submission_deadline"] = timezone.make_aware(moved)


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    actor: Actor,
    changes: Mapping[str, Any],
    phase_dates: Mapping[int, tuple[datetime.date | None, datetime.date | None]] | None = None,
) -> list[str]:
    """Change the campaign's settings (`changes`, among SETTING_FIELDS) and phase dates (by
    phase id); returns the names of what changed. One audit entry with the changed fields
    before and after; the units whose dates changed are told; stored figures are recomputed
    when a scoring setting changed."""
    _check_admin(actor, campaign)
    _check_open(campaign)
    unknown = set(changes) - set(SETTING_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改：%(f)s") % {"f": "、".join(sorted(unknown))})
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    given = {f: v.strip() if f in TEXT_FIELDS else v for f, v in changes.items()}
    new = {f: v for f, v in given.items() if not _same(getattr(campaign, f), v)}
    phases = _phase_changes(campaign, phase_dates or {})
    _follow_accept_phase(campaign, new, phases)
    _validate(campaign, new)
    if not new and not phases:
        return []
    before = {field: _shown(getattr(campaign, field)) for field in new}
    for field, value in new.items():
        setattr(campaign, field, value)
    if new:
        campaign.save(update_fields=list(new))
    for phase, was, now in phases:
        phase.starts_on, phase.ends_on = now["starts_on"], now["ends_on"]
        phase.save(update_fields=["starts_on", "ends_on"])
        before[f"phase:{phase.key}"] = {k: _shown(v) for k, v in was.items()}
    after = {field: _shown(value) for field, value in new.items()}
    after.update(
        {f"phase:{p.key}": {k: _shown(v) for k, v in now.items()} for p, _was, now in phases}
    )
    audit_record(
        action="campaign.update", actor=actor.user, target=campaign, before=before, after=after
    )
    if set(new) & set(SCORING_FIELDS):
        events.campaign_changed.send(sender=Campaign, campaign=campaign)
    _tell_dates_changed(campaign, new, phases)
    return [*new, *(f"phase:{p.key}" for p, _b, _a in phases)]


def _tell_dates_changed(
    campaign: Campaign, new: Mapping[str, Any], phases: Sequence[tuple[Phase, Any, Any]]
) -> None:
    """Phase dates concern every unit; a new submission deadline only the units still to
    submit whose own extension does not run later. Nobody is told while the campaign is in
    draft: the units learn its dates when it is launched."""
    if campaign.status == CampaignStatus.DRAFT:
        return
    if phases:
        units = campaign.enrollments.exclude(state=S.WITHDRAWN).values_list("unit_id", flat=True)
    elif "submission_deadline" in new:
        deadline = campaign.submission_deadline
        units = campaign.enrollments.filter(state__in=EXTENDABLE).values_list("unit_id", flat=True)
        if deadline is not None:
            units = units.exclude(extended_until__gt=deadline)
    else:
        return
    lines = [
        _("%(p)s：%(d)s") % {"p": p.name, "d": _span(now["starts_on"], now["ends_on"])}
        for p, _was, now in phases
    ]
    if "submission_deadline" in new:
        when = new["submission_deadline"]
        lines.append(
            _("自评提交截止：%(d)s")
            % {"d": timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else _("未设定")}
        )
    _notify_units(
        campaign,
        units,
        title=_("“%(c)s”的时间安排已调整") % {"c": campaign.name},
        body="\n".join(lines),
    )


def _span(starts_on: datetime.date | None, ends_on: datetime.date | None) -> str:
    if starts_on and ends_on:
        return f"{starts_on.isoformat()} — {ends_on.isoformat()}"
    if ends_on:
        return _("%(d)s 前") % {"d": ends_on.isoformat()}
    return _("未设定")


def _notify_units(
    campaign: Campaign, unit_ids: Any, *, title: str, body: str, kind: str = "campaign.dates"
) -> None:
    """One notice for each active account of the units (their admins and leaders), the
    accounts read in one query."""
    people = User.objects.filter(
        is_active=True,
        role_assignments__unit_id__in=unit_ids,
        role_assignments__role__in=(Role.UNIT_ADMIN, Role.UNIT_LEADER),
    ).distinct()
    notify(
        recipients=people,
        kind=kind,
        title=title,
        body=body,
        url=reverse("campaigns:list"),
    )


# --- units: add, withdraw, extend -----------------------------------------------------------------


@transaction.atomic
def enrollments_add(*, campaign: Campaign, units: Iterable[Unit], actor: Actor) -> int:
    """Enrol more of the committee's units (each starts with blank stored figures); returns how
    many were added. Units already enrolled are refused, not silently skipped."""
    _check_admin(actor, campaign)
    _check_open(campaign)
    chosen = {u.pk: u for u in units}
    if not chosen:
        raise ValidationError(_("请选择要增加的单位。"))
    if any(u.committee_id != campaign.committee_id for u in chosen.values()):
        raise ValidationError(_("只能纳入本工委的单位。"))
    already = list(
        campaign.enrollments.filter(unit_id__in=chosen).values_list("unit__name", flat=True)
    )
    if already:
        raise ValidationError(_("以下单位已参加本活动：%(u)s") % {"u": "、".join(already)})
    Enrollment.objects.bulk_create(Enrollment(campaign=campaign, unit=u) for u in chosen.values())
    events.units_enrolled.send(sender=Campaign, campaign=campaign)
    if campaign.status == CampaignStatus.ACTIVE:
        tell_launched(campaign, unit_ids=list(chosen))
    audit_record(
        action="campaign.units.add",
        actor=actor.user,
        target=campaign,
        after={"units": [{"id": u.pk, "name": u.name} for u in chosen.values()]},
    )
    return len(chosen)


def tell_launched(campaign: Campaign, unit_ids: Iterable[int] | None = None) -> None:
    """The campaign was launched: the admin and leader of every enrolled unit are told, linked
    to their unit's page for it (in a fixed number of queries per thousand units). With
    `unit_ids`, only those units: the ones added to a campaign already running."""
    enrolled = Enrollment.objects.filter(campaign=campaign).exclude(state=S.WITHDRAWN)
    if unit_ids is not None:
        enrolled = enrolled.filter(unit_id__in=list(unit_ids))
    enrollments = list(enrolled.values_list("pk", "unit_id"))
    people = units_people(unit_id for _pk, unit_id in enrollments)
    deadline = campaign.submission_deadline
    body = (
        _("请制定实施方案、成立领导小组、分解任务，按时完成自评填报。自评提交截止：%(t)s。")
        % {"t": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")}
        if deadline
        else _("请制定实施方案、成立领导小组、分解任务，按时完成自评填报。")
    )
    notify_many(
        kind="campaign.launched",
        drafts=(
            Draft(
                recipients=people.get(unit_id, []),
                title=_("创建活动“%(c)s”已启动") % {"c": campaign.name},
                body=body,
                url=reverse("campaigns:enrollment", args=[pk]),
                key=f"campaign:{campaign.pk}:launched",
            )
            for pk, unit_id in enrollments
        ),
    )


def _locked_for_admin(enrollment: Enrollment, actor: Actor) -> Enrollment:
    """The enrollment read again under a row lock, with its campaign and unit, once the actor
    is found to administer the campaign and the campaign to be open."""
    enrollment = (
        Enrollment.objects.select_for_update()
        .select_related("campaign", "unit")
        .get(pk=enrollment.pk)
    )
    _check_admin(actor, enrollment.campaign)
    _check_open(enrollment.campaign)
    return enrollment


@transaction.atomic
def enrollment_withdraw(*, enrollment: Enrollment, reason: str, actor: Actor) -> Enrollment:
    """A unit leaves the campaign before it has ever submitted (退出), with a written reason.
    The enrollment is kept, in the state 已退出 (WITHDRAWN), with what the unit entered for it
    (self scores, evidence links, plan, group, tasks), read-only from now on; the reason and
    the time are recorded. A withdrawn unit is outside the field: no composite, grade, rank or
    先进, not in the quota's base, never waited for by approval or publication. Audited with
    the state before and after; the unit is told; the stored figures follow
    (`events.campaign_changed`)."""
    enrollment = _locked_for_admin(enrollment, actor)
    campaign = enrollment.campaign
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("退出须写明理由。"))
    if enrollment.state == S.WITHDRAWN:
        raise ValidationError(_("%(u)s已退出本活动。") % {"u": enrollment.unit.name})
    if enrollment.state not in BEFORE_SUBMISSION or enrollment.submitted_at is not None:
        raise ValidationError(_("%(u)s已提交过自评，不能退出。") % {"u": enrollment.unit.name})
    unit = enrollment.unit
    before = {"state": enrollment.state}
    now = timezone.now()
    updated = Enrollment.objects.filter(
        pk=enrollment.pk, state=enrollment.state, version=enrollment.version
    ).update(
        state=S.WITHDRAWN,
        withdrawn_reason=reason,
        withdrawn_at=now,
        extended_until=None,
        version=F("version") + 1,
    )
    if updated != 1:  # pragma: no cover - the row is locked above
        raise ValidationError(_("该单位的状态已变化，请刷新后重试。"))
    enrollment.refresh_from_db()
    audit_record(
        action="campaign.units.withdraw",
        actor=actor.user,
        target=enrollment,
        committee_id=campaign.committee_id,
        before=before,
        after={"state": S.WITHDRAWN.value, "withdrawn_at": _shown(now)},
        extra={
            "reason": reason,
            "unit": unit.pk,
            "unit_name": unit.name,
            "self_scores": enrollment.self_scores.count(),
            "evidence_links": enrollment.evidence_links.count(),
            "tasks": enrollment.tasks.count(),
        },
    )
    events.campaign_changed.send(sender=Campaign, campaign=campaign)
    _notify_units(
        campaign,
        [unit.pk],
        title=_("本单位已退出“%(c)s”") % {"c": campaign.name},
        body=_("理由：%(r)s") % {"r": reason},
        kind="campaign.withdraw",
    )
    return enrollment


@transaction.atomic
def enrollment_readmit(*, enrollment: Enrollment, actor: Actor) -> Enrollment:
    """Take a withdrawn unit back (恢复参评): 已退出 → 未开始, with what it had entered still
    there (its first save moves it on to 填报中 as usual). The withdrawal's reason and time stay
    on record in the audit trail and are cleared on the enrollment. Audited; the unit is told."""
    enrollment = _locked_for_admin(enrollment, actor)
    campaign = enrollment.campaign
    if enrollment.state != S.WITHDRAWN:
        raise ValidationError(_("%(u)s未退出本活动。") % {"u": enrollment.unit.name})
    before = {
        "state": enrollment.state,
        "withdrawn_reason": enrollment.withdrawn_reason,
        "withdrawn_at": _shown(enrollment.withdrawn_at),
    }
    Enrollment.objects.filter(pk=enrollment.pk, state=S.WITHDRAWN).update(
        state=S.NOT_STARTED, withdrawn_reason="", withdrawn_at=None, version=F("version") + 1
    )
    enrollment.refresh_from_db()
    audit_record(
        action="campaign.units.readmit",
        actor=actor.user,
        target=enrollment,
        committee_id=campaign.committee_id,
        before=before,
        after={"state": S.NOT_STARTED.value},
        extra={"unit": enrollment.unit_id, "unit_name": enrollment.unit.name},
    )
    events.campaign_changed.send(sender=Campaign, campaign=campaign)
    _notify_units(
        campaign,
        [enrollment.unit_id],
        title=_("本单位已恢复参加“%(c)s”") % {"c": campaign.name},
        body=_("请继续完成自评填报。"),
        kind="campaign.readmit",
    )
    return enrollment


@transaction.atomic
def enrollments_extend(
    *,
    campaign: Campaign,
    enrollments: Iterable[Enrollment],
    until: datetime.datetime,
    actor: Actor,
    reason: str = "",
) -> int:
    """Extend the submission deadline of the given units of `campaign` (one or many) to
    `until`: one audit entry per unit with its deadline before and after, and the units told.
    Refused as a whole when a unit has already submitted."""
    _check_admin(actor, campaign)
    _check_open(campaign)
    ids = [e.pk for e in enrollments]
    rows = list(
        Enrollment.objects.select_for_update()
        .filter(campaign=campaign, pk__in=ids)
        .select_related("unit")
        .order_by("pk")
    )
    if not rows or len(rows) != len(set(ids)):
        raise ValidationError(_("请选择本活动的参评单位。"))
    gone = [e.unit.name for e in rows if e.state == S.WITHDRAWN]
    if gone:
        raise ValidationError(_("以下单位已退出本活动，无需延期：%(u)s") % {"u": "、".join(gone)})
    late = [e.unit.name for e in rows if e.state not in EXTENDABLE]
    if late:
        raise ValidationError(_("以下单位已提交自评，无需延期：%(u)s") % {"u": "、".join(late)})
    entries = [
        {
            "action": "enrollment.extend",
            "actor": actor.user,
            "target": e,
            "committee_id": campaign.committee_id,
            "before": {"extended_until": _shown(e.extended_until)},
            "after": {"extended_until": _shown(until)},
            "extra": {"reason": reason} if reason else None,
        }
        for e in rows
    ]
    Enrollment.objects.filter(pk__in=[e.pk for e in rows]).update(extended_until=until)
    audit_record_many(entries=entries)
    # Each unit is told, with a link to its own page (the people of all units in two queries).
    people = units_people([e.unit_id for e in rows])
    body = _("本单位的自评提交截止延至 %(d)s。") % {
        "d": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
    } + (_("理由：%(r)s") % {"r": reason} if reason else "")
    for e in rows:
        notify(
            recipients=people.get(e.unit_id, []),
            kind="enrollment.extended",
            title=_("“%(c)s”的自评提交已延期") % {"c": campaign.name},
            body=body,
            url=reverse("campaigns:enrollment", args=[e.pk]),
        )
    return len(rows)


# --- the campaign as a whole: delete a draft, launch --------------------------------------------


@transaction.atomic
def campaign_delete(*, campaign: Campaign, actor: Actor) -> None:
    """Delete a campaign still in draft (筹备) with its phases and enrollments; a launched one
    is kept (its history matters)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _check_admin(actor, campaign)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("只能删除尚未启动的活动。"))
    before = {
        "name": campaign.name,
        "year": campaign.year,
        "version": campaign.indicator_version_id,
        "units": campaign.enrollments.count(),
    }
    committee_id = campaign.committee_id
    try:
        with transaction.atomic():
            pk = campaign.pk
            # The enrollments first: what hangs on both them and the campaign (a review
            # group's assignments) goes with them, so the campaign's own rows are free.
            campaign.enrollments.all().delete()
            campaign.delete()
    except ProtectedError as exc:
        raise ValidationError(_("该活动已有关联记录（如督办、通报），不能删除。")) from exc
    audit_record(
        action="campaign.delete",
        actor=actor.user,
        object_type=Campaign._meta.label_lower,
        object_id=pk,
        committee_id=committee_id,
        before=before,
    )


def deadline_has_passed(campaign: Campaign) -> bool:
    """Launching such a campaign asks for confirmation (units could not submit at all)."""
    deadline = campaign.submission_deadline
    return deadline is not None and deadline <= timezone.now()
