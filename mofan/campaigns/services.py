"""Campaign writes: create from a published indicator version, enrol units, unit work
(leadership group, tasks, 实施方案). Each write audits inside its transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_delete, audit_record
from mofan.campaigns import administration, events
from mofan.campaigns.models import (
    Cadence,
    Campaign,
    CampaignStatus,
    Enrollment,
    EnrollmentState,
    LeadershipMember,
    Phase,
    QuotaTiePolicy,
    Task,
    TaskStatus,
)
from mofan.indicators.models import IndicatorVersion
from mofan.organizations.models import Committee, Unit


def _check_admin(actor: Actor, committee_id: int) -> None:
    if not rules.administers(actor, committee_id):
        raise PermissionDenied(_("只有本工委管理员可以管理创建活动。"))


def phases_from_template(phases: Iterable[dict[str, Any]], year: int) -> list[Phase]:
    """Phases with dates from the template: `due_month_day` becomes the deadline in `year`."""
    made = []
    for order, spec in enumerate(phases, start=1):
        ends_on = None
        if spec.get("due_month_day"):
            month, day = (int(x) for x in str(spec["due_month_day"]).split("-"))
            ends_on = datetime.date(year, month, day)
        made.append(
            Phase(
                key=spec["key"],
                name=spec["name"],
                due_text=spec.get("due", ""),
                ends_on=ends_on,
                description=spec.get("description", ""),
                order=order,
            )
        )
    return made


def _check_create(
    actor: Actor | None, committee: Committee, version: IndicatorVersion, cadence: str
) -> None:
    if actor is not None:
        _check_admin(actor, committee.pk)
    if cadence and cadence not in Cadence.values:
        raise ValidationError(_("无效的考评节奏。"))
    if not version.is_published:
        raise ValidationError(_("创建活动只能使用已发布的指标体系版本。"))
    if version.system.committee_id not in (None, committee.pk):
        raise ValidationError(_("不能使用其他工委的指标体系。"))


@transaction.atomic
def campaign_create(
    *,
    committee: Committee,
    name: str,
    year: int,
    version: IndicatorVersion,
    actor: Actor | None,
    units: Iterable[Unit] | None = None,
    cycle_start_year: int | None = None,
    submission_deadline: datetime.datetime | None = None,
    weights: dict[str, Any] | None = None,
    honours_quota: Decimal | None = None,
    approved_by: str = "",
    document_number: str = "",
    document_title: str = "",
    cadence: str = "",
    tie_policy: str = "",
    grade_bands: list[dict[str, Any]] | None = None,
    veto_blocks: list[str] | None = None,
    evidence_max_mb: int | None = None,
    evidence_cap: int | None = None,
    rectify_grades: list[str] | None = None,
    rectify_lowest: int | None = None,
    rectify_days: int | None = None,
) -> Campaign:
    """A campaign pinned to a published version, with the template's phases, enrolling the
    given units (default: every active unit of the committee)."""
    _check_create(actor, committee, version, cadence)
    campaign = Campaign(
        committee=committee,
        name=name,
        year=year,
        cycle_start_year=administration.cycle_start_of(version, year)
        if cycle_start_year is None
        else cycle_start_year,
        indicator_version=version,
        cadence=cadence or administration.cadence_of(version),
        submission_deadline=submission_deadline,
        approved_by=approved_by,
        document_number=document_number,
        document_title=document_title,
        tie_policy=tie_policy or QuotaTiePolicy.DECIDE,
    )
    _apply_settings(
        campaign,
        weights=weights,
        honours_quota=honours_quota,
        grade_bands=grade_bands,
        veto_blocks=veto_blocks,
        evidence_max_mb=evidence_max_mb,
        evidence_cap=evidence_cap,
        rectify_grades=rectify_grades,
        rectify_lowest=rectify_lowest,
        rectify_days=rectify_days,
    )
    campaign.save()
    _phases_create(campaign)
    chosen = (
        list(units)
        if units is not None
        else list(Unit.objects.filter(committee=committee, is_active=True))
    )
    if any(u.committee_id != committee.pk for u in chosen):
        raise ValidationError(_("只能纳入本工委的单位。"))
    Enrollment.objects.bulk_create(Enrollment(campaign=campaign, unit=u) for u in chosen)
    # Every unit starts with its (blank) stored figures (evaluations receives the event).
    events.units_enrolled.send(sender=Campaign, campaign=campaign)
    audit_record(
        action="campaign.create",
        actor=actor.user if actor else None,
        actor_name="" if actor else "system",
        target=campaign,
        committee_id=committee.pk,
        after=_created_entry(campaign, units=len(chosen), evidence_cap=evidence_cap),
    )
    return campaign


def _apply_settings(
    campaign: Campaign,
    *,
    weights: dict[str, Any] | None,
    honours_quota: Decimal | None,
    grade_bands: list[dict[str, Any]] | None,
    veto_blocks: list[str] | None,
    evidence_max_mb: int | None,
    evidence_cap: int | None,
    rectify_grades: list[str] | None,
    rectify_lowest: int | None,
    rectify_days: int | None,
) -> None:
    """The settings given at creation; what is not given keeps the model's default."""
    if weights:
        campaign.composite_weights = weights
    if evidence_max_mb:
        campaign.evidence_max_mb = evidence_max_mb
    campaign.evidence_cap_per_indicator = evidence_cap
    given = {
        "honours_quota": honours_quota,
        "grade_bands": grade_bands,
        "veto_blocks": veto_blocks,
        "rectify_grades": rectify_grades,
        "rectify_lowest": rectify_lowest,
        "rectify_days": rectify_days,
    }
    for field, value in given.items():
        if value is not None:
            setattr(campaign, field, value)


