"""Importing a term's records from xlsx (issue 15 point 2): only a unit's 联络员 and 单位领导,
only their own units' organisations and roster; every problem reported by row and column before
anything is written; all or nothing; the same file twice does not record twice; the template
downloaded re-imports once filled; the checks read the sheet in a constant number of queries."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from mofan.activities import importing, services
from mofan.activities.models import ActivityRecord, Participation
from mofan.audit.models import AuditEntry
from tests.activities.test_ledger import World
from tests.factories import MemberFactory
from tests.task_worker import run_queued_tasks

pytestmark = pytest.mark.django_db

URL = "/activities/import/"


def day() -> datetime.date:
    """Ten days ago, read when used (never at import: tests/core/test_layout.py)."""
    return timezone.localdate() - datetime.timedelta(days=10)


@pytest.fixture
def w() -> World:
    return World()


def sheet(*rows: list[object], header: list[str] | None = None) -> bytes:
    book = Workbook()
    page = book.active
    assert page is not None
    page.append(header or importing.COLUMNS)
    for row in rows:
        page.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(**values: object) -> list[object]:
    """A good row of 甲单位第一支部 unless changed: a 党员大会 with two present, one absent."""
    base: dict[str, object] = {
        importing.ORG: "甲单位第一支部",
        importing.KIND: "党员大会",
        importing.DATE: day().isoformat(),
        importing.TOPIC: "学习贯彻全会精神",
        importing.PRESENT: "王一、王二",
        importing.ABSENT: "王三（出差）",
        **values,
    }
    return [base.get(col, "") for col in importing.COLUMNS]


def upload(client, content: bytes, *, action: str = "import", name: str = "records.xlsx"):
    """Post the file; an import the page accepted is then recorded by the worker."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            URL, {"file": SimpleUploadedFile(name, content), "action": action}, format="multipart"
        )
    if response.status_code == 302:
        assert run_queued_tasks() == 1
    return response


def errors_of(w: World, content: bytes, who: str = "owner") -> list[tuple[int, str, str]]:
    report = importing.parse_records_sheet(content, actor=w.actor(who), today=timezone.localdate())
    return report.errors


# --- a good file ------------------------------------------------------------------------------


def test_a_good_file_records_every_row_with_people_hours_and_one_summary_entry(w):
    content = sheet(
        row(),
        row(
            **{
                importing.KIND: "党课",
                importing.DATE: day() - datetime.timedelta(days=1),  # a real date cell
                importing.TOPIC: "党课：牢记初心",
                importing.HOURS: 2.5,
                importing.THEORY: "是",
                importing.ABSENT: "王三(病假)",
            }
        ),
        [],  # empty rows are skipped
        row(
            **{
                importing.KIND: "培训",
                importing.TOPIC: "业务培训",
                importing.HOURS: "3",
                importing.PRESENT: "王二",
                importing.ABSENT: "",
            }
        ),
    )
    response = upload(w.client("owner"), content)
    assert response.status_code == 302, response.content.decode()
    records = {r.topic: r for r in ActivityRecord.objects.select_related("kind")}
    assert set(records) == {"学习贯彻全会精神", "党课：牢记初心", "业务培训"}
    congress = records["学习贯彻全会精神"]
    assert (congress.party_org, congress.unit, congress.held_on) == (w.org_a, w.unit_a, day())
    people = {p.name: (p.present, p.absence_reason) for p in congress.participations.all()}
    assert people == {"王一": (True, ""), "王二": (True, ""), "王三": (False, "出差")}
    lecture = records["党课：牢记初心"]
    assert (lecture.hours, lecture.political_theory) == (Decimal("2.5"), True)
    assert lecture.participations.get(present=False).absence_reason == "病假"
    training = records["业务培训"]
    assert training.hours == Decimal(3)
    assert list(training.participations.values_list("name", "present")) == [("王二", True)]
    # each record's own entry says what the record holds, as a record made on the page would
    for record in records.values():
        entry = AuditEntry.objects.get(action="activity.create", object_id=str(record.pk))
        assert entry.data["after"] == json.loads(json.dumps(services._snapshot(record)))
        assert entry.actor_id == w.users["owner"].pk and entry.committee_id == w.committee.pk
    assert AuditEntry.objects.filter(action="activity.create").count() == 3
    summary = AuditEntry.objects.get(action="activity.import")
    assert summary.data["extra"]["count"] == 3
    assert sorted(summary.data["extra"]["records"]) == sorted(r.pk for r in records.values())


