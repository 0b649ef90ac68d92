"""Writes of the activity ledger, each audited in its own transaction: records (by the unit's
联络员 or 单位领导, and a linked 党员's own one-person records by that 党员) and the committee's
own kinds (by its 工委管理员)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.roles import UNIT_READERS
from mofan.activities.events import announce
from mofan.activities.models import ActivityKind, ActivityRecord, Attendance, Hours, Participation
from mofan.activities.selectors import own_member
from mofan.audit.services import audit_delete, audit_record, audit_record_many
from mofan.evidence.models import Evidence
from mofan.organizations.models import Committee, Member, PartyOrganization

EARLIEST = datetime.date(2000, 1, 1)
MAX_HOURS = Decimal(200)


@dataclass
class RecordInput:
    """What a record says: the form's cleaned data, checked again here."""

    party_org: PartyOrganization
    kind: ActivityKind
    held_on: datetime.date
    topic: str
    hours: Decimal | None = None
    political_theory: bool | None = None
    minutes: str = ""
    present: list[int] = field(default_factory=list)  # member ids
    absent: dict[int, str] = field(default_factory=dict)  # member id -> reason
    evidence: list[int] = field(default_factory=list)  # evidence ids


def _check_writer(actor: Actor, org: PartyOrganization) -> None:
    if org.unit_id not in actor.units_with(*UNIT_READERS):
        raise PermissionDenied(_("只有本单位联络员或单位领导可以记录本单位的活动。"))


def _writes_as_unit(actor: Actor, unit_id: int) -> bool:
    return unit_id in actor.units_with(*UNIT_READERS)


def _member_writer(actor: Actor, *, unit_id: int) -> Member:
    """The actor's own roster row, when the actor writes as a linked 党员 of that unit."""
    member = own_member(actor)
    if member is None or member.unit_id != unit_id:
        raise PermissionDenied(_("只有本单位联络员或单位领导可以记录本单位的活动。"))
    return member


def _check_own_person(member: Member, kind: ActivityKind, people: Iterable[int]) -> None:
    """A 党员 writes only one-person records of themself."""
    if kind.attendance != Attendance.PERSON:
        raise PermissionDenied(_("党员只能记录本人的志愿服务、调研、培训等个人活动。"))
    if set(people) != {member.pk}:
        raise PermissionDenied(_("党员只能记录本人的活动，不能替他人记录。"))


def _stored_people(record: ActivityRecord) -> list[int]:
    return [pk for pk in record.participations.values_list("member_id", flat=True) if pk]


def _check_member_update(actor: Actor, record: ActivityRecord, data: RecordInput) -> RecordInput:
    """A 党员 corrects their own one-person record: the same organisation and its files (a
    member does not open the unit's evidence library); the kind may change to another
    one-person kind."""
    member = _member_writer(actor, unit_id=record.unit_id)
    _check_own_person(member, record.kind, _stored_people(record))
    _check_own_person(member, data.kind, data.present)
    if data.party_org.pk != record.party_org_id:
        raise PermissionDenied(_("党员不能更改记录所属的党组织。"))
    files = list(record.evidence.values_list("pk", flat=True))
    return replace(data, absent={}, evidence=files)


def _checked(
    data: RecordInput, *, today: datetime.date, roll: set[int] | None = None
) -> RecordInput:
    """The input as stored, or a ValidationError naming every fault (each error's `code` names
    the field it is about: kind, held_on, topic, hours, people, evidence, which the xlsx import
    turns into columns). `roll`: the unit's member ids when the caller has them already."""
    errors: list[ValidationError] = []

    def fault(code: str, message: str) -> None:
        errors.append(ValidationError(message, code=code))

    kind, org = data.kind, data.party_org
    if not kind.is_active or kind.committee_id not in (None, org.unit.committee_id):
        fault("kind", _("该活动类型不可用。"))
    if data.held_on > today:
        fault("held_on", _("日期不能晚于今天。"))
    if data.held_on < EARLIEST:
        fault("held_on", _("日期不能早于 2000 年。"))
    topic = data.topic.strip()
    if not topic:
        fault("topic", _("请填写主题。"))
    hours = data.hours if kind.hours != Hours.NONE else None
    if kind.hours == Hours.REQUIRED and not hours:
        fault("hours", _("请填写学时。"))
    if hours is not None and not (Decimal(0) < hours <= MAX_HOURS):
        fault("hours", _("学时应大于 0 且不超过 200。"))
    theory = data.political_theory if kind.theory_flag else None
    present, absent = _people(data, kind, fault)
    if roll is None:
        roll = set(Member.objects.filter(unit_id=org.unit_id).values_list("pk", flat=True))
    if (set(present) | set(absent)) - roll:
        fault("people", _("出席或缺席人员须为本单位名册中的人员。"))
    files = set(data.evidence)
    if files and files - set(
        Evidence.objects.filter(unit_id=org.unit_id).values_list("pk", flat=True)
    ):
        fault("evidence", _("只能关联本单位佐证库中的文件。"))
    if errors:
        raise ValidationError(errors)
    return RecordInput(
        party_org=org,
        kind=kind,
        held_on=data.held_on,
        topic=topic[:200],
        hours=hours,
        political_theory=theory,
        minutes=data.minutes.strip(),
        present=sorted(set(present)),
        absent=absent,
        evidence=sorted(files),
    )


