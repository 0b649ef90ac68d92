"""Account import from an xlsx sheet: validate every row first, then apply all or nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mofan.accounts.models import User
from mofan.accounts.roles import GRANTABLE_BY_COMMITTEE_ADMIN, UNIT_ROLES, Role
from mofan.accounts.services import AccountSpec
from mofan.accounts.sheets import one_sheet_workbook
from mofan.organizations.models import Committee, Unit
from mofan.organizations.validators import validate_mobile

COLUMNS = ["单位名称", "姓名", "角色", "用户名", "手机号"]
REQUIRED = ["单位名称", "姓名", "角色"]
MAX_ROWS = 5000
ROLE_BY_LABEL = {str(Role(r).label): r for r in GRANTABLE_BY_COMMITTEE_ADMIN if r in UNIT_ROLES}


@dataclass
class ImportReport:
    specs: list[AccountSpec] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.specs)


def username_for(unit: Unit, role: str, taken: set[str]) -> str:
    suffix = {Role.UNIT_ADMIN: "admin", Role.UNIT_LEADER: "leader", Role.MEMBER: "member"}[role]  # type: ignore[index]
    base = f"u{unit.pk:04d}-{suffix}"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate.lower())
    return candidate


def parse_accounts_sheet(content: bytes, *, committee: Committee) -> ImportReport:
    report = ImportReport()
    rows = _sheet_rows(content, report)
    index = _header_index(rows, report) if rows is not None else None
    if rows is None or index is None:
        return report
    units = _units_by_name(committee)
    taken = {u.lower() for u in User.objects.values_list("username", flat=True)}
    in_file: set[str] = set()
    pending: list[tuple[int, Unit, str, str, str, str]] = []
    for number, row in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            report.errors.append((number, _("行数超过上限 %(n)d。") % {"n": MAX_ROWS}))
            break
        values = {col: _cell(row, index, col) for col in COLUMNS}
        if not any(values.values()):
            continue
        problems, unit, role = _check_row(values, units=units, taken=taken, in_file=in_file)
        if problems:
            report.errors.append((number, "；".join(problems) + "。"))
        elif unit is not None and role is not None:
            pending.append((number, unit, values["姓名"], role, values["用户名"], values["手机号"]))
    if not pending and not report.errors:
        report.errors.append((2, _("表中没有需要创建的账号。")))
    if report.errors:
        return report
    # One reserved set for the whole sheet: every generated name is added to it, so two rows for
    # the same unit and role get different names.
    reserved = taken | in_file
    for _number, row_unit, full_name, row_role, username, phone in pending:
        if not username:
            username = username_for(row_unit, row_role, reserved)
        report.specs.append(
            AccountSpec(
                username=username, full_name=full_name, role=row_role, unit=row_unit, phone=phone
            )
        )
    return report


def _sheet_rows(content: bytes, report: ImportReport) -> Iterator[tuple[object, ...]] | None:
    """The first sheet's rows, or None (with the error in `report`) for an unreadable file."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        report.errors.append((0, _("无法读取该 Excel 文件，请使用下载的模板填写。")))
        return None
    return workbook.worksheets[0].iter_rows(values_only=True)


def _header_index(
    rows: Iterator[tuple[object, ...]], report: ImportReport
) -> dict[str, int] | None:
    """Read the header row: the position of each known column, or None (with the error in
    `report`) for an empty sheet or a missing required column."""
    header = next(rows, None)
    if header is None:
        report.errors.append((1, _("表格是空的。")))
        return None
    names = [str(h).strip() if h is not None else "" for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        report.errors.append((1, _("表头缺少列：%(cols)s。") % {"cols": "、".join(missing)}))
        return None
    return {name: names.index(name) for name in COLUMNS if name in names}


def _units_by_name(committee: Committee) -> dict[str, Unit]:
    """The committee's units by full name and, where no full name is the same, by short name."""
    units: dict[str, Unit] = {}
    for known in Unit.objects.filter(committee=committee):
        units[known.name] = known
        if known.short_name:
            units.setdefault(known.short_name, known)
    return units


def _cell(row: tuple[object, ...], index: dict[str, int], col: str) -> str:
    i = index.get(col)
    value = row[i] if i is not None and i < len(row) else None
    return "" if value is None else str(value).strip()


def _check_row(
    values: dict[str, str], *, units: dict[str, Unit], taken: set[str], in_file: set[str]
) -> tuple[list[str], Unit | None, str | None]:
    """The problems of one row, its unit and its role; a username it names joins `in_file`."""
    problems = []
    unit = units.get(values["单位名称"])
    if unit is None:
        problems.append(_("单位“%(u)s”不在本工委的单位名单中") % {"u": values["单位名称"]})
    full_name = values["姓名"]
    if not full_name:
        problems.append(_("姓名不能为空"))
    elif len(full_name) > 50:
        problems.append(_("姓名过长"))
    role = ROLE_BY_LABEL.get(values["角色"])
    if role is None:
        problems.append(
            _("角色“%(r)s”无效，应为：%(choices)s")
            % {"r": values["角色"], "choices": "、".join(sorted(ROLE_BY_LABEL))}
        )
    username = values["用户名"]
    if username:
        problem = _username_problem(username, taken=taken, in_file=in_file)
        if problem:
            problems.append(problem)
        in_file.add(username.lower())
    phone = values["手机号"]
    try:
        validate_mobile(phone)
    except ValidationError:
        problems.append(_("手机号“%(p)s”格式不正确") % {"p": phone})
    return problems, unit, role


def _username_problem(username: str, *, taken: set[str], in_file: set[str]) -> str | None:
    if (
        not username.replace("-", "").replace("_", "").replace(".", "").isalnum()
        or len(username) > 150
    ):
        return _("用户名只能包含字母、数字和 - _ .")
    if username.lower() in taken:
        return _("用户名“%(u)s”已被使用") % {"u": username}
    if username.lower() in in_file:
        return _("用户名“%(u)s”在表中重复") % {"u": username}
    return None


def template_workbook() -> bytes:
    return one_sheet_workbook(
        title="账号",
        rows=[COLUMNS, ["市委办公室", "张三", "单位联络员", "", "13800000000"]],
        widths=(28, 12, 14, 18, 16),
    )