def test_the_preview_shows_the_rows_and_writes_nothing(w):
    response = upload(
        w.client("colleague"), sheet(row(), row(**{importing.TOPIC: "第二次"})), action="check"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="import-preview"' in page and 'data-row="3"' in page and "王三" in page
    assert not ActivityRecord.objects.exists()


def test_the_same_file_twice_is_refused_with_its_rows(w):
    content = sheet(row(), row(**{importing.TOPIC: "第二次"}))
    assert upload(w.client("owner"), content).status_code == 302
    response = upload(w.client("owner"), content)
    assert response.status_code == 400
    errors = errors_of(w, content)
    assert [(n, c) for n, c, _m in errors] == [(2, importing.TOPIC), (3, importing.TOPIC)]
    assert "已有相同记录" in errors[0][2]
    assert ActivityRecord.objects.count() == 2
    # and twice in one file
    errors = errors_of(w, sheet(row(**{importing.TOPIC: "新"}), row(**{importing.TOPIC: "新"})))
    assert errors == [(3, importing.TOPIC, "与第 2 行重复（同一党组织、类型、日期和主题）。")]
    # the service refuses duplicates by itself too
    good = importing.parse_records_sheet(
        sheet(row(**{importing.TOPIC: "再一次"})),
        actor=w.actor("owner"),
        today=timezone.localdate(),
    )
    services.activity_records_import(rows=[good.rows[0].data], source="a", actor=w.actor("owner"))
    with pytest.raises(services.ValidationError):
        services.activity_records_import(
            rows=[good.rows[0].data], source="a", actor=w.actor("owner")
        )


# --- errors, by row and column -----------------------------------------------------------------


def test_every_kind_of_error_is_reported_with_its_row_and_column(w):
    for _twice in range(2):  # two people named 王四: ambiguous
        MemberFactory(unit=w.unit_a, party_org=w.org_a, name="王四")
    future = timezone.localdate() + datetime.timedelta(days=1)
    content = sheet(
        row(**{importing.ORG: "乙单位支部"}),  # 2: another unit's organisation
        row(**{importing.KIND: "跳舞"}),  # 3
        row(**{importing.DATE: "下周三"}),  # 4
        row(**{importing.DATE: future.isoformat()}),  # 5
        row(**{importing.TOPIC: ""}),  # 6
        row(**{importing.KIND: "培训", importing.PRESENT: "王二", importing.ABSENT: ""}),  # 7
        row(**{importing.KIND: "党课", importing.HOURS: "两小时"}),  # 8
        row(**{importing.KIND: "党课", importing.HOURS: "500"}),  # 9
        row(**{importing.PRESENT: "王四、王二"}),  # 10: 王四 is two people
        row(**{importing.PRESENT: "王二、乙一"}),  # 11: 乙一 is unit B's
        row(**{importing.ABSENT: "王三（出差"}),  # 12
        row(**{importing.PRESENT: ""}),  # 13
        row(
            **{
                importing.KIND: "培训",
                importing.HOURS: 2,
                importing.PRESENT: "王二、王三",
                importing.ABSENT: "",
            }
        ),  # 14
        row(**{importing.THEORY: "也许"}),  # 15
        row(**{importing.PRESENT: "王二", importing.ABSENT: "王二（病假）"}),  # 16
    )
    errors = errors_of(w, content)
    found = {(n, c) for n, c, _m in errors}
    expected = {
        (2, importing.ORG),
        (3, importing.KIND),
        (4, importing.DATE),
        (5, importing.DATE),
        (6, importing.TOPIC),
        (7, importing.HOURS),
        (8, importing.HOURS),
        (9, importing.HOURS),
        (10, importing.PRESENT),
        (11, importing.PRESENT),
        (12, importing.ABSENT),
        (13, importing.PRESENT),
        (14, importing.PRESENT),
        (15, importing.THEORY),
        (16, importing.ABSENT),
    }
    assert found == expected, errors
    text = {n: m for n, _c, m in errors}
    assert "不是本单位的党组织" in text[2]
    assert "党员大会" in text[3]  # the kinds that exist are named
    assert "无法识别" in text[4] and "不能晚于今天" in text[5]
    assert "请填写主题" in text[6] and "请填写学时" in text[7]
    assert "不是数字" in text[8] and "不超过 200" in text[9]
    assert "同名" in text[10] and "不在本单位名册" in text[11]
    assert "姓名（原因）" in text[12] and "请勾选出席人员" in text[13]
    assert "一条记录一人" in text[14]
    # the page lists them all and writes nothing
    response = upload(w.client("owner"), content)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="import-errors"' in page and "第 16 行" in page and "乙单位支部" in page
    assert not ActivityRecord.objects.exists() and not Participation.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="activity.").exists()


