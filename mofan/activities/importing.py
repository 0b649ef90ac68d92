"""A term's records from an xlsx sheet (issue 15 point 2): every row is read and checked first —
names of organisations, kinds and people against the actor's own units (a handful of queries
for the whole sheet), then each row through the ledger's own checks (`services._checked`) — and
the problems are reported by row and column; only a sheet without any becomes records
(`services.activity_records_import`, all or nothing)."""

from __future__ import annotations

import datetime
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.sheets import one_sheet_workbook
from mofan.activities import selectors, services
from mofan.activities.models import ActivityKind, Attendance, Hours
from mofan.organizations.models import Member, PartyOrganization

ORG, KIND, DATE, TOPIC, HOURS, THEORY, PRESENT, ABSENT, MINUTES = (
    "党组织",
    "活动类型",
    "日期",
    "主题",
    "学时",
    "是否政治理论学习",
    "出席人员",
    "缺席人员（原因）",
    "记录（纪要）",
)
COLUMNS = [ORG, KIND, DATE, TOPIC, HOURS, THEORY, PRESENT, ABSENT, MINUTES]
REQUIRED = [ORG, KIND, DATE, TOPIC]
MAX_ROWS = 2000
# Which column a fault of the ledger's checks (its ValidationError code) is about.
COLUMN_OF_CODE = {
    "kind": KIND,
    "held_on": DATE,
    "topic": TOPIC,
    "hours": HOURS,
    "people": PRESENT,
}
NAME_SEPARATORS = re.compile(r"[、，,；;\s]+")
ABSENTEE = re.compile(r"^([^（）()]+?)\s*(?:[（(]([^（）()]*)[）)])?$")
DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
THEORY_VALUES = {"是": True, "否": False, "": None}


@dataclass
class SheetRow:
    number: int
    data: services.RecordInput
    present_names: list[str]
    absent_names: list[str]


@dataclass
class ImportReport:
    rows: list[SheetRow] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # row, column, message

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def fault(self, number: int, column: str, message: str) -> None:
        self.errors.append((number, column, message))


@dataclass
class Lookups:
    """Everything a row is checked against, read once per sheet."""

    orgs: dict[str, list[PartyOrganization]]
    kinds: dict[tuple[int, str], ActivityKind]  # (committee id, name)
    kind_names: dict[int, list[str]]
    members: dict[tuple[int, str], list[int]]  # (unit id, name) -> member ids
    rolls: dict[int, set[int]]

    @classmethod
    def of(cls, actor: Actor) -> Lookups:
        orgs: dict[str, list[PartyOrganization]] = defaultdict(list)
        for org in selectors.orgs_writable_by(actor).select_related("unit__committee"):
            orgs[org.name.strip()].append(org)
        committees = {o.unit.committee_id for found in orgs.values() for o in found}
        units = {o.unit_id for found in orgs.values() for o in found}
        kinds: dict[tuple[int, str], ActivityKind] = {}
        kind_names: dict[int, list[str]] = defaultdict(list)
        shared = list(ActivityKind.objects.filter(committee__isnull=True, is_active=True))
        own = ActivityKind.objects.filter(committee_id__in=committees, is_active=True)
        for committee_id in committees:
            for k in [*shared, *(k for k in own if k.committee_id == committee_id)]:
                kinds.setdefault((committee_id, k.name), k)
                kind_names[committee_id].append(k.name)
        members: dict[tuple[int, str], list[int]] = defaultdict(list)
        rolls: dict[int, set[int]] = {u: set() for u in units}
        for pk, unit_id, name in Member.objects.filter(unit_id__in=units).values_list(
            "pk", "unit_id", "name"
        ):
            members[(unit_id, name.strip())].append(pk)
            rolls[unit_id].add(pk)
        return cls(orgs=orgs, kinds=kinds, kind_names=kind_names, members=members, rolls=rolls)


def parse_records_sheet(content: bytes, *, actor: Actor, today: datetime.date) -> ImportReport:
    """The rows of the sheet as records to create, or every problem by row and column."""
    report = ImportReport()
    rows = _sheet_rows(content, report)
    index = _header_index(rows, report) if rows is not None else None
    if rows is None or index is None:
        return report
    lookups = Lookups.of(actor)
    seen: dict[tuple[int, int, datetime.date, str], int] = {}
    count = 0
    for number, raw in enumerate(rows, start=2):
        values = {col: _cell(raw, index, col) for col in COLUMNS}
        if not any(v not in (None, "") for v in values.values()):
            continue
        count += 1
        if count > MAX_ROWS:
            report.fault(number, "—", _("行数超过上限 %(n)d，请分多个文件导入。") % {"n": MAX_ROWS})
            break
        row = _read_row(number, values, lookups, today, report)
        if row is None:
            continue
        key = services.record_key(row.data)
        if key in seen:
            duplicate = _("与第 %(n)d 行重复（同一党组织、类型、日期和主题）。")
            report.fault(number, TOPIC, duplicate % {"n": seen[key]})
            continue
        seen[key] = number
        report.rows.append(row)
    recorded = services.recorded_keys([r.data for r in report.rows])
    for row in report.rows:
        if services.record_key(row.data) in recorded:
            report.fault(
                row.number,
                TOPIC,
                _("台账中已有相同记录（同一党组织、类型、日期和主题），可能已导入过。"),
            )
    if not report.rows and not report.errors:
        report.fault(2, "—", _("表中没有需要导入的记录。"))
    report.errors.sort(key=lambda e: e[0])
    return report