def _people(
    data: RecordInput, kind: ActivityKind, fault: Callable[[str, str], None]
) -> tuple[list[int], dict[int, str]]:
    present = list(data.present)
    absent = {pk: reason.strip()[:100] for pk, reason in data.absent.items() if pk not in present}
    if kind.attendance == Attendance.NONE:
        return [], {}
    if kind.attendance == Attendance.PERSON:
        if len(set(present)) != 1:
            fault("people", _("请选择本条记录的人员（一条记录一人）。"))
        return present, {}
    if not present:
        fault("people", _("请勾选出席人员。"))
    if not kind.absence_reasons:
        absent = {pk: "" for pk in absent}
    return present, absent


def _snapshot(record: ActivityRecord) -> dict[str, Any]:
    rows = list(record.participations.values_list("member_id", "present", "absence_reason"))
    return {
        "party_org": record.party_org_id,
        "kind": record.kind.code,
        "held_on": record.held_on.isoformat(),
        "topic": record.topic,
        "hours": None if record.hours is None else str(record.hours),
        "political_theory": record.political_theory,
        "minutes": record.minutes,
        "present": sorted(pk for pk, here, _r in rows if here),
        "absent": {str(pk): reason for pk, here, reason in sorted(rows) if not here},
        "evidence": sorted(record.evidence.values_list("pk", flat=True)),
    }


def _write_people(record: ActivityRecord, data: RecordInput) -> None:
    # Those who left the roll stay on the record as they were; the others are written anew.
    record.participations.filter(member__isnull=False).delete()
    names = dict(
        Member.objects.filter(pk__in=[*data.present, *data.absent]).values_list("pk", "name")
    )
    Participation.objects.bulk_create(
        [
            Participation(record=record, member_id=pk, name=names[pk], present=True)
            for pk in data.present
        ]
        + [
            Participation(
                record=record,
                member_id=pk,
                name=names[pk],
                present=False,
                absence_reason=reason,
            )
            for pk, reason in sorted(data.absent.items())
        ]
    )
    record.evidence.set(data.evidence)


@transaction.atomic
def activity_record_create(
    *, data: RecordInput, actor: Actor, today: datetime.date | None = None
) -> ActivityRecord:
    """Record something the unit's organisation or one of its people did: by the unit's
    联络员 or 单位领导, or by a linked 党员 for themself (a one-person kind, their own roster
    row's party organisation, no files)."""
    if not _writes_as_unit(actor, data.party_org.unit_id):
        member = _member_writer(actor, unit_id=data.party_org.unit_id)
        _check_own_person(member, data.kind, data.present)
        if member.party_org_id is None or data.party_org.pk != member.party_org_id:
            raise PermissionDenied(_("党员只能以本人所在党组织记录活动。"))
        data = replace(data, absent={}, evidence=[])
    data = _checked(data, today=today or timezone.localdate())
    record = _new_record(data, actor)
    record.save()
    _write_people(record, data)
    announce([record.unit_id])
    audit_record(
        action="activity.create",
        actor=actor.user,
        target=record,
        committee_id=record.committee_id,
        after=_snapshot(record),
    )
    return record


