"""The writes of nominations: a unit puts a candidate forward (`nomination_create`, within its
quota, prefilled from the records), the committee reviews it (`nomination_review`), records the
replies of 纪检监察/巡察/审计 (`veto_record`), decides a tie across the quota line
(`tie_decide`), people of the committee's units object during 公示 (`objection_lodge`), the
committee records an objection received by phone, letter, visit or e-mail (`objection_record`),
resolves each objection (`objection_resolve`) and may revoke a named honour
(`honour_revoke`). Each is audited in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules as access
from mofan.accounts.access import Actor
from mofan.accounts.roles import UNIT_ROLES
from mofan.audit.services import audit_record
from mofan.honours import records
from mofan.honours.models import (
    ExpertPanel,
    HonourProgramme,
    Nomination,
    NominationState,
    Objection,
    ObjectionChannel,
    ProgrammeSource,
    ProgrammeState,
    VetoInput,
    VetoSource,
)
from mofan.honours.selectors import unit_committees
from mofan.honours.services import nominations_left, require_admin, selection_of
from mofan.notifications.recipients import committee_people, unit_people
from mofan.notifications.services import notify
from mofan.organizations.models import Member, PartyOrganization, Unit


def _reviewing(nomination: Nomination) -> None:
    if nomination.programme.state != ProgrammeState.REVIEWING:
        raise ValidationError(_("只有评审阶段可以评分或记录征求意见。"))


@transaction.atomic
def nomination_create(
    *,
    programme: HonourProgramme,
    unit: Unit,
    statement: str,
    actor: Actor,
    party_org: PartyOrganization | None = None,
    member: Member | None = None,
) -> Nomination:
    """The unit's 联络员 puts a candidate forward while the programme takes nominations: within
    the unit's quota, once per candidate, only an eligible one; the record is kept as read."""
    programme = HonourProgramme.objects.select_for_update().get(pk=programme.pk)
    if not access.is_unit_admin_of(actor, unit.pk) or unit.committee_id != programme.committee_id:
        raise PermissionDenied(_("只有本单位联络员可以推荐。"))
    if programme.source == ProgrammeSource.CAMPAIGN_RESULTS:
        raise ValidationError(_("该评选的候选单位来自创建活动考评审定的先进单位，不接受推荐。"))
    if programme.state != ProgrammeState.NOMINATING:
        raise ValidationError(_("该评选当前不接受推荐。"))
    if nominations_left(programme, unit) <= 0:
        raise ValidationError(_("本单位的推荐名额已用完。"))
    if not statement.strip():
        raise ValidationError(_("请填写推荐理由。"))
    facts = records.facts_of(programme, unit, party_org=party_org, member=member)
    if facts.refusals:
        raise ValidationError(facts.refusals)
    same = Nomination.objects.filter(programme=programme, unit=unit)
    if same.filter(party_org=party_org, member=member).exists():
        raise ValidationError(_("该对象已被推荐。"))
    nomination = Nomination.objects.create(
        programme=programme,
        unit=unit,
        party_org=party_org,
        member=member,
        candidate_name=facts.name[:150],
        record={str(k): v for k, v in facts.record.items()},
        statement=statement.strip(),
        nominated_by=actor.user,
    )
    audit_record(
        action="honour.nominate",
        actor=actor.user,
        target=nomination,
        committee_id=programme.committee_id,
        after={"programme": programme.pk, "candidate": nomination.candidate_name},
    )
    return nomination


@transaction.atomic
def nomination_review(
    *, nomination: Nomination, score: Decimal, note: str, actor: Actor, by_panel: bool = False
) -> Nomination:
    """The committee's score (0–100) and note on one nomination, during review; with an expert
    panel, only the panel's aggregate (`panel.panel_close`, `by_panel`)."""
    nomination = (
        Nomination.objects.select_for_update().select_related("programme").get(pk=nomination.pk)
    )
    require_admin(actor, nomination.programme.committee_id)
    _reviewing(nomination)
    if not by_panel and ExpertPanel.objects.filter(programme_id=nomination.programme_id).exists():
        raise ValidationError(_("本评选由专家评审组评分，评审得分取专家评分的汇总分。"))
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError(_("评审得分须在0至100之间。"))
    before = {"score": str(nomination.score) if nomination.score is not None else None}
    nomination.score = score
    nomination.review_note = note.strip()
    nomination.save(update_fields=["score", "review_note"])
    programme = nomination.programme
    if programme.tie_choice:  # a changed score reopens any decided tie
        programme.tie_choice = []
        programme.save(update_fields=["tie_choice"])
    audit_record(
        action="honour.review",
        actor=actor.user,
        target=nomination,
        committee_id=programme.committee_id,
        before=before,
        after={"score": str(score), "note": nomination.review_note},
    )
    return nomination