def _read_row(
    number: int,
    values: dict[str, object],
    lookups: Lookups,
    today: datetime.date,
    report: ImportReport,
) -> SheetRow | None:
    """One row as a record, or None with its problems in `report`."""
    before = len(report.errors)
    org = _org(number, _text(values[ORG]), lookups, report)
    kind = _kind(number, _text(values[KIND]), org, lookups, report) if org else None
    held_on = _date(number, values[DATE], report)
    hours = _hours(number, values[HOURS], report)
    theory_text = _text(values[THEORY])
    if theory_text not in THEORY_VALUES:
        report.fault(number, THEORY, _("应填“是”“否”或留空。"))
    present_names = _names(_text(values[PRESENT]))
    absentees = _absentees(number, _text(values[ABSENT]), report)
    if org is None or kind is None or held_on is None or len(report.errors) > before:
        return None
    present = _member_ids(number, PRESENT, present_names, org, lookups, report)
    absent_ids = _member_ids(number, ABSENT, list(absentees), org, lookups, report)
    both = set(present) & set(absent_ids)
    if both:
        report.fault(number, ABSENT, _("同一人不能既出席又缺席。"))
    if len(report.errors) > before:
        return None
    data = services.RecordInput(
        party_org=org,
        kind=kind,
        held_on=held_on,
        topic=_text(values[TOPIC]),
        hours=hours,
        political_theory=THEORY_VALUES.get(theory_text),
        minutes=_text(values[MINUTES]),
        present=present,
        absent=dict(zip(absent_ids, absentees.values(), strict=True)),
    )
    try:
        data = services._checked(data, today=today, roll=lookups.rolls[org.unit_id])
    except ValidationError as exc:
        for error in exc.error_list:
            report.fault(number, COLUMN_OF_CODE.get(error.code or "", "—"), error.messages[0])
        return None
    return SheetRow(number, data, present_names, list(absentees))


def _org(
    number: int, name: str, lookups: Lookups, report: ImportReport
) -> PartyOrganization | None:
    found = lookups.orgs.get(name, [])
    if not name:
        report.fault(number, ORG, _("请填写党组织名称。"))
    elif not found:
        report.fault(number, ORG, _("“%(n)s”不是本单位的党组织。") % {"n": name})
    elif len(found) > 1:
        report.fault(number, ORG, _("有多个党组织名为“%(n)s”，请在页面上逐条记录。") % {"n": name})
    else:
        return found[0]
    return None


def _kind(
    number: int, name: str, org: PartyOrganization, lookups: Lookups, report: ImportReport
) -> ActivityKind | None:
    committee_id = org.unit.committee_id
    kind = lookups.kinds.get((committee_id, name))
    if kind is None:
        report.fault(
            number,
            KIND,
            _("没有名为“%(n)s”的活动类型，应为：%(all)s。")
            % {"n": name, "all": "、".join(lookups.kind_names[committee_id])},
        )
    return kind


def _date(number: int, value: object, report: ImportReport) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = DATE_TEXT.match(_text(value))
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    if value in (None, ""):
        report.fault(number, DATE, _("请填写日期。"))
    else:
        report.fault(number, DATE, _("日期“%(d)s”无法识别，应如 2026-03-15。") % {"d": value})
    return None


def _hours(number: int, value: object, report: ImportReport) -> Decimal | None:
    text = _text(value)
    if not text:
        return None
    try:
        hours = Decimal(text)
    except InvalidOperation:
        report.fault(number, HOURS, _("学时“%(h)s”不是数字。") % {"h": text})
        return None
    if not hours.is_finite() or hours != hours.quantize(Decimal("0.1")):
        report.fault(number, HOURS, _("学时最多保留一位小数。"))
        return None
    return hours


def _names(text: str) -> list[str]:
    names: list[str] = []
    for name in NAME_SEPARATORS.split(text):
        if name and name not in names:
            names.append(name)
    return names