@transaction.atomic
def activity_record_update(
    *,
    record: ActivityRecord,
    data: RecordInput,
    expected_version: int,
    actor: Actor,
    today: datetime.date | None = None,
) -> ActivityRecord:
    """Correct a record (optimistic: refused when somebody else changed it first)."""
    record = ActivityRecord.objects.select_for_update().select_related("kind").get(pk=record.pk)
    if _writes_as_unit(actor, record.unit_id):
        if data.party_org.unit_id != record.unit_id:
            raise ValidationError(_("不能把记录改到其他单位。"))
        _check_writer(actor, data.party_org)
    else:
        data = _check_member_update(actor, record, data)
    data = _checked(data, today=today or timezone.localdate())
    if record.version != expected_version:
        raise ValidationError(_("该记录已被他人修改，请刷新后再改。"))
    before = _snapshot(record)
    ActivityRecord.objects.filter(pk=record.pk).update(
        party_org=data.party_org,
        kind=data.kind,
        held_on=data.held_on,
        topic=data.topic,
        hours=data.hours,
        political_theory=data.political_theory,
        minutes=data.minutes,
        updated_at=timezone.now(),
        version=F("version") + 1,
    )
    record.refresh_from_db()
    _write_people(record, data)
    announce([record.unit_id])
    audit_record(
        action="activity.update",
        actor=actor.user,
        target=record,
        committee_id=record.committee_id,
        before=before,
        after=_snapshot(record),
    )
    return record


@transaction.atomic
def activity_record_delete(*, record: ActivityRecord, actor: Actor) -> None:
    record = ActivityRecord.objects.select_for_update().select_related("kind").get(pk=record.pk)
    if not _writes_as_unit(actor, record.unit_id):
        member = _member_writer(actor, unit_id=record.unit_id)
        _check_own_person(member, record.kind, _stored_people(record))
    before = _snapshot(record)
    unit_id = record.unit_id
    audit_delete(target=record, action="activity.delete", actor=actor.user, before=before)
    announce([unit_id])


def record_key(data: RecordInput) -> tuple[int, int, datetime.date, str]:
    """What makes two records the same one: organisation, kind, date and topic."""
    return (data.party_org.pk, data.kind.pk, data.held_on, data.topic.strip()[:200])


def recorded_keys(rows: Sequence[RecordInput]) -> set[tuple[int, int, datetime.date, str]]:
    """The keys of `rows` already in the ledger (one query)."""
    if not rows:
        return set()
    found = ActivityRecord.objects.filter(
        party_org_id__in={r.party_org.pk for r in rows},
        kind_id__in={r.kind.pk for r in rows},
        held_on__in={r.held_on for r in rows},
    ).values_list("party_org_id", "kind_id", "held_on", "topic")
    return set(found) & {record_key(r) for r in rows}


