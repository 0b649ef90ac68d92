"""Roster sync from the 组织部's system: a unit's member sheet as JSON rows (the xlsx columns),
checked whole first — every row's faults by row number in Chinese — and written all or
nothing through `organizations.services.members_save_many` (each row audited as the page's
edits are, set-wise: 5,000 rows in about a second and a half, a fixed number of queries).

A row matches an existing member of the unit by name (names must then be unique in the unit
and in the sheet): matched rows are updated, the others created; a row identical to what is
stored is left alone (`unchanged`), so a daily full sync writes and audits only what changed.
Members not in the sheet are left alone (removing someone stays a decision on the page).
The request runs `roster_check` and a worker `roster_sync` (`roster_tasks.py`)."""

# No `from __future__ import annotations`: django-ninja reads the signatures at run time.
import datetime
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.api.schemas import RosterRow
from mofan.organizations.models import Gender, Member, PoliticalStatus, Unit
from mofan.organizations.services import members_save_many

MAX_ROWS = 5000
FIRST_ROW = 2  # row 1 is the sheet's header


class RosterRefused(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


def choice(choices: Any, text: str) -> str | None:
    text = text.strip()
    for value, label in choices.choices:
        if text in (value, str(label)):
            return str(value)
    return None


def _member_of(
    unit: Unit, row: RosterRow, existing: dict[str, Member], orgs: dict[str, Any]
) -> tuple[Member, list[str]]:
    """The row as an unsaved member (new or matched), or a list of its faults."""
    faults: list[str] = []
    # The unit is the sheet's, the organisation one of its own (looked up below): no query per
    # row to prove that they exist. A field already refused is not refused again as empty.
    unchecked = ["unit", "party_org"]
    name = row.name.strip()
    member = existing.get(name) or Member(unit=unit)
    member.name = name
    gender = choice(Gender, row.gender)
    if gender is None:
        faults.append(_("性别须为“男”或“女”。"))
        unchecked.append("gender")
    else:
        member.gender = gender
    status = choice(PoliticalStatus, row.political_status or "中共党员")
    if status is None:
        faults.append(_("政治面貌“%(v)s”不在代码表中。") % {"v": row.political_status[:20]})
        unchecked.append("political_status")
    else:
        member.political_status = status
    member.birth_date = None
    if row.birth_date.strip():
        try:
            member.birth_date = datetime.date.fromisoformat(row.birth_date.strip())
        except ValueError:
            faults.append(_("出生日期须为 YYYY-MM-DD。"))
    member.party_org = None
    if row.party_org.strip():
        member.party_org = orgs.get(row.party_org.strip())
        if member.party_org is None:
            faults.append(_("党组织“%(v)s”不属于该单位。") % {"v": row.party_org.strip()[:100]})
    member.post = row.post.strip()
    member.phone = row.phone.strip()
    try:
        member.full_clean(exclude=unchecked)
    except ValidationError as exc:
        faults.extend(exc.messages)
    return member, faults


def roster_check(unit: Unit, rows: list[RosterRow]) -> list[Member]:
    """Every row as a member to save, or RosterRefused listing every fault by row."""
    errors: list[dict[str, Any]] = []
    if not rows:
        raise RosterRefused([{"row": FIRST_ROW, "message": _("没有数据行。")}])
    if len(rows) > MAX_ROWS:
        raise RosterRefused(
            [{"row": FIRST_ROW, "message": _("一次最多 %(n)s 行。") % {"n": MAX_ROWS}}]
        )
    current = list(Member.objects.filter(unit=unit))
    names = Counter(m.name for m in current)
    existing = {m.name: m for m in current if names[m.name] == 1}
    orgs = {o.name: o for o in unit.party_orgs.all()}
    seen: dict[str, int] = {}
    members = []
    for number, row in enumerate(rows, start=FIRST_ROW):
        name = row.name.strip()
        faults: list[str] = []
        if name in seen:
            faults.append(_("姓名与第 %(n)s 行重复。") % {"n": seen[name]})
        elif names[name] > 1:
            faults.append(_("单位中有多名同名成员，请在页面上逐一维护。"))
        seen.setdefault(name, number)
        member, more = _member_of(unit, row, existing, orgs)
        faults.extend(more)
        errors.extend({"row": number, "message": f} for f in faults)
        members.append(member)
    if errors:
        raise RosterRefused(errors)
    return members


@transaction.atomic
def roster_sync(*, unit: Unit, rows: list[RosterRow], actor: Actor) -> tuple[int, int, int]:
    """(created, updated, unchanged)."""
    members = roster_check(unit, rows)
    created, updated = members_save_many(unit=unit, members=members, actor=actor)
    return created, updated, len(members) - created - updated
