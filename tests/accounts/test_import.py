"""Account import from Excel: all or nothing, errors by row in Chinese, the accounts created by a
background task (tests/accounts/test_batches.py has the batch itself), initial passwords shown
once and downloadable once, hostile files refused."""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from openpyxl import Workbook, load_workbook

from mofan.accounts.imports import COLUMNS
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from tests.factories import make_user
from tests.task_worker import run_queued_tasks
from tests.world import logged_in

pytestmark = pytest.mark.django_db

IMPORT = "/manage/accounts/bulk/import/"
CREDENTIALS = "/manage/accounts/credentials/"
DOWNLOAD = "/manage/accounts/credentials/download/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(rows: list[list[object]], header: list[str] = COLUMNS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client: Client, content: bytes, name: str = "accounts.xlsx"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content, content_type=XLSX)})


BATCH_PAGE = re.compile(r"^/manage/accounts/bulk/(\d+)/$")


@pytest.fixture
def imported(django_capture_on_commit_callbacks):
    """Upload a valid file, let the worker create the accounts, collect the initial passwords
    (they go to the session's one-time display and download, as for accounts made in the
    request); the upload's response."""

    def do(client: Client, content: bytes):
        with django_capture_on_commit_callbacks(execute=True):
            response = _upload(client, content)
        assert response.status_code == 302, response.content.decode()[:3000]
        batch = BATCH_PAGE.match(response["Location"])
        assert batch is not None, response["Location"]
        assert run_queued_tasks() == 1
        collect = client.post(f"/manage/accounts/bulk/{batch.group(1)}/collect/")
        assert collect["Location"] == CREDENTIALS
        return response

    return do


def _refused(response) -> str:
    """A refused upload: the form is shown again (200 or 400) with the reason on the field."""
    assert response.status_code in (200, 400)
    errors = _field_errors(response.content.decode(), "file")
    assert errors
    return " ".join(errors)


def _field_errors(html: str, field: str) -> list[str]:
    """The error messages rendered next to one form field (templates/form_fields.html)."""
    blocks = re.split(r'<div class="field(?: has-error)?">', html)[1:]
    for block in blocks:
        if f'name="{field}"' in block:
            found = re.findall(r'<small class="field-error"[^>]*>([^<]*)</small>', block)
            return [unescape(e) for e in found]
    raise AssertionError(f"no field {field!r} in the page")


@pytest.fixture
def admin_client(login, unit_a, unit_b, committee_admin):
    return login(committee_admin)


def _accounts() -> int:
    return User.objects.count()


def test_mixed_rows_are_all_refused_with_row_numbers(admin_client, unit_a, unit_b):
    before = _accounts()
    audit_before = AuditEntry.objects.count()
    content = _xlsx(
        [
            ["甲单位", "王一", "单位联络员", "wang1", "13800000001"],  # row 2: fine
            ["不存在的单位", "李二", "单位联络员", "", ""],  # row 3: unknown unit
            ["乙", "", "党员", "", ""],  # row 4: no name (unit by short name is fine)
            ["乙单位", "赵四", "工委管理员", "", ""],  # row 5: role not importable
            ["乙单位", "钱五", "单位领导", "wang1", "12ab"],  # row 6: duplicate username, phone
            [None, None, None, None, None],  # blank row: skipped
            ["甲单位", "孙六", "党员", "bad name!", ""],  # row 8: bad username
        ]
    )
    response = _upload(admin_client, content)
    assert response.status_code == 400
    html = response.content.decode()
    assert "未创建任何账号" in html
    errors = dict(re.findall(r"<td>第 (\d+) 行</td><td>([^<]*)</td>", html))
    assert set(errors) == {"3", "4", "5", "6", "8"}, errors
    assert "单位“不存在的单位”不在本工委的单位名单中" in errors["3"]
    assert "姓名不能为空" in errors["4"]
    assert "角色“工委管理员”无效" in errors["5"]
    assert "用户名“wang1”在表中重复" in errors["6"]
    assert "手机号“12ab”格式不正确" in errors["6"]
    assert "用户名只能包含字母、数字" in errors["8"]
    assert _accounts() == before
    assert AuditEntry.objects.count() == audit_before