@transaction.atomic
def veto_record(
    *, nomination: Nomination, source: str, vetoes: bool, document: str, note: str, actor: Actor
) -> VetoInput:
    """The reply of 纪检监察, 巡察 or 审计 on a candidate, with its document: a veto keeps the
    candidate from being named."""
    nomination = Nomination.objects.select_related("programme").get(pk=nomination.pk)
    require_admin(actor, nomination.programme.committee_id)
    _reviewing(nomination)
    if source not in VetoSource.values:
        raise ValidationError(_("请选择征求意见部门。"))
    if not document.strip():
        raise ValidationError(_("请填写来源文件。"))
    veto = VetoInput.objects.create(
        nomination=nomination,
        source=source,
        vetoes=vetoes,
        document=document.strip()[:150],
        note=note.strip(),
        recorded_by=actor.user,
    )
    audit_record(
        action="honour.veto",
        actor=actor.user,
        target=nomination,
        committee_id=nomination.programme.committee_id,
        after={"source": source, "vetoes": vetoes, "document": veto.document},
    )
    return veto


@transaction.atomic
def tie_decide(*, programme: HonourProgramme, chosen: Collection[int], actor: Actor) -> None:
    """The committee names, among the candidates tied across the quota line, as many as there
    are seats left."""
    programme = HonourProgramme.objects.select_for_update().get(pk=programme.pk)
    require_admin(actor, programme.committee_id)
    if programme.state != ProgrammeState.REVIEWING:
        raise ValidationError(_("只有评审阶段可以确定同分人选。"))
    programme.tie_choice = []
    selection = selection_of(programme)
    picked = sorted(set(chosen))
    if not selection.tied or not set(picked) <= set(selection.tied):
        raise ValidationError(_("所选对象不在同分待定名单中。"))
    if len(picked) != selection.open_seats:
        raise ValidationError(_("请在同分对象中选定%(n)d名。") % {"n": selection.open_seats})
    programme.tie_choice = picked
    programme.save(update_fields=["tie_choice"])
    audit_record(
        action="honour.tie_decide",
        actor=actor.user,
        target=programme,
        committee_id=programme.committee_id,
        after={"tied": list(selection.tied), "chosen": picked},
    )


def _in_publicity(nomination: Nomination, today: dt.date) -> None:
    programme = nomination.programme
    if (
        programme.state != ProgrammeState.PUBLICITY
        or nomination.state != NominationState.SELECTED
        or programme.publicity_end is None
        or today > programme.publicity_end
    ):
        raise ValidationError(_("不在公示期内，不能提出异议。"))


@transaction.atomic
def objection_lodge(
    *, nomination: Nomination, text: str, actor: Actor, today: dt.date | None = None
) -> Objection:
    """Anyone holding a role in a unit of the committee objects to a candidate on the 公示
    list while it is shown; the committee's admins are told."""
    nomination = Nomination.objects.select_related("programme").get(pk=nomination.pk)
    programme = nomination.programme
    if programme.committee_id not in unit_committees(actor, tuple(UNIT_ROLES)):
        raise PermissionDenied(_("只有本工委所属单位的人员可以提出异议。"))
    _in_publicity(nomination, today or timezone.localdate())
    if not text.strip():
        raise ValidationError(_("请填写异议内容。"))
    objection = Objection.objects.create(
        nomination=nomination, text=text.strip(), lodged_by=actor.user
    )
    audit_record(
        action="honour.objection.lodge",
        actor=actor.user,
        target=objection,
        committee_id=programme.committee_id,
        after={"nomination": nomination.pk},
    )
    notify(
        recipients=committee_people(programme.committee_id),
        kind="honour.objection",
        title=_("%(name)s公示收到异议") % {"name": programme.name},
        url=reverse("honours:nomination_detail", args=[nomination.pk]),
    )
    return objection