def _phases_create(campaign: Campaign) -> None:
    """The phases of the template, dated in the campaign's year; without a deadline given, the
    submission deadline is the end of the 受理 phase."""
    phases = phases_from_template(campaign.indicator_version.system.phases, campaign.year)
    for phase in phases:
        phase.campaign = campaign
    Phase.objects.bulk_create(phases)
    if campaign.submission_deadline is None:
        accept = next((p for p in phases if p.key == "accept" and p.ends_on), None)
        if accept is not None:
            end = datetime.datetime.combine(accept.ends_on, datetime.time(23, 59, 59))  # type: ignore[arg-type]
            campaign.submission_deadline = timezone.make_aware(end)
            campaign.save(update_fields=["submission_deadline"])


def _created_entry(campaign: Campaign, *, units: int, evidence_cap: int | None) -> dict[str, Any]:
    return {
        "name": campaign.name,
        "year": campaign.year,
        "version": campaign.indicator_version_id,
        "units": units,
        "approved_by": campaign.approved_by,
        "document_number": campaign.document_number,
        "document_title": campaign.document_title,
        "cadence": campaign.cadence,
        "cycle_start_year": campaign.cycle_start_year,
        "tie_policy": campaign.tie_policy,
        "weights": campaign.composite_weights,
        "grade_bands": campaign.grade_bands,
        "veto_blocks": campaign.veto_blocks,
        "honours_quota": str(campaign.honours_quota),
        "evidence_max_mb": campaign.evidence_max_mb,
        "evidence_cap": evidence_cap,
        "rectify_grades": campaign.rectify_grades,
        "rectify_lowest": campaign.rectify_lowest,
        "rectify_days": campaign.rectify_days,
    }


@transaction.atomic
def campaign_activate(
    *, campaign: Campaign, actor: Actor, past_deadline_confirmed: bool = False
) -> Campaign:
    """Launch a draft campaign. When its submission deadline has already passed, only with
    `past_deadline_confirmed` (the page asks first), and the entry records it."""
    _check_admin(actor, campaign.committee_id)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("活动已启动。"))
    past = administration.deadline_has_passed(campaign)
    if past and not past_deadline_confirmed:
        raise ValidationError(_("自评提交截止时间已过，启动前请确认或先修改截止时间。"))
    campaign.status = CampaignStatus.ACTIVE
    campaign.save(update_fields=["status"])
    audit_record(
        action="campaign.activate",
        actor=actor.user,
        target=campaign,
        before={"status": CampaignStatus.DRAFT.value},
        after={"status": CampaignStatus.ACTIVE.value},
        extra={"past_deadline_confirmed": True} if past else None,
    )
    administration.tell_launched(campaign)
    return campaign


