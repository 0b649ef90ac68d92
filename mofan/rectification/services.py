"""Writes of problem-list items. `problem_item_create` is how every source (a reviewer's finding,
a committee check, a spot check, a survey, a self-check, a 约谈, a yellow card, a failing result)
puts an item on a unit's list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.evaluations.models import Finding
from mofan.evidence.models import Evidence
from mofan.indicators.models import IndicatorNode
from mofan.notifications.recipients import committee_people, unit_people
from mofan.notifications.services import notify
from mofan.organizations.models import PartyOrganization, Unit
from mofan.rectification.models import (
    ProblemEvent,
    ProblemItem,
    ProblemSource,
    ProblemState,
    Severity,
)
from mofan.rectification.rereview import rereview_on_item_closed
from mofan.rectification.selectors import FINDING_ORIGIN

# Sources a unit may use for its own list; every other source is the committee's.
UNIT_SOURCES = frozenset({ProblemSource.SELF_CHECK, ProblemSource.PEER})


# Sources whose caller checks the right to list the item itself and says so with
# `authorised_by`: a spot check's drawn inspector lists what the visit found.
DELEGATED_SOURCES = frozenset({ProblemSource.SPOT_CHECK})


def _may_create(actor: Actor | None, unit: Unit, source: str, authorised_by: str = "") -> bool:
    if actor is None:  # the system itself (automatic lists from results)
        return source == ProblemSource.RESULT
    if authorised_by and source in DELEGATED_SOURCES:
        return True
    if rules.administers(actor, unit.committee_id):
        return True
    return source in UNIT_SOURCES and rules.is_unit_admin_of(actor, unit.pk)


def _check_item(
    *,
    unit: Unit,
    description: str,
    campaign: Campaign | None,
    node: IndicatorNode | None,
    party_org: PartyOrganization | None,
) -> None:
    """A new item's fields (after the permission check): a description, and a campaign,
    indicator and party organisation that belong to the unit."""
    if not description.strip():
        raise ValidationError(_("请填写问题描述。"))
    if campaign is not None and campaign.committee_id != unit.committee_id:
        raise ValidationError(_("创建活动不属于该单位所在工委。"))
    if node is not None and (campaign is None or node.version_id != campaign.indicator_version_id):
        raise ValidationError(_("所选指标不属于该创建活动的指标体系。"))
    if party_org is not None and party_org.unit_id != unit.pk:
        raise ValidationError(_("所选党组织不属于该单位。"))


@transaction.atomic
def problem_item_create(
    *,
    unit: Unit,
    source: str,
    description: str,
    deadline: date,
    actor: Actor | None,
    severity: str = Severity.GENERAL,
    required_measures: str = "",
    responsible_person: str = "",
    campaign: Campaign | None = None,
    node: IndicatorNode | None = None,
    party_org: PartyOrganization | None = None,
    origin: tuple[str, int] | None = None,
    one_per_origin: bool = True,
    authorised_by: str = "",
) -> ProblemItem:
    """Put one item on a unit's problem list (audited; the unit's admin and leader are told).

    `origin` names what the item was made from, e.g. ("evaluations.finding", 12); an origin
    (with its indicator) makes at most one item unless `one_per_origin=False` (a yellow card
    lists several problems of one organisation). `actor=None` is the system (source `result`).
    `authorised_by` names the check a calling service has already made for a delegated source
    (e.g. "spotcheck.inspector": the actor is drawn for this unit in that draw); it is recorded
    in the audit entry."""
    if source not in ProblemSource.values:
        raise ValidationError(_("问题来源无效。"))
    if severity not in Severity.values:
        raise ValidationError(_("严重程度无效。"))
    if not _may_create(actor, unit, source, authorised_by):
        raise PermissionDenied(_("您无权为该单位列入此类问题。"))
    _check_item(
        unit=unit,
        description=description,
        campaign=campaign,
        node=node,
        party_org=party_org,
    )
    origin_type, origin_id = origin if origin else ("", None)
    if (
        origin_type
        and one_per_origin
        and (
            ProblemItem.objects.filter(origin_type=origin_type, origin_id=origin_id, node=node)
            .select_for_update()
            .exists()
        )
    ):
        raise ValidationError(_("该问题已列入问题清单。"))
    user = actor.user if actor else None
    item = ProblemItem.objects.create(
        committee_id=unit.committee_id,
        unit=unit,
        party_org=party_org,
        campaign=campaign,
        node=node,
        source=source,
        origin_type=origin_type,
        origin_id=origin_id,
        description=description.strip(),
        severity=severity,
        required_measures=required_measures.strip(),
        responsible_person=responsible_person.strip(),
        deadline=deadline,
        created_by=user,
    )
    ProblemEvent.objects.create(item=item, from_state="", to_state=ProblemState.OPEN, actor=user)
    audit_record(
        action="problem.create",
        actor=user,
        actor_name="" if user else "system",
        target=item,
        committee_id=unit.committee_id,
        after=_created_entry(item),
        extra={"authorised_by": authorised_by} if authorised_by else None,
    )
    _tell_unit_new(item)
    return item


def _created_entry(item: ProblemItem) -> dict[str, Any]:
    return {
        "unit": item.unit_id,
        "source": item.source,
        "origin": f"{item.origin_type}:{item.origin_id}" if item.origin_type else "",
        "node": item.node.code if item.node else "",
        "severity": item.severity,
        "deadline": item.deadline.isoformat(),
    }


def _tell_unit_new(item: ProblemItem) -> None:
    notify(
        recipients=unit_people(item.unit_id),
        kind="problem.new",
        title=_("新的问题清单项：%(d)s") % {"d": item.description[:30]},
        body=_("整改时限：%(date)s。请制定整改措施并报工委。")
        % {"date": item.deadline.isoformat()},
        url=reverse("rectification:item_detail", args=[item.pk]),
        key=f"problem:{item.pk}:new",
    )


# --- the one state-transition function -------------------------------------------------------

S = ProblemState
UNIT = "unit"  # the admin or leader of the item's unit
COMMITTEE = "committee_admin"  # an admin of the item's committee

# action: (from state, to state, who)
TRANSITIONS: dict[str, tuple[str, str, str]] = {
    "submit_measures": (S.OPEN, S.MEASURES_SUBMITTED, UNIT),
    "accept_measures": (S.MEASURES_SUBMITTED, S.IN_PROGRESS, COMMITTEE),
    "return_measures": (S.MEASURES_SUBMITTED, S.OPEN, COMMITTEE),
    "report_done": (S.IN_PROGRESS, S.REPORTED_DONE, UNIT),
    "verify": (S.REPORTED_DONE, S.CLOSED, COMMITTEE),
    "reopen": (S.REPORTED_DONE, S.IN_PROGRESS, COMMITTEE),
}
NEEDS_REASON = frozenset({"return_measures", "reopen"})

ACTION_LABELS: dict[str, Any] = {
    "submit_measures": gettext_lazy("报送整改措施"),
    "accept_measures": gettext_lazy("同意整改措施"),
    "return_measures": gettext_lazy("退回整改措施"),
    "report_done": gettext_lazy("报告整改完成"),
    "verify": gettext_lazy("验收销号"),
    "reopen": gettext_lazy("退回重新整改"),
}


def may_act(actor: Actor, who: str, item: ProblemItem) -> bool:
    if who == UNIT:
        return rules.reads_unit(actor, item.unit_id)
    if who == COMMITTEE:
        return rules.administers(actor, item.committee_id)
    return False


def actions_for(actor: Actor, item: ProblemItem) -> list[str]:
    """The actions the actor may take on the item in its current state."""
    return [
        action
        for action, (source, _target, who) in TRANSITIONS.items()
        if item.state == source and may_act(actor, who, item)
    ]


def may_update(actor: Actor, item: ProblemItem) -> bool:
    return item.state != S.CLOSED and may_act(actor, COMMITTEE, item)


def _locked(item: ProblemItem, expected_version: int | None) -> ProblemItem:
    current = ProblemItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
    if expected_version is not None and expected_version != current.version:
        raise ValidationError(
            _("该问题已被他人于您打开页面后处理（现为“%(state)s”），请刷新后重试。")
            % {"state": current.get_state_display()},
            code="stale",
        )
    return current


def _save(item: ProblemItem, **fields: object) -> ProblemItem:
    """Write the fields and bump the version, refusing a write raced in between."""
    updated = ProblemItem.objects.filter(pk=item.pk, version=item.version).update(
        version=F("version") + 1, **fields
    )
    if updated != 1:
        raise ValidationError(_("该问题刚被他人处理，请刷新后重试。"), code="stale")
    item.refresh_from_db()
    return item


def _evidence_of(item: ProblemItem, evidence_ids: Iterable[int]) -> list[Evidence]:
    ids = {int(pk) for pk in evidence_ids}
    files = list(Evidence.objects.filter(pk__in=ids, unit_id=item.unit_id).order_by("pk"))
    if len(files) != len(ids):
        raise ValidationError(_("只能选择本单位佐证材料库中的文件。"))
    return files


def _item_url(item: ProblemItem) -> str:
    return reverse("rectification:item_detail", args=[item.pk])


def _notify_transition(item: ProblemItem, action: str, reason: str) -> None:
    short = item.description[:30]
    key = f"problem:{item.pk}:{action}:{item.version}"
    unit_name = item.unit.name
    to_committee = {
        "submit_measures": (
            "problem.measures_submitted",
            _("%(unit)s报送整改措施：%(d)s"),
            _("请审核整改措施，同意后单位即按措施整改，或写明理由退回。"),
        ),
        "report_done": (
            "problem.reported_done",
            _("%(unit)s报告整改完成：%(d)s"),
            _("请核查整改情况和佐证材料，验收销号或退回重新整改。"),
        ),
    }
    if action in to_committee:
        kind, title, body = to_committee[action]
        notify(
            recipients=committee_people(item.committee_id),
            kind=kind,
            title=title % {"unit": unit_name, "d": short},
            body=body,
            url=_item_url(item),
            key=key,
        )
        return
    messages = {
        "accept_measures": (
            _("整改措施已同意：%(d)s"),
            _("请按措施抓好整改，完成后报告整改情况。整改时限：%(date)s。"),
        ),
        "return_measures": (
            _("整改措施被退回：%(d)s"),
            _("退回理由：%(reason)s。请修改后重新报送。"),
        ),
        "verify": (_("问题已验收销号：%(d)s"), _("工委已核查整改情况，该问题已销号。")),
        "reopen": (
            _("整改未通过验收：%(d)s"),
            _("退回理由：%(reason)s。请继续整改后重新报告。"),
        ),
    }
    if action not in messages:
        return
    title, body = messages[action]
    notify(
        recipients=unit_people(item.unit_id),
        kind=f"problem.{action}",
        title=title % {"d": short},
        body=body % {"reason": reason, "date": item.deadline.isoformat()},
        url=_item_url(item),
        key=key,
    )


@transaction.atomic
def problem_item_transition(
    *,
    item: ProblemItem,
    action: str,
    actor: Actor,
    expected_version: int | None = None,
    measures: str = "",
    report: str = "",
    evidence_ids: Iterable[int] = (),
    reason: str = "",
) -> ProblemItem:
    """Move an item one step through its life (see TRANSITIONS): check the state and who may do
    it, save under the optimistic version check, record the event, audit and notify.

    `expected_version` is the version the actor's page showed (None: whatever is stored).
    `report_done` makes `evidence_ids` (files of the unit's own store) the item's evidence,
    replacing what an earlier report named; `verify` closes the item and calls
    `rereview_on_item_closed` in the same transaction."""
    if action not in TRANSITIONS:
        raise ValidationError(_("未知的操作。"))
    source, target, who = TRANSITIONS[action]
    if not may_act(actor, who, item):  # unit and committee never change: checked first
        raise PermissionDenied(_("您无权进行此操作。"))
    item = _locked(item, expected_version)
    if item.state != source:
        raise ValidationError(
            _("该问题当前为“%(state)s”，不能%(action)s。")
            % {"state": item.get_state_display(), "action": ACTION_LABELS[action]}
        )
    measures, report, reason = measures.strip(), report.strip(), reason.strip()
    if action in NEEDS_REASON and not reason:
        raise ValidationError(_("请写明退回理由。"))
    before: dict[str, object] = {"state": item.state}
    after: dict[str, object] = {"state": target}
    fields: dict[str, object] = {"state": target, "state_changed_at": timezone.now()}
    note = reason
    files: list[Evidence] = []
    if action == "submit_measures":
        if not measures:
            raise ValidationError(_("请填写整改措施。"))
        before["measures"], after["measures"] = item.measures, measures
        fields["measures"] = note = measures
    elif action == "report_done":
        if not report:
            raise ValidationError(_("请填写整改完成情况。"))
        files = _evidence_of(item, evidence_ids)
        before["report"], after["report"] = item.done_report, report
        before["evidence"] = sorted(item.evidence.values_list("pk", flat=True))
        after["evidence"] = [f.pk for f in files]
        fields["done_report"] = note = report
    elif action in NEEDS_REASON:
        before["reason"], after["reason"] = item.reopen_reason, reason
        fields["reopen_reason"] = reason
    elif action == "verify":
        fields["closed_at"] = timezone.now()
        fields["closed_by"] = actor.user
    item = _save(item, **fields)
    if action == "report_done":
        item.evidence.set(files)
    ProblemEvent.objects.create(
        item=item, from_state=source, to_state=target, note=note, actor=actor.user
    )
    audit_record(
        action=f"problem.{action}",
        actor=actor.user,
        target=item,
        committee_id=item.committee_id,
        before=before,
        after=after,
        extra={"note": reason} if reason and action not in NEEDS_REASON else None,
    )
    _notify_transition(item, action, reason)
    if action == "verify":
        rereview_on_item_closed(item=item, actor=actor)
    return item


@transaction.atomic
def problem_item_update(
    *,
    item: ProblemItem,
    actor: Actor,
    expected_version: int | None = None,
    deadline: date | None = None,
    severity: str | None = None,
    responsible_person: str | None = None,
    reason: str = "",
) -> ProblemItem:
    """The committee admin adjusts an item that is not closed yet: its deadline (an extension is
    normal), severity or responsible person. Audited; the unit is told of a new deadline."""
    if not may_act(actor, COMMITTEE, item):
        raise PermissionDenied(_("只有工委管理员可以调整问题清单项。"))
    item = _locked(item, expected_version)
    if item.state == S.CLOSED:
        raise ValidationError(_("该问题已销号，不能再调整。"))
    if severity is not None and severity not in Severity.values:
        raise ValidationError(_("严重程度无效。"))
    changes: dict[str, tuple[object, object]] = {}
    if deadline is not None and deadline != item.deadline:
        changes["deadline"] = (item.deadline, deadline)
    if severity is not None and severity != item.severity:
        changes["severity"] = (item.severity, severity)
    if responsible_person is not None and responsible_person.strip() != item.responsible_person:
        changes["responsible_person"] = (item.responsible_person, responsible_person.strip())
    if not changes:
        return item
    item = _save(item, **{field: new for field, (_old, new) in changes.items()})

    def shown(value: object) -> object:
        return value.isoformat() if isinstance(value, date) else value

    parts = []
    if "deadline" in changes:
        parts.append(_("整改时限调整为 %(d)s") % {"d": item.deadline.isoformat()})
    if "severity" in changes:
        parts.append(_("严重程度调整为%(s)s") % {"s": item.get_severity_display()})
    if "responsible_person" in changes:
        parts.append(_("整改责任人调整为%(p)s") % {"p": item.responsible_person or "—"})
    note = "；".join(parts) + (_("（%(r)s）") % {"r": reason.strip()} if reason.strip() else "")
    ProblemEvent.objects.create(
        item=item, from_state=item.state, to_state=item.state, note=note, actor=actor.user
    )
    audit_record(
        action="problem.update",
        actor=actor.user,
        target=item,
        committee_id=item.committee_id,
        before={field: shown(old) for field, (old, _new) in changes.items()},
        after={field: shown(new) for field, (_old, new) in changes.items()},
        extra={"reason": reason.strip()} if reason.strip() else None,
    )
    if "deadline" in changes:
        notify(
            recipients=unit_people(item.unit_id),
            kind="problem.deadline",
            title=_("整改时限已调整：%(d)s") % {"d": item.description[:30]},
            body=note,
            url=_item_url(item),
            key=f"problem:{item.pk}:update:{item.version}",
        )
    return item


# --- from a reviewer's finding ----------------------------------------------------------------


@transaction.atomic
def problem_item_from_finding(
    *,
    finding: Finding,
    deadline: date,
    severity: str,
    required_measures: str,
    actor: Actor,
    responsible_person: str = "",
) -> ProblemItem:
    """List a reviewer's finding (marked 列为问题) on the unit's problem list: the committee
    admin's decision, one item per finding."""
    finding = Finding.objects.select_related("assignment__enrollment__campaign", "node").get(
        pk=finding.pk
    )
    enrollment = finding.assignment.enrollment
    campaign = enrollment.campaign
    if not rules.administers(actor, campaign.committee_id):
        raise PermissionDenied(_("只有本工委管理员可以将评审发现列入问题清单。"))
    if not finding.is_problem:
        raise ValidationError(_("评审员未将该发现列为问题。"))
    return problem_item_create(
        unit=Unit.objects.get(pk=enrollment.unit_id),
        source=ProblemSource.REVIEW_FINDING,
        description=finding.text,
        deadline=deadline,
        actor=actor,
        severity=severity,
        required_measures=required_measures,
        responsible_person=responsible_person,
        campaign=campaign,
        node=finding.node,
        origin=(FINDING_ORIGIN, finding.pk),
    )


@transaction.atomic
def problem_items_from_findings(
    *, findings: Iterable[Finding], today: date, actor: Actor
) -> list[ProblemItem]:
    """The board's bulk action: every given finding (marked 列为问题, not listed yet) onto its
    unit's list at once, each with its campaign's rectification period and general severity.
    All or nothing; one summary audit entry besides each item's."""
    findings = list(findings)
    if not findings:
        raise ValidationError(_("没有待列入的评审发现。"))
    made = []
    for finding in findings:
        days = finding.assignment.enrollment.campaign.rectify_days
        made.append(
            problem_item_from_finding(
                finding=finding,
                deadline=today + timedelta(days=days),
                severity="general",
                required_measures="",
                actor=actor,
            )
        )
    committees = {item.committee_id for item in made}
    for committee_id in sorted(committees):
        audit_record(
            action="problem.bulk_from_findings",
            actor=actor.user,
            committee_id=committee_id,
            after={
                "items": [item.pk for item in made if item.committee_id == committee_id],
                "findings": [
                    f.pk
                    for f, item in zip(findings, made, strict=True)
                    if item.committee_id == committee_id
                ],
            },
        )
    return made
