"""The review page: a committee admin reads a document, fixes a node and accepts it as a
draft; a unit user cannot; bad files are refused in Chinese and nothing is created."""

from __future__ import annotations

import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from mofan.audit.models import AuditEntry
from mofan.indicators.models import IndicatorNode, IndicatorSystem, VersionStatus

SCHEME = """某某机关党支部星级评定细则
一、政治建设（20分）
1.认真学习党的创新理论，每季度至少开展1次集中学习。（10分）
2.严格执行请示报告制度，未执行的不得分。（10分）
二、组织建设（30分）
1.三会一课规范开展，每缺1次扣2分，扣完为止。（20分）
2.党员发展程序规范。（10分）
说明：本细则由机关党委负责解释
"""


@pytest.fixture
def admin_client(login, committee_admin):
    return login(committee_admin)


def test_admin_reads_pasted_text_side_by_side(admin_client):
    response = admin_client.post("/indicators/from-document/", {"text": SCHEME})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="title-1.1"' in html and 'name="points-2.1"' in html
    assert "doc-node span-title" in html  # the title lines highlighted
    assert '<mark class="hl-points">（10分）</mark>' in html
    assert '<mark class="hl-deduct">每缺1次扣2分</mark>' in html
    assert '<mark class="hl-threshold">每季度至少开展1次</mark>' in html
    assert "未识别" in html and "本细则由机关党委负责解释" in html
    assert "style=" not in html and "<script>" not in html  # no inline CSS or JS


def test_admin_fixes_a_node_and_accepts_a_draft(admin_client, committee):
    before = AuditEntry.objects.filter(action="indicators.import").count()
    response = admin_client.post(
        "/indicators/from-document/accept/",
        {
            "source_text": SCHEME,
            "source_name": "star.txt",
            "title-2.2": "党员发展",
            "points-2.2": "10",
            "method-1.1": "manual",
        },
    )
    assert response.status_code == 302
    system = IndicatorSystem.objects.get(committee=committee)
    version = system.versions.get()
    assert version.status == VersionStatus.DRAFT
    nodes = {n.code: n for n in IndicatorNode.objects.filter(version=version)}
    assert nodes["2.2"].title == "党员发展"
    assert nodes["2"].points == 30
    assert nodes["2.1"].method["type"] == "deduction"
    assert nodes["1.1"].method["type"] == "manual"
    assert AuditEntry.objects.filter(action="indicators.import").count() == before + 1


def test_a_fix_that_breaks_the_sum_is_refused_and_nothing_is_lost(admin_client, committee):
    response = admin_client.post(
        "/indicators/from-document/accept/",
        {"source_text": SCHEME, "source_name": "x", "points-2.2": "15", "title-1": "政治"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "不一致" in html
    assert 'value="政治"' in html and 'value="15"' in html  # the clerk's fixes are kept
    assert not IndicatorSystem.objects.filter(committee=committee).exists()


def test_unit_user_cannot_use_the_page(login, unit_admin, committee):
    client = login(unit_admin)
    assert client.get("/indicators/from-document/").status_code == 403
    response = client.post("/indicators/from-document/accept/", {"source_text": SCHEME})
    assert response.status_code == 403
    assert not IndicatorSystem.objects.filter(committee=committee).exists()


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("文明单位测评细则")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).text, table.cell(0, 1).text, table.cell(0, 2).text = "项目", "考核内容", "分值"
    merged = table.cell(1, 0).merge(table.cell(2, 0))
    merged.text = "组织领导（20分）"
    table.cell(1, 1).text, table.cell(1, 2).text = "1.领导班子重视", "10"
    table.cell(2, 1).text, table.cell(2, 2).text = "2.工作机制健全", "10"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_table_is_read_cell_by_cell_with_merged_cells_repeated(admin_client):
    upload = SimpleUploadedFile("scheme.docx", docx_bytes())
    response = admin_client.post("/indicators/from-document/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="组织领导"' in html and 'name="points-1.2"' in html
    assert 'name="title-2"' not in html  # the repeated merged cell is the same type


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scheme.doc", b"old word", "只能导入"),
        ("scheme.docx", b"not a zip", "无法读取该 Word 文件"),
        ("empty.txt", b"", "空"),
    ],
)
def test_bad_files_are_refused_in_chinese(admin_client, committee, name, content, message):
    response = admin_client.post(
        "/indicators/from-document/", {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IndicatorSystem.objects.filter(committee=committee).exists()


def test_pdf_without_text_layer_is_refused(admin_client):
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    response = admin_client.post(
        "/indicators/from-document/", {"file": SimpleUploadedFile("scan.pdf", out.getvalue())}
    )
    assert response.status_code == 400
    assert "没有文字层" in response.content.decode()


SCALED = """某某机关党支部考核细则
一、组织生活（20分）
1.支部会议：无故缺席一次扣3分，两次扣5分，三次（含）以上不得分。（10分）
2.党员教育，评分标准：好的得10分，较好的得8分，一般的得5分，差的得0分。（10分）
"""


def test_the_review_shows_each_rules_parameters_and_the_clerk_edits_them(admin_client, committee):
    html = admin_client.post("/indicators/from-document/", {"text": SCALED}).content.decode()
    assert 'name="rule-1.1-1-label" value="无故缺席"' in html
    assert 'name="rule-1.1-1-amount" value="3、5、10"' in html
    assert 'name="band-1.2-2-label" value="较好"' in html
    assert 'name="band-1.2-2-deduct" value="2-2"' in html
    response = admin_client.post(
        "/indicators/from-document/accept/",
        {
            "source_text": SCALED,
            "source_name": "scaled.txt",
            "rule-1.1-1-label": "无故缺席支部会议",
            "rule-1.1-1-amount": "2、4、10",
            "cap-1.1": "8",
            "band-1.2-2-deduct": "1-3",
        },
    )
    assert response.status_code == 302
    version = IndicatorSystem.objects.get(committee=committee).versions.get()
    nodes = {n.code: n for n in IndicatorNode.objects.filter(version=version)}
    rule = nodes["1.1"].method["rules"][0]
    assert (rule["label"], rule["scale"]) == ("无故缺席支部会议", [2, 4, 10])
    assert nodes["1.1"].method["cap"] == 8
    assert nodes["1.2"].method["bands"][1] == {"label": "较好", "deduct": [1, 3]}


def test_a_parameter_that_is_not_a_number_is_refused_and_the_entries_stay(admin_client, committee):
    response = admin_client.post(
        "/indicators/from-document/accept/",
        {
            "source_text": SCALED,
            "source_name": "scaled.txt",
            "rule-1.1-1-amount": "三、五",
            "rule-1.1-1-label": "缺席",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "1.1：“三”不是数字。" in html
    assert 'value="缺席"' in html
    assert not IndicatorSystem.objects.filter(committee=committee).exists()