@transaction.atomic
def objection_record(
    *,
    nomination: Nomination,
    channel: str,
    source_name: str,
    text: str,
    actor: Actor,
    today: dt.date | None = None,
) -> Objection:
    """The committee records an objection received during 公示 outside the platform (by phone,
    letter, visit or e-mail, as the public 公示 page invites), with who raised it when known; it
    is then resolved like any other before the programme can be named."""
    nomination = Nomination.objects.select_related("programme").get(pk=nomination.pk)
    programme = nomination.programme
    require_admin(actor, programme.committee_id)
    _in_publicity(nomination, today or timezone.localdate())
    if channel not in ObjectionChannel.values or channel == ObjectionChannel.PLATFORM:
        raise ValidationError(_("请选择反映方式（来电、来信、来访或电子邮件）。"))
    if not text.strip():
        raise ValidationError(_("请填写异议内容。"))
    objection = Objection.objects.create(
        nomination=nomination,
        text=text.strip(),
        channel=channel,
        source_name=source_name.strip(),
        lodged_by=actor.user,
    )
    audit_record(
        action="honour.objection.record",
        actor=actor.user,
        target=objection,
        committee_id=programme.committee_id,
        after={"nomination": nomination.pk, "channel": channel},
    )
    return objection


@transaction.atomic
def objection_resolve(
    *, objection: Objection, upheld: bool, resolution: str, actor: Actor
) -> Objection:
    """The committee's answer to an objection: upheld (the candidate is not named) or not."""
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    programme = objection.nomination.programme
    require_admin(actor, programme.committee_id)
    if programme.state != ProgrammeState.PUBLICITY or objection.upheld is not None:
        raise ValidationError(_("该异议已处理或公示已结束。"))
    if not resolution.strip():
        raise ValidationError(_("请填写处理意见。"))
    objection.upheld = upheld
    objection.resolution = resolution.strip()
    objection.resolved_by = actor.user
    objection.resolved_at = timezone.now()
    objection.save()
    audit_record(
        action="honour.objection.resolve",
        actor=actor.user,
        target=objection,
        committee_id=programme.committee_id,
        after={"upheld": upheld, "resolution": objection.resolution},
    )
    return objection


@transaction.atomic
def honour_revoke(
    *,
    nomination: Nomination,
    reason: str,
    document: str,
    actor: Actor,
    today: dt.date | None = None,
) -> Nomination:
    """Revoke a named honour with a reason and the document that revokes it; it shows as 已撤销
    wherever it is shown, and the nominating unit is told."""
    nomination = (
        Nomination.objects.select_for_update().select_related("programme").get(pk=nomination.pk)
    )
    require_admin(actor, nomination.programme.committee_id)
    if nomination.state != NominationState.NAMED:
        raise ValidationError(_("只能撤销已命名的荣誉。"))
    if not reason.strip() or not document.strip():
        raise ValidationError(_("请填写撤销原因和撤销文件。"))
    nomination.state = NominationState.REVOKED
    nomination.revoked_on = today or timezone.localdate()
    nomination.revoke_reason = reason.strip()
    nomination.revoke_document = document.strip()[:100]
    nomination.save()
    audit_record(
        action="honour.revoke",
        actor=actor.user,
        target=nomination,
        committee_id=nomination.programme.committee_id,
        before={"state": NominationState.NAMED},
        after={
            "state": NominationState.REVOKED,
            "reason": nomination.revoke_reason,
            "document": nomination.revoke_document,
        },
    )
    notify(
        recipients=unit_people(nomination.unit_id),
        kind="honour.revoked",
        title=_("%(name)s荣誉已撤销") % {"name": nomination.candidate_name},
        url=reverse("honours:nomination_detail", args=[nomination.pk]),
    )
    return nomination
