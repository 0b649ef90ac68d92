"""The writes of honour programmes: `programme_create`, `programme_update` (draft only) and the
one state transition `programme_transition` (open → close nominations → publish 公示 → name;
close), each audited in its own transaction. Nominations, reviews, vetoes, objections and
revocation are in `nominations.py`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules as access
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.honours import rules
from mofan.honours.models import (
    ExpertPanel,
    HonourKind,
    HonourProgramme,
    Nomination,
    NominationState,
    Objection,
    PanelState,
    ProgrammeState,
)
from mofan.notifications.recipients import units_people
from mofan.notifications.services import notify
from mofan.organizations.models import Committee, Unit

FIELDS = (
    "name",
    "kind",
    "year",
    "quota_kind",
    "quota_value",
    "per_unit_limit",
    "campaign",
    "eligible_grades",
    "require_file_card",
    "exclude_yellow_card",
    "required_post",
    "appraisal_level",
    "materials",
    "publicity_days",
    "publicity_contact",
)


def require_admin(actor: Actor, committee_id: int) -> None:
    if not access.administers(actor, committee_id):
        raise PermissionDenied(_("只有本工委管理员可以管理评选。"))


def snapshot(programme: HonourProgramme) -> dict[str, Any]:
    values = {name: getattr(programme, name) for name in FIELDS if name != "campaign"}
    values["campaign"] = programme.campaign_id
    values["state"] = programme.state
    return values


def check(programme: HonourProgramme) -> None:
    if programme.campaign_id and programme.campaign.committee_id != programme.committee_id:
        raise ValidationError(_("所依据的创建活动不属于本工委。"))
    if programme.kind == HonourKind.UNIT and programme.grades() and not programme.campaign_id:
        raise ValidationError(_("按审定等次评选单位时，请选择所依据的创建活动。"))
    if programme.appraisal_level and programme.kind != HonourKind.PERSON:
        raise ValidationError(_("述职评议结果要求只适用于个人评选。"))
    if programme.quota_kind == "share" and not 1 <= programme.quota_value <= 100:
        raise ValidationError(_("名额比例须在1%%至100%%之间。"))
    if programme.quota_value < 1 or programme.per_unit_limit < 1:
        raise ValidationError(_("名额和每单位推荐名额至少为1。"))
    if not 1 <= programme.publicity_days <= 30:
        raise ValidationError(_("公示天数须在1至30天之间。"))


@transaction.atomic
def programme_create(
    *, committee: Committee, values: dict[str, Any], actor: Actor
) -> HonourProgramme:
    """A new programme (a draft) of the committee."""
    require_admin(actor, committee.pk)
    programme = HonourProgramme(committee=committee, created_by=actor.user)
    for name in FIELDS:
        if name in values:
            setattr(programme, name, values[name])
    check(programme)
    programme.save()
    audit_record(
        action="honour.programme.create",
        actor=actor.user,
        target=programme,
        committee_id=committee.pk,
        after=snapshot(programme),
    )
    return programme


@transaction.atomic
def programme_update(
    *, programme: HonourProgramme, values: dict[str, Any], actor: Actor
) -> HonourProgramme:
    """Change a draft programme's settings (once open, its rules stand)."""
    programme = HonourProgramme.objects.select_for_update().get(pk=programme.pk)
    require_admin(actor, programme.committee_id)
    if programme.state != ProgrammeState.DRAFT:
        raise ValidationError(_("评选已开始，不能再修改设置。"))
    before = snapshot(programme)
    for name in FIELDS:
        if name in values:
            setattr(programme, name, values[name])
    check(programme)
    programme.version += 1
    programme.save()
    audit_record(
        action="honour.programme.update",
        actor=actor.user,
        target=programme,
        committee_id=programme.committee_id,
        before=before,
        after=snapshot(programme),
    )
    return programme


def selection_of(programme: HonourProgramme) -> rules.Selection:
    """The selection the rules give for the programme's nominations as they stand."""
    nominations = list(
        programme.nominations.filter(
            state__in=(NominationState.NOMINATED, NominationState.SELECTED)
        ).prefetch_related("vetoes")
    )
    candidates = [
        rules.Candidate(n.pk, n.score, any(v.vetoes for v in n.vetoes.all())) for n in nominations
    ]
    quota = rules.quota_of(programme.quota_kind, programme.quota_value, len(candidates))
    return rules.select(candidates, quota, programme.tie_choice)


def _tell_units(programme: HonourProgramme, title: str, url: str) -> None:
    unit_ids = Unit.objects.filter(committee_id=programme.committee_id, is_active=True).values_list(
        "pk", flat=True
    )
    people = [user for users in units_people(unit_ids).values() for user in users]
    notify(recipients=people, kind=f"honour.{programme.state}", title=title, url=url)