def test_existing_username_is_reported(admin_client, unit_a):
    taken = make_user(Role.MEMBER, unit=unit_a)
    response = _upload(
        admin_client, _xlsx([["甲单位", "王一", "党员", taken.username.upper(), ""]])
    )
    assert response.status_code == 400
    assert f"用户名“{taken.username.upper()}”已被使用" in response.content.decode()


def test_missing_header_column_is_reported(admin_client):
    before = _accounts()
    response = _upload(admin_client, _xlsx([["甲单位", "王一"]], header=["单位名称", "名字"]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "第 1 行" in html
    assert "表头缺少列：姓名、角色" in html
    assert _accounts() == before


def test_valid_file_creates_every_account_and_shows_passwords_once(
    admin_client, unit_a, unit_b, imported
):
    before = _accounts()
    content = _xlsx(
        [
            ["甲单位", "王一", "单位联络员", "wang1", "13800000001"],
            ["乙单位", "李二", "单位领导", "", ""],
            ["乙", "赵三", "党员", "zhao3", "0391-1234567"],
            # Two rows for the same unit and role without a username: both get their own.
            ["甲单位", "钱四", "党员", "", ""],
            ["甲单位", "孙五", "党员", "", ""],
        ]
    )
    imported(admin_client, content)
    assert _accounts() == before + 5
    created = {
        u.full_name: u
        for u in User.objects.filter(full_name__in=["王一", "李二", "赵三", "钱四", "孙五"])
    }
    assert len(created) == 5
    assert all(u.must_change_password for u in created.values())
    assert created["王一"].username == "wang1"
    assert created["王一"].phone == "13800000001"
    assert RoleAssignment.objects.get(user=created["李二"]).role == Role.UNIT_LEADER
    assert RoleAssignment.objects.get(user=created["李二"]).unit == unit_b
    assert RoleAssignment.objects.get(user=created["赵三"]).unit == unit_b
    assert created["钱四"].username != created["孙五"].username
    assert AuditEntry.objects.filter(action="account.create").count() == 5

    page = admin_client.get(CREDENTIALS)
    html = page.content.decode()
    passwords = [unescape(p) for p in re.findall(r'<td class="secret">([^<]+)</td>', html)]
    assert len(passwords) == 5
    for user in created.values():
        assert user.username in html
    # Shown once: a reload shows no password.
    again = admin_client.get(CREDENTIALS).content.decode()
    assert 'class="secret"' not in again
    for password in passwords:
        assert password not in unescape(again)
    # The passwords never reach the audit trail.
    audit_text = str(list(AuditEntry.objects.values_list("data", flat=True)))
    assert not any(p in audit_text for p in passwords)

    # Downloadable once.
    download = admin_client.post(DOWNLOAD)
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    assert download["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("单位", "姓名", "用户名", "角色", "初始密码")
    by_username = {row[2]: row for row in rows[1:]}
    assert set(by_username) == {u.username for u in created.values()}
    assert by_username["wang1"][0] == "甲单位"
    assert by_username["wang1"][3] == "单位联络员"
    assert sorted(row[4] for row in rows[1:]) == sorted(passwords)

    second = admin_client.post(DOWNLOAD)
    assert second.status_code == 302
    follow = admin_client.get(second["Location"]).content.decode()
    assert "初始密码只能下载一次" in follow

    # The downloaded password really logs in, and must then be changed.
    newcomer = logged_in(User.objects.get(username="wang1"), password=by_username["wang1"][4])
    assert newcomer.get("/")["Location"] == "/accounts/password/"
    assert audit_verify().ok


def test_download_without_display_also_works_once(admin_client, unit_a, imported):
    imported(admin_client, _xlsx([["甲单位", "王一", "党员", "wang1", ""]]))
    assert admin_client.post(DOWNLOAD).status_code == 200
    assert admin_client.post(DOWNLOAD).status_code == 302
    # Nor is it shown afterwards.
    assert 'class="secret"' not in admin_client.get(CREDENTIALS).content.decode()


def test_credentials_download_is_post_only(admin_client, unit_a, imported):
    imported(admin_client, _xlsx([["甲单位", "王一", "党员", "wang1", ""]]))
    assert admin_client.get(DOWNLOAD).status_code == 405
    assert admin_client.post(DOWNLOAD).status_code == 200


def test_unit_admin_cannot_import(login, unit_a, unit_admin):
    client = login(unit_admin)
    before = _accounts()
    response = _upload(client, _xlsx([["甲单位", "王一", "党员", "wang1", ""]]))
    assert response.status_code == 403
    assert _accounts() == before


# --- hostile files -----------------------------------------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (PNG, "accounts.xlsx", "文件内容不是 Excel（.xlsx）格式"),
        (b"<html><body><script>alert(1)</script></body></html>", "accounts.xlsx", "不是 Excel"),
        (b"a,b,c\n1,2,3\n", "accounts.csv", "只接受 .xlsx 格式"),
        (b"", "accounts.xlsx", "空文件"),
        (b"PK\x03\x04 but not really a zip", "accounts.xlsx", "文件已损坏"),
    ],
)
def test_wrong_file_types_are_refused(admin_client, content, name, message):
    before = _accounts()
    response = _upload(admin_client, content, name)
    assert message in _refused(response)
    assert _accounts() == before


def test_zip_without_office_content_types_is_refused(admin_client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    response = _upload(admin_client, buffer.getvalue())
    assert "不是 Office 文档格式" in _refused(response)


@override_settings(MOFAN_IMPORT_MAX_MB=1)
def test_oversized_file_is_refused(admin_client):
    before = _accounts()
    valid = _xlsx([["甲单位", "王一", "党员", "wang1", ""]])
    oversized = valid + b"\0" * (1024 * 1024)
    response = _upload(admin_client, oversized)
    assert "文件过大：上限为 1 MB" in _refused(response)
    assert _accounts() == before
    # The same sheet within the limit goes through.
    assert _upload(admin_client, valid).status_code == 302


def _zip_bomb(unpacked_mb: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                entry.write(chunk)
    return buffer.getvalue()


def test_zip_bomb_is_refused_before_unpacking(admin_client):
    before = _accounts()
    bomb = _zip_bomb(110)
    assert len(bomb) < 1024 * 1024  # small on the wire
    response = _upload(admin_client, bomb)
    # Refused by the absolute limit on the unpacked size (checked before the ratio).
    assert "文件解压后过大，已拒绝" in _refused(response)
    assert _accounts() == before


def test_highly_compressed_entry_is_refused(admin_client):
    # Well under the absolute limit, but no genuine spreadsheet compresses 1000 to 1.
    before = _accounts()
    response = _upload(admin_client, _zip_bomb(20))
    assert "压缩比异常" in _refused(response)
    assert _accounts() == before


def test_unpacked_size_limit_applies_to_the_sum_of_entries(admin_client, monkeypatch):
    """Several parts that compress normally but add up to more than the limit."""
    from mofan.core import uploads

    monkeypatch.setattr(uploads, "MAX_ARCHIVE_UNPACKED", 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        for n in range(3):
            archive.writestr(f"xl/part{n}.xml", secrets.token_hex(200 * 1024))  # 400 KB each
    before = _accounts()
    response = _upload(admin_client, buffer.getvalue())
    assert "文件解压后过大，已拒绝" in _refused(response)
    assert _accounts() == before


def test_archive_with_too_many_entries_is_refused(admin_client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        for n in range(501):
            archive.writestr(f"xl/p{n}.xml", "")
    response = _upload(admin_client, buffer.getvalue())
    assert "内部条目过多" in _refused(response)