def _check_unit_admin(actor: Actor, enrollment: Enrollment) -> None:
    if not rules.is_unit_admin_of(actor, enrollment.unit_id):
        raise PermissionDenied(_("只有本单位联络员可以填报。"))
    if enrollment.state == EnrollmentState.WITHDRAWN:
        raise ValidationError(_("本单位已退出本活动，不能再修改。"))


@transaction.atomic
def leadership_add(
    *, enrollment: Enrollment, role: str, name: str, post: str, actor: Actor
) -> LeadershipMember:
    _check_unit_admin(actor, enrollment)
    last = enrollment.leadership.order_by("-order").values_list("order", flat=True).first() or 0
    member = LeadershipMember.objects.create(
        enrollment=enrollment, role=role, name=name, post=post, order=last + 1
    )
    audit_record(
        action="campaign.leadership.add",
        actor=actor.user,
        target=member,
        after={"role": role, "name": name, "post": post, "enrollment": enrollment.pk},
    )
    events.leadership_changed.send(sender=LeadershipMember, enrollment=enrollment)
    return member


@transaction.atomic
def leadership_remove(*, member: LeadershipMember, actor: Actor) -> None:
    _check_unit_admin(actor, member.enrollment)
    audit_delete(
        target=member,
        action="campaign.leadership.remove",
        actor=actor.user,
        before={"role": member.role, "name": member.name, "post": member.post},
    )
    events.leadership_changed.send(sender=LeadershipMember, enrollment=member.enrollment)


@transaction.atomic
def task_add(
    *, enrollment: Enrollment, title: str, person: str, deadline: datetime.date, actor: Actor
) -> Task:
    _check_unit_admin(actor, enrollment)
    task = Task.objects.create(enrollment=enrollment, title=title, person=person, deadline=deadline)
    audit_record(
        action="campaign.task.add",
        actor=actor.user,
        target=task,
        after={"title": title, "person": person, "deadline": deadline.isoformat()},
    )
    return task


@transaction.atomic
def task_set_status(*, task: Task, status: str, actor: Actor) -> Task:
    _check_unit_admin(actor, task.enrollment)
    if status not in TaskStatus.values:
        raise ValidationError(_("无效的任务状态。"))
    before = task.status
    task.status = status
    task.save(update_fields=["status"])
    audit_record(
        action="campaign.task.status",
        actor=actor.user,
        target=task,
        before={"status": before},
        after={"status": status},
    )
    return task


@transaction.atomic
def task_remove(*, task: Task, actor: Actor) -> None:
    _check_unit_admin(actor, task.enrollment)
    audit_delete(
        target=task,
        action="campaign.task.remove",
        actor=actor.user,
        before={"title": task.title, "person": task.person},
    )


PLAN_KINDS = ("pdf", "docx", "ofd")


@transaction.atomic
def plan_set(*, enrollment: Enrollment, evidence: Any, actor: Actor) -> Enrollment:
    """The unit's 实施方案 for the campaign: a file from the unit's own evidence store."""
    _check_unit_admin(actor, enrollment)
    if evidence.unit_id != enrollment.unit_id:
        raise ValidationError(_("只能使用本单位的文件。"))
    if evidence.kind not in PLAN_KINDS:
        raise ValidationError(_("实施方案应为 PDF、Word 或 OFD 文件。"))
    before = enrollment.plan_id
    enrollment.plan = evidence
    enrollment.save(update_fields=["plan"])
    audit_record(
        action="campaign.plan.set",
        actor=actor.user,
        target=enrollment,
        before={"plan": before},
        after={"plan": evidence.pk, "name": evidence.original_name},
    )
    return enrollment
