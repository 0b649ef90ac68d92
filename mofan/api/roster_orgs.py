"""Roster sync of a committee's units and of a unit's party organisations (the companions of
`roster.py`'s members): the same rules — every row checked first, faults by row number in
Chinese, all or nothing, audited as the pages' writes. Units are written set-wise
(`units_save_many`: a province's 5,000 units took 23 s row by row, now about a second and a
half; unchanged rows are left alone); party organisations, tens per unit and each one's parent
resolved by the rows before it, through the page's `party_org_save` row by row. Rows match
existing ones by name; nothing is deleted. The request runs the checks, a worker the syncs
(`roster_tasks.py`)."""

# No `from __future__ import annotations`: django-ninja reads the signatures at run time.
import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.api.roster import FIRST_ROW, MAX_ROWS, RosterRefused, choice
from mofan.api.schemas import PartyOrgRow, UnitRow
from mofan.organizations.models import (
    Committee,
    PartyOrganization,
    PartyOrgKind,
    Unit,
    UnitCategory,
)
from mofan.organizations.services import check_party_org, party_org_save, units_save_many


def _bounded(rows: list[Any]) -> None:
    if not rows:
        raise RosterRefused([{"row": FIRST_ROW, "message": _("没有数据行。")}])
    if len(rows) > MAX_ROWS:
        raise RosterRefused(
            [{"row": FIRST_ROW, "message": _("一次最多 %(n)s 行。") % {"n": MAX_ROWS}}]
        )


def _messages(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def units_check(committee: Committee, rows: list[UnitRow]) -> list[Unit]:
    _bounded(rows)
    existing = {u.name: u for u in Unit.objects.filter(committee=committee)}
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    codes: dict[str, int] = {}  # credit code -> its first row
    units = []
    for number, row in enumerate(rows, start=FIRST_ROW):
        faults: list[str] = []
        name = row.name.strip()
        if name in seen:
            faults.append(_("单位全称与第 %(n)s 行重复。") % {"n": seen[name]})
        seen.setdefault(name, number)
        unit = existing.get(name) or Unit(committee=committee)
        unit.name, unit.short_name = name, row.short_name.strip()
        unit.credit_code = row.credit_code.strip().upper()
        category = choice(UnitCategory, row.category or str(UnitCategory.GOVERNMENT.label))
        if category is None:
            faults.append(_("单位类别“%(v)s”不在选项中。") % {"v": row.category[:20]})
        else:
            unit.category = category
        try:
            # The committee is the admin's own and the names are matched above; the credit
            # codes are checked against every unit below, in one query for the whole sheet.
            unit.full_clean(exclude=["committee"], validate_constraints=False)
        except ValidationError as exc:
            faults.extend(_messages(exc))
        if unit.credit_code:
            if unit.credit_code in codes:
                faults.append(
                    _("统一社会信用代码与第 %(n)s 行重复。") % {"n": codes[unit.credit_code]}
                )
            codes.setdefault(unit.credit_code, number)
        errors.extend({"row": number, "message": f} for f in faults)
        units.append(unit)
    holders = dict(Unit.objects.filter(credit_code__in=codes).values_list("credit_code", "pk"))
    for number, unit in enumerate(units, start=FIRST_ROW):
        holder = holders.get(unit.credit_code) if unit.credit_code else None
        if holder is not None and holder != unit.pk:
            errors.append({"row": number, "message": _("该统一社会信用代码已被其他单位使用。")})
    if errors:
        errors.sort(key=lambda e: e["row"])
        raise RosterRefused(errors)
    return units


def orgs_check(unit: Unit, rows: list[PartyOrgRow]) -> list[PartyOrganization]:
    _bounded(rows)
    known = {o.name: o for o in PartyOrganization.objects.filter(unit=unit)}
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    orgs = []
    for number, row in enumerate(rows, start=FIRST_ROW):
        faults: list[str] = []
        name = row.name.strip()
        if name in seen:
            faults.append(_("组织名称与第 %(n)s 行重复。") % {"n": seen[name]})
        seen.setdefault(name, number)
        org = known.get(name) or PartyOrganization(unit=unit)
        org.name = name
        kind = choice(PartyOrgKind, row.kind)
        if kind is None:
            faults.append(_("组织类型须为机关党委、党总支、党支部或党小组。"))
        else:
            org.kind = kind
        org.parent = None
        if row.parent.strip():
            org.parent = known.get(row.parent.strip())
            if org.parent is None or org.parent is org:
                faults.append(
                    _("上级组织“%(v)s”不存在（须已有，或在本表靠前的行）。")
                    % {"v": row.parent.strip()[:100]}
                )
        org.elected_on = None
        if row.elected_on.strip():
            try:
                org.elected_on = datetime.date.fromisoformat(row.elected_on.strip())
            except ValueError:
                faults.append(_("选举日期须为 YYYY-MM-DD。"))
        if not faults:
            try:
                check_party_org(org)
                org.full_clean(exclude=["parent", "unit", "secretary"])
            except ValidationError as exc:
                faults.extend(_messages(exc))
        known[name] = org  # a later row may name it as its parent
        errors.extend({"row": number, "message": f} for f in faults)
        orgs.append(org)
    if errors:
        raise RosterRefused(errors)
    return orgs


@transaction.atomic
def units_sync(*, committee: Committee, rows: list[UnitRow], actor: Actor) -> tuple[int, int, int]:
    """(created, updated, unchanged)."""
    units = units_check(committee, rows)
    created, updated = units_save_many(committee=committee, units=units, actor=actor)
    return created, updated, len(units) - created - updated


@transaction.atomic
def orgs_sync(*, unit: Unit, rows: list[PartyOrgRow], actor: Actor) -> tuple[int, int]:
    orgs = orgs_check(unit, rows)
    created = sum(1 for o in orgs if o.pk is None)
    for org in orgs:  # in sheet order: a parent is saved before its children
        party_org_save(org=org, committee_members=None, actor=actor)
    return created, len(orgs) - created