def test_one_bad_row_among_good_ones_writes_nothing(w):
    content = sheet(
        *[row(**{importing.TOPIC: f"第 {i} 次"}) for i in range(5)],
        row(**{importing.PRESENT: "无名氏"}),
    )
    response = upload(w.client("owner"), content)
    assert response.status_code == 400
    assert "第 7 行" in response.content.decode()
    assert not ActivityRecord.objects.exists()


def test_the_header_the_file_and_the_row_cap(w, monkeypatch):
    assert errors_of(w, sheet(row(), header=["党组织", "日期"]))[0][:2] == (1, "—")
    assert "缺少列" in errors_of(w, sheet(header=["党组织", "日期"]))[0][2]
    assert "没有需要导入" in errors_of(w, sheet())[0][2]
    assert "无法读取" in errors_of(w, b"PK\x03\x04 not really")[0][2]
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    content = sheet(*[row(**{importing.TOPIC: f"第 {i} 次"}) for i in range(4)])
    assert any("行数超过上限 3" in m and n == 5 for n, _c, m in errors_of(w, content))
    client = w.client("owner")
    for name, body, message in (
        ("records.csv", b"a,b", "只接受 .xlsx"),
        ("records.xlsx", b"", "空文件"),  # the form refuses an empty file
        ("records.xlsx", b"not a zip file", "不是 Excel"),
    ):
        response = upload(client, body, name=name)
        assert response.status_code == 400 and message in response.content.decode()
    assert not ActivityRecord.objects.exists()


# --- who may import ----------------------------------------------------------------------------


def test_another_units_organisation_and_roster_are_refused(w):
    # the outsider (unit B) names unit A's organisation and people
    errors = errors_of(w, sheet(row()), who="outsider")
    assert [(n, c) for n, c, _m in errors] == [(2, importing.ORG)]
    errors = errors_of(
        w, sheet(row(**{importing.ORG: "乙单位支部", importing.ABSENT: ""})), who="outsider"
    )
    assert {c for _n, c, _m in errors} == {importing.PRESENT}
    response = upload(w.client("outsider"), sheet(row()))
    assert response.status_code == 400 and not ActivityRecord.objects.exists()


@pytest.mark.parametrize(
    "name", ["committee_admin", "committee_leader", "other_admin", "reviewer", "member"]
)
def test_committee_staff_reviewers_and_members_cannot_import(w, name):
    client = w.client(name)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("activities:import_template")).status_code == 403
    assert upload(client, sheet(row())).status_code == 403
    assert not ActivityRecord.objects.exists()
    ledger = client.get(reverse("activities:ledger"))
    assert 'id="import-records"' not in ledger.content.decode()