def _absentees(number: int, text: str, report: ImportReport) -> dict[str, str]:
    """姓名（原因）、姓名（原因） as {name: reason}; a name without a reason is allowed."""
    absent: dict[str, str] = {}
    for part in re.split(r"[、，,；;\n]+", text):
        part = part.strip()
        if not part:
            continue
        match = ABSENTEE.match(part)
        if match is None:
            report.fault(
                number, ABSENT, _("“%(p)s”应写作 姓名（原因），如 王五（出差）。") % {"p": part}
            )
            continue
        absent[match.group(1).strip()] = (match.group(2) or "").strip()
    return absent


def _member_ids(
    number: int,
    column: str,
    names: list[str],
    org: PartyOrganization,
    lookups: Lookups,
    report: ImportReport,
) -> list[int]:
    ids: list[int] = []
    for name in names:
        found = lookups.members.get((org.unit_id, name), [])
        if not found:
            report.fault(number, column, _("“%(n)s”不在本单位名册中。") % {"n": name})
        elif len(found) > 1:
            report.fault(
                number,
                column,
                _("名册中有 %(c)d 人同名“%(n)s”，无法区分，请在页面上记录这一条。")
                % {"c": len(found), "n": name},
            )
        else:
            ids.append(found[0])
    return ids


def _sheet_rows(content: bytes, report: ImportReport) -> Iterator[tuple[object, ...]] | None:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        report.fault(0, "—", _("无法读取该 Excel 文件，请使用下载的模板填写。"))
        return None
    return workbook.worksheets[0].iter_rows(values_only=True)


def _header_index(
    rows: Iterator[tuple[object, ...]], report: ImportReport
) -> dict[str, int] | None:
    header = next(rows, None)
    if header is None:
        report.fault(1, "—", _("表格是空的。"))
        return None
    names = [str(h).strip() if h is not None else "" for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        report.fault(1, "—", _("表头缺少列：%(cols)s。") % {"cols": "、".join(missing)})
        return None
    return {name: names.index(name) for name in COLUMNS if name in names}


def _cell(row: tuple[object, ...], index: dict[str, int], col: str) -> object:
    i = index.get(col)
    value = row[i] if i is not None and i < len(row) else None
    return value.strip() if isinstance(value, str) else value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- the template --------------------------------------------------------------------------


def template_workbook(actor: Actor) -> bytes:
    """The sheet to fill: the header, one example row (to be deleted: its organisation is not a
    real one), and a second sheet explaining each column with the actor's own organisations and
    the kinds with what each asks for."""
    from openpyxl import load_workbook

    from mofan.core import xlsx

    example = [
        "示例：XX党支部（请删除本行）",
        "党员大会",
        "2026-03-15",
        "学习贯彻全会精神",
        "",
        "",
        "张三、李四",
        "王五（出差）",
        "会议传达了全会精神。",
    ]
    content = one_sheet_workbook(
        title="活动记录",
        rows=[COLUMNS, example],
        widths=(26, 14, 14, 30, 8, 12, 30, 30, 40),
        keep_text=True,
    )
    book = load_workbook(io.BytesIO(content))
    notes = book.create_sheet("填写说明")
    for line in _instructions(actor):
        notes.append(line)
    xlsx.keep_text(notes)  # names typed by users stay text, never formulas
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _instructions(actor: Actor) -> list[list[str]]:
    lookups = Lookups.of(actor)
    kinds = {k.pk: k for k in lookups.kinds.values()}.values()
    lines = [
        [_("列"), _("填写要求")],
        [ORG, _("本单位党组织的全称，可填：") + "、".join(sorted(lookups.orgs))],
        [KIND, _("活动类型名称，见下表")],
        [DATE, _("活动日期，如 2026-03-15，不能晚于今天")],
        [TOPIC, _("必填；同一党组织、类型、日期和主题的记录只能有一条")],
        [HOURS, _("按活动类型：必填、可填或不填；大于 0，最多一位小数")],
        [THEORY, _("仅对区分政治理论的类型：是 / 否 / 留空")],
        [PRESENT, _("本单位名册中的姓名，用顿号分隔；“本人记录”的类型只填一人")],
        [ABSENT, _("姓名（原因），用顿号分隔，如 王五（出差）、赵六（病假）")],
        [MINUTES, _("可填；不要求上传照片")],
        ["", ""],
        [_("活动类型"), _("出席 / 学时 / 政治理论")],
    ]
    for kind in sorted(kinds, key=lambda k: (k.sort_order, k.pk)):
        theory = _("区分是否政治理论") if kind.theory_flag else "—"
        asks = f"{Attendance(kind.attendance).label} / {Hours(kind.hours).label} / {theory}"
        lines.append([kind.name, asks])
    lines.append(["", ""])
    note = _("第一张表的示例行请删除；导入时先校验全表，有一行有误则一条也不导入")
    lines.append([_("说明"), note])
    return lines