@transaction.atomic
def activity_records_import(
    *,
    rows: Sequence[RecordInput],
    source: str,
    actor: Actor,
    today: datetime.date | None = None,
) -> list[ActivityRecord]:
    """Record a sheet's rows (`mofan.activities.importing`) all or nothing: each through the
    checks of `activity_record_create` and with its own ``activity.create`` entry, none already
    in the ledger or twice in the sheet, then one ``activity.import`` entry for the whole. Set-wise
    (a term's sheet may hold 2,000 rows): a fixed number of queries whatever the rows."""
    if not rows:
        raise ValidationError(_("没有可导入的记录。"))
    keys = [record_key(r) for r in rows]
    # Two uploads of the same sheet at once: the second waits here, then finds the first's rows.
    list(
        PartyOrganization.objects.select_for_update()
        .filter(pk__in={r.party_org.pk for r in rows})
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(set(keys)) != len(keys) or recorded_keys(rows):
        raise ValidationError(_("表中有重复记录或已登记过的记录，未导入。"))
    today = today or timezone.localdate()
    units = {r.party_org.unit_id for r in rows}
    rolls: dict[int, set[int]] = {u: set() for u in units}
    names: dict[int, str] = {}
    for pk, unit_id, name in Member.objects.filter(unit_id__in=units).values_list(
        "pk", "unit_id", "name"
    ):
        rolls[unit_id].add(pk)
        names[pk] = name
    checked = []
    for data in rows:
        _check_writer(actor, data.party_org)
        checked.append(_checked(data, today=today, roll=rolls[data.party_org.unit_id]))
    records = ActivityRecord.objects.bulk_create([_new_record(d, actor) for d in checked])
    _bulk_people(records, checked, names)
    announce(units)
    audit_record_many(
        entries=[
            {
                "action": "activity.create",
                "actor": actor.user,
                "target": record,
                "committee_id": record.committee_id,
                "after": _snapshot_of(data),
            }
            for record, data in zip(records, checked, strict=True)
        ]
    )
    audit_record(
        action="activity.import",
        actor=actor.user,
        committee_id=records[0].committee_id,
        extra={"source": source[:200], "count": len(records), "records": [r.pk for r in records]},
    )
    return records


def _new_record(data: RecordInput, actor: Actor) -> ActivityRecord:
    org = data.party_org
    return ActivityRecord(
        committee_id=org.unit.committee_id,
        unit_id=org.unit_id,
        party_org=org,
        kind=data.kind,
        held_on=data.held_on,
        topic=data.topic,
        hours=data.hours,
        political_theory=data.political_theory,
        minutes=data.minutes,
        created_by=actor.user,
    )


def _bulk_people(
    records: list[ActivityRecord], rows: list[RecordInput], names: dict[int, str]
) -> None:
    """The people and linked files of new records, in one insert each."""
    people: list[Participation] = []
    links = []
    through = ActivityRecord.evidence.through
    for record, data in zip(records, rows, strict=True):
        people += [
            Participation(record=record, member_id=pk, name=names[pk], present=True)
            for pk in data.present
        ]
        people += [
            Participation(
                record=record, member_id=pk, name=names[pk], present=False, absence_reason=why
            )
            for pk, why in sorted(data.absent.items())
        ]
        links += [through(activityrecord_id=record.pk, evidence_id=pk) for pk in data.evidence]
    Participation.objects.bulk_create(people)
    through.objects.bulk_create(links)


def _snapshot_of(data: RecordInput) -> dict[str, Any]:
    """What `_snapshot` reads back from a record just written from checked `data`."""
    return {
        "party_org": data.party_org.pk,
        "kind": data.kind.code,
        "held_on": data.held_on.isoformat(),
        "topic": data.topic,
        "hours": None if data.hours is None else str(data.hours.quantize(Decimal("0.1"))),
        "political_theory": data.political_theory,
        "minutes": data.minutes,
        "present": sorted(data.present),
        "absent": {str(pk): reason for pk, reason in sorted(data.absent.items())},
        "evidence": sorted(data.evidence),
    }


# --- the committee's own kinds ------------------------------------------------------------------


@transaction.atomic
def activity_kind_create(
    *, committee: Committee, values: Mapping[str, Any], actor: Actor
) -> ActivityKind:
    """A kind of record of the committee's own (its fields chosen from the ledger's options)."""
    if not rules.administers(actor, committee.pk):
        raise PermissionDenied(_("只有本工委管理员可以添加活动类型。"))
    name = str(values.get("name", "")).strip()
    code = str(values.get("code", "")).strip()
    if not name or not code:
        raise ValidationError(_("请填写名称和代码。"))
    if ActivityKind.objects.filter(code=code, committee__isnull=True).exists() or (
        ActivityKind.objects.filter(code=code, committee=committee).exists()
    ):
        raise ValidationError(_("代码“%(c)s”已被使用。") % {"c": code})
    if values.get("attendance") not in Attendance.values or values.get("hours") not in Hours.values:
        raise ValidationError(_("出席或学时的设置无效。"))
    kind = ActivityKind.objects.create(
        committee=committee,
        code=code,
        name=name,
        group=str(values.get("group", "")).strip(),
        attendance=values["attendance"],
        absence_reasons=bool(values.get("absence_reasons")),
        hours=values["hours"],
        theory_flag=bool(values.get("theory_flag")),
        description=str(values.get("description", "")).strip(),
        sort_order=int(values.get("sort_order") or 200),
    )
    audit_record(
        action="activity_kind.create",
        actor=actor.user,
        target=kind,
        committee_id=committee.pk,
        after={
            "code": code,
            "name": name,
            "attendance": kind.attendance,
            "hours": kind.hours,
            "absence_reasons": kind.absence_reasons,
            "theory_flag": kind.theory_flag,
        },
    )
    return kind


@transaction.atomic
def activity_kind_set_active(*, kind: ActivityKind, active: bool, actor: Actor) -> ActivityKind:
    """Stop offering a committee's own kind for new records (its records stay), or offer it
    again. Built-in kinds are shared and stay."""
    if kind.committee_id is None:
        raise ValidationError(_("内置活动类型不能停用。"))
    if not rules.administers(actor, kind.committee_id):
        raise PermissionDenied(_("只有本工委管理员可以停用活动类型。"))
    before = kind.is_active
    ActivityKind.objects.filter(pk=kind.pk).update(is_active=active)
    kind.is_active = active
    audit_record(
        action="activity_kind.active",
        actor=actor.user,
        target=kind,
        committee_id=kind.committee_id,
        before={"is_active": before},
        after={"is_active": active},
    )
    return kind


def ids(values: Iterable[Any]) -> list[int]:
    """The integers among posted values (anything else is ignored)."""
    return [
        int(text)
        for text in (str(v) for v in values)
        if text.isascii() and text.isdigit() and len(text) <= 9
    ]
