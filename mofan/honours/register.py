"""The honours register (荣誉命名登记册) of a committee and a year as an xlsx workbook.

The register is per committee and year, not per campaign, so it is not a `core.exports`
`Exporter` (those are built from a campaign); it is written here with openpyxl the way
`reports.render.xlsx_format` writes a table: a title, a bold frozen header repeated on every
printed page, Chinese headers, columns sized in Chinese characters, dates as dates, and text
kept as text (`core.xlsx.keep_text`: no cell is read as a formula)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.honours.models import HonourKind, Nomination, NominationState
from mofan.honours.selectors import register_for
from mofan.organizations.models import Committee

# (header, width in Chinese characters)
COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 3),
    ("年度", 4),
    ("评选项目", 12),
    ("评选对象", 4),
    ("推荐单位", 12),
    ("荣誉获得者", 12),
    ("命名日期", 6),
    ("命名文号", 10),
    ("状态", 4),
    ("撤销日期", 6),
    ("撤销原因", 16),
    ("撤销文件", 10),
)
DATE_FORMAT = "yyyy-mm-dd"
DATE_COLUMNS = (7, 10)  # 1-based: 命名日期, 撤销日期


@transaction.atomic
def register_export(*, actor: Actor, committee: Committee, year: int) -> tuple[str, bytes]:
    """The register as the actor reads it (`selectors.register_for`: the committee's as staff,
    its own units' rows as a unit's admin or leader), its title, and the export audited."""
    staff = rules.is_staff_of(actor, committee.pk)
    rows = register_rows(register_for(actor, committee.pk, year))
    title = _("%(year)s年度%(committee)s荣誉命名登记册%(scope)s") % {
        "year": year,
        "committee": committee.name,
        "scope": "" if staff else _("（本单位）"),
    }
    content = register_workbook(title=title, rows=rows)
    audit_record(
        action="honour.register",
        actor=actor.user,
        target=committee,
        committee_id=committee.pk,
        extra={"year": year, "rows": len(rows), "whole": staff},
    )
    return title, content


def register_rows(nominations: Iterable[Nomination]) -> list[list[Any]]:
    """One row per honour: its programme, the honoured unit, organisation or person, the
    naming and, for a revoked one, when, why and by which document."""
    rows = []
    for index, n in enumerate(nominations, start=1):
        p = n.programme
        revoked = n.state == NominationState.REVOKED
        rows.append(
            [
                index,
                p.year,
                p.name,
                p.get_kind_display(),
                n.unit.name,
                _honoured(n),
                p.named_on,
                p.document_number,
                "已撤销" if revoked else "已命名",
                n.revoked_on if revoked else None,
                n.revoke_reason if revoked else "",
                n.revoke_document if revoked else "",
            ]
        )
    return rows


def _honoured(n: Nomination) -> str:
    """The name of who was honoured: the person, the organisation, or the unit itself (the name
    on the 公示 list when the person or organisation is no longer on file)."""
    kind = n.programme.kind
    if kind == HonourKind.UNIT:
        return n.unit.name
    subject = n.member if kind == HonourKind.PERSON else n.party_org
    return subject.name if subject is not None else n.candidate_name


def register_workbook(*, title: str, rows: Sequence[Sequence[Any]]) -> bytes:
    """The workbook: the title on row 1, the header on row 2, the honours below."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from mofan.core import xlsx

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "荣誉命名登记册"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([header for header, _width in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for column in DATE_COLUMNS:
        for (cell,) in sheet.iter_rows(min_row=3, min_col=column, max_col=column):
            if isinstance(cell.value, dt.date):
                cell.number_format = DATE_FORMAT
    xlsx.keep_text(sheet)
    for index, (header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(width, len(header)) * 2 + 2
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