def test_anonymous_is_sent_to_log_in(w):
    assert w.client("anonymous").get(URL).status_code == 302


def test_the_ledger_links_to_the_import_for_the_unit(w):
    client = w.client("owner")
    page = client.get(reverse("activities:ledger")).content.decode()
    assert 'id="import-records"' in page
    page = client.get(URL).content.decode()
    assert 'id="import-template"' in page and 'value="check"' in page


# --- the template ---------------------------------------------------------------------------


def test_the_template_downloads_and_reimports_once_filled(w):
    response = w.client("colleague").get(reverse("activities:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    data, notes = book.worksheets
    assert [c.value for c in data[1]] == importing.COLUMNS
    explained = " ".join(str(c.value) for line in notes.iter_rows() for c in line)
    assert "甲单位第一支部" in explained and "乙单位支部" not in explained and "培训" in explained
    # as downloaded, the example row is refused (its organisation is not a real one)
    errors = errors_of(w, response.content)
    assert [(n, c) for n, c, _m in errors] == [(2, importing.ORG)]
    # filled in: the example row replaced by real ones
    data.delete_rows(2)
    data.append(row())
    data.append(row(**{importing.KIND: "党课", importing.TOPIC: "党课", importing.HOURS: 1}))
    buffer = io.BytesIO()
    book.save(buffer)
    assert upload(w.client("colleague"), buffer.getvalue()).status_code == 302
    assert ActivityRecord.objects.count() == 2


# --- queries ----------------------------------------------------------------------------------


def _queries(w: World, rows: int) -> tuple[int, int]:
    content = sheet(*[row(**{importing.TOPIC: f"第 {i} 次 ({rows})"}) for i in range(rows)])
    actor = w.actor("owner")
    with CaptureQueriesContext(connection) as checking:
        report = importing.parse_records_sheet(content, actor=actor, today=timezone.localdate())
    assert report.ok
    with CaptureQueriesContext(connection) as writing:
        services.activity_records_import(
            rows=[r.data for r in report.rows], source="x.xlsx", actor=actor
        )
    return len(checking), len(writing)


def test_checking_reads_the_sheet_in_a_constant_number_of_queries(w):
    _queries(w, 1)  # the audit chain's first entry reads its checkpoint once
    small_check, small_write = _queries(w, 2)
    large_check, large_write = _queries(w, 12)
    assert large_check == small_check
    assert large_check <= 6  # roles, organisations, kinds (2), the roll, the ledger's keys
    assert large_write == small_write  # set-wise: records, people, entries in one insert each


def test_an_infected_file_is_refused_by_the_scan_and_audited(w, clamd):
    from tests.clamd import TEST_MALWARE

    content = sheet(row(**{importing.MINUTES: TEST_MALWARE.decode()}))
    response = upload(w.client("owner"), content)
    assert response.status_code == 400
    assert "检测到恶意代码" in response.content.decode()
    assert AuditEntry.objects.filter(action="upload.malware").count() == 1
    assert not ActivityRecord.objects.exists()
    # the same sheet without it passes the scan and is recorded
    assert upload(w.client("owner"), sheet(row())).status_code == 302


def test_the_service_refuses_another_units_rows_by_itself(w):
    good = importing.parse_records_sheet(
        sheet(row(), row(**{importing.TOPIC: "第二次"})),
        actor=w.actor("owner"),
        today=timezone.localdate(),
    )
    for name in ("outsider", "committee_admin", "member"):
        with pytest.raises(PermissionDenied):
            services.activity_records_import(
                rows=[r.data for r in good.rows], source="x.xlsx", actor=w.actor(name)
            )
    assert (
        not ActivityRecord.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="activity.").exists()
    )
