"""The indicator editor's pages: who may see and change what, htmx partials, upload, diff."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from mofan.audit.models import AuditEntry
from mofan.indicators.models import IndicatorNode, IndicatorSystem, IndicatorVersion
from tests.world import persona


@pytest.fixture
def templates(db):
    call_command("load_templates")
    return {v.system.slug: v for v in IndicatorVersion.objects.filter(system__committee=None)}


@pytest.fixture
def admin_client(login, committee_admin):
    return login(committee_admin)


def clone_yueqing(client, templates, committee) -> IndicatorVersion:
    response = client.post(f"/indicators/versions/{templates['yueqing-2020'].pk}/clone/")
    assert response.status_code == 302
    return IndicatorVersion.objects.get(system__committee=committee, system__slug="yueqing-2020")


def test_clone_edit_points_updates_totals_and_problems_in_the_partial(
    admin_client, templates, committee
):
    clone = clone_yueqing(admin_client, templates, committee)
    assert clone.status == "draft" and clone.based_on == templates["yueqing-2020"]
    node = IndicatorNode.objects.get(version=clone, code="1.1.1")
    response = admin_client.post(
        f"/indicators/nodes/{node.pk}/points/", {"points": "6"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # only the tree partial
    assert 'id="type-total-1">98<' in html  # the type's total as built from its leaves
    assert 'id="grand-total">498<' in html
    assert "分值 38 与下级分值之和 36 不一致。" in html
    node.refresh_from_db()
    assert node.points == 6
    assert AuditEntry.objects.filter(
        action="indicators.node.update", object_id=str(node.pk)
    ).exists()


def test_publish_refused_with_problems_then_allowed_and_diff_lists_changes(
    admin_client, templates, committee
):
    clone = clone_yueqing(admin_client, templates, committee)
    first = IndicatorNode.objects.get(version=clone, code="1.1.1")
    admin_client.post(f"/indicators/nodes/{first.pk}/points/", {"points": "6"})
    response = admin_client.post(f"/indicators/versions/{clone.pk}/publish/", follow=True)
    assert "不能发布" in response.content.decode()
    clone.refresh_from_db()
    assert clone.status == "draft"
    third = IndicatorNode.objects.get(version=clone, code="1.1.3")
    admin_client.post(f"/indicators/nodes/{third.pk}/points/", {"points": "8"})
    admin_client.post(f"/indicators/versions/{clone.pk}/publish/")
    clone.refresh_from_db()
    assert clone.status == "published"
    # Published: no more edits through the editor.
    response = admin_client.post(
        f"/indicators/nodes/{third.pk}/points/", {"points": "2"}, follow=True
    )
    assert "已发布的版本不能修改" in response.content.decode()
    third.refresh_from_db()
    assert third.points == 8
    html = admin_client.get(f"/indicators/versions/{clone.pk}/diff/").content.decode()
    assert 'data-code="1.1.1"' in html and 'data-code="1.1.3"' in html
    assert 'data-code="1.1.2"' not in html


def test_structure_edits_renumber_codes(admin_client, templates, committee):
    clone = clone_yueqing(admin_client, templates, committee)
    item = IndicatorNode.objects.get(version=clone, code="1.2")
    admin_client.post(
        f"/indicators/nodes/{item.pk}/move/", {"direction": "up"}, HTTP_HX_REQUEST="true"
    )
    item.refresh_from_db()
    assert item.code == "1.1"
    assert IndicatorNode.objects.get(version=clone, parent=item, order__gt=0, code="1.1.1")
    parent = IndicatorNode.objects.get(version=clone, code="5")
    response = admin_client.post(
        f"/indicators/versions/{clone.pk}/nodes/add/",
        {"parent": parent.pk, "title": "新增指标", "points": "2"},
        HTTP_HX_REQUEST="true",
    )
    assert "新增指标" in response.content.decode()
    assert IndicatorNode.objects.get(version=clone, title="新增指标").code == "5.4"


def test_upload_reports_line_numbers_and_creates_nothing(admin_client, templates, committee):
    bad = (
        "format: mofan-indicators/1\nslug: bad-one\nname: 测试\nissuer: 测试\nyear: 2024\n"
        "version: 1\nnodes:\n  - code: '1'\n    title: ''\n    points: 10\n"
        "    method: {type: rollup}\n    children:\n      - code: '1.1'\n        title: 甲\n"
        "        points: 4\n        method: {type: manual}\n        children: []\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = IndicatorSystem.objects.count()
    response = admin_client.post(
        "/indicators/upload/", {"file": SimpleUploadedFile("bad.yaml", bad.encode())}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "第 8 行" in html  # the node with the empty title and the wrong sum
    assert "“标题”不能为空" in html
    assert IndicatorSystem.objects.count() == before
    wrong = SimpleUploadedFile("x.docx", b"not an indicator file")
    response = admin_client.post("/indicators/upload/", {"file": wrong})
    assert "只接受" in response.content.decode()


def test_committee_leader_reads_but_cannot_edit(login, committee, templates, committee_leader):
    leader = login(committee_leader)
    yq = templates["yueqing-2020"]
    assert leader.get(f"/indicators/versions/{yq.pk}/").status_code == 200
    assert leader.post(f"/indicators/versions/{yq.pk}/clone/").status_code == 403
    assert not IndicatorSystem.objects.filter(committee=committee).exists()


def test_other_committee_and_unit_roles_see_nothing(
    login, committee, templates, client, committee_admin, unit_admin
):
    login(committee_admin)
    clone = clone_yueqing(client, templates, committee)
    node = IndicatorNode.objects.get(version=clone, code="2.1.1")
    client.post("/accounts/logout/")
    login(persona("other_admin"))
    assert client.get(f"/indicators/versions/{clone.pk}/").status_code == 404
    assert client.post(f"/indicators/nodes/{node.pk}/points/", {"points": "1"}).status_code == 404
    assert client.post(f"/indicators/versions/{clone.pk}/publish/").status_code == 404
    assert "yueqing" not in client.get("/indicators/").content.decode().split("内置模板")[0]
    client.post("/accounts/logout/")
    login(unit_admin)
    assert client.get("/indicators/").status_code == 403
    assert client.get(f"/indicators/versions/{clone.pk}/").status_code == 403
    node.refresh_from_db()
    assert node.points == 8