def _publish(programme: HonourProgramme, today: dt.date) -> dict[str, Any]:
    if ExpertPanel.objects.filter(programme=programme, state=PanelState.SCORING).exists():
        raise ValidationError(_("专家评审组尚未结束评分，不能公示。"))
    selection = selection_of(programme)
    if selection.unscored:
        raise ValidationError(_("还有推荐对象未评分，不能公示。"))
    if selection.tied:
        raise ValidationError(_("名额线上有同分的推荐对象，请先确定入选人选。"))
    programme.nominations.filter(pk__in=selection.named).update(state=NominationState.SELECTED)
    # the rest (a 先进单位 programme's candidates start 拟命名: a vetoed one leaves the list here)
    programme.nominations.filter(
        state__in=(NominationState.NOMINATED, NominationState.SELECTED)
    ).exclude(pk__in=selection.named).update(state=NominationState.NOT_SELECTED)
    programme.publicity_start = today
    programme.publicity_end = today + dt.timedelta(days=programme.publicity_days)
    return {"selected": list(selection.named), "vetoed": list(selection.vetoed)}


def _name(programme: HonourProgramme, today: dt.date, document_number: str) -> dict[str, Any]:
    if programme.publicity_end is None or today < programme.publicity_end:
        raise ValidationError(_("公示期未满，不能命名。"))
    if not document_number.strip():
        raise ValidationError(_("请填写命名文号。"))
    selected = programme.nominations.filter(state=NominationState.SELECTED)
    if Objection.objects.filter(nomination__in=selected, upheld__isnull=True).exists():
        raise ValidationError(_("还有公示异议未处理，不能命名。"))
    upheld = list(selected.filter(objections__upheld=True).values_list("pk", flat=True))
    selected.filter(pk__in=upheld).update(state=NominationState.NOT_SELECTED)
    named = list(selected.values_list("pk", flat=True))
    selected.update(state=NominationState.NAMED)
    programme.named_on = today
    programme.document_number = document_number.strip()[:100]
    return {"named": named, "objection_upheld": upheld, "document_number": document_number}


TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "open": ((ProgrammeState.DRAFT,), ProgrammeState.NOMINATING),
    "review": ((ProgrammeState.NOMINATING,), ProgrammeState.REVIEWING),
    "publish": ((ProgrammeState.REVIEWING,), ProgrammeState.PUBLICITY),
    "name": ((ProgrammeState.PUBLICITY,), ProgrammeState.NAMED),
    "close": (
        (
            ProgrammeState.DRAFT,
            ProgrammeState.NOMINATING,
            ProgrammeState.REVIEWING,
            ProgrammeState.PUBLICITY,
        ),
        ProgrammeState.CLOSED,
    ),
}


@transaction.atomic
def programme_transition(
    *,
    programme: HonourProgramme,
    action: str,
    actor: Actor,
    document_number: str = "",
    reason: str = "",
    today: dt.date | None = None,
) -> HonourProgramme:
    """The one state change of a programme: `open` (units may nominate; their admins and
    leaders are told), `review` (nominations close), `publish` (the selection within the quota
    goes on the 公示 list for the programme's days; refused while a candidate is unscored or a
    tie waits), `name` (after 公示, with every objection resolved and the document number: the
    selected minus upheld objections are named), `close` (ended without naming, with a reason)."""
    programme = HonourProgramme.objects.select_for_update().get(pk=programme.pk)
    require_admin(actor, programme.committee_id)
    if action not in TRANSITIONS:
        raise ValidationError(_("未知操作。"))
    sources, target = TRANSITIONS[action]
    if programme.state not in sources:
        raise ValidationError(_("评选当前状态下不能进行此操作。"))
    today = today or timezone.localdate()
    before = programme.state
    details: dict[str, Any] = {}
    if action == "open" and not Unit.objects.filter(committee_id=programme.committee_id).exists():
        raise ValidationError(_("本工委还没有单位。"))
    if action == "publish":
        details = _publish(programme, today)
    elif action == "name":
        details = _name(programme, today, document_number)
    elif action == "close":
        if not reason.strip():
            raise ValidationError(_("请说明终止原因。"))
        programme.close_reason = reason.strip()
        details = {"reason": programme.close_reason}
    programme.state = target
    programme.version += 1
    programme.save()
    audit_record(
        action=f"honour.programme.{action}",
        actor=actor.user,
        target=programme,
        committee_id=programme.committee_id,
        before={"state": before},
        after={"state": target, **details},
    )
    url = reverse("honours:programme_detail", args=[programme.pk])
    if action == "open":
        _tell_units(programme, _("%(name)s开始推荐") % {"name": programme.name}, url)
    elif action == "publish":
        url = reverse("honours:publicity", args=[programme.pk])
        _tell_units(programme, _("%(name)s拟命名名单公示") % {"name": programme.name}, url)
    elif action == "name":
        _tell_units(programme, _("%(name)s命名结果") % {"name": programme.name}, url)
    return programme


def nominations_left(programme: HonourProgramme, unit: Unit) -> int:
    """How many more the unit may put forward."""
    used = Nomination.objects.filter(programme=programme, unit=unit).count()
    return max(0, programme.per_unit_limit - used)
