"""The pages of drafting and issuing (issue 18 point 1), persona by persona, with the data that
could leak created first: unit A's rectification notice and the results bulletin, drafted and
issued. The committee's staff see and work on its drafts; unit A's admin and leader see only
A's issued notice (never a draft, never the bulletin); unit B, a reviewer and another
committee's admin see none of it; the anonymous visitor is sent to the login."""

# ruff: noqa: F811
from __future__ import annotations

import pytest
from django.urls import reverse

from mofan.audit.models import AuditEntry
from mofan.reports import issuing
from mofan.reports.models import DocumentDraft, IssuedDocument
from tests.reports.doc_fixtures import DocWorld
from tests.reports.issuing_fixtures import (
    ISSUE_DAY,
    first_paragraph,
    issued_dir,  # noqa: F401 (a fixture)
    notice_draft,
    world,  # noqa: F401 (a fixture)
)
from tests.world import logged_in

STAFF = ("committee_admin", "committee_leader")
UNIT_A = ("owner", "colleague")
NOBODY = ("outsider", "assigned", "other_admin")


def _client(world: DocWorld, name: str):
    return logged_in(None if name == "anonymous" else world.world.user(name))


@pytest.fixture
def issued(world, django_capture_on_commit_callbacks):
    admin = world.actor("committee_admin")
    notice = notice_draft(world)
    bulletin = issuing.draft_create(
        identifier="results_bulletin", campaign=world.campaign, unit=None, actor=admin
    )
    with django_capture_on_commit_callbacks(execute=True):
        a = issuing.document_issue(draft=notice, date=ISSUE_DAY, version=1, actor=admin)
        b = issuing.document_issue(draft=bulletin, date=ISSUE_DAY, version=1, actor=admin)
    return notice, bulletin, a, b


def test_the_drafts_reach_only_the_committees_staff(world, issued):
    notice, bulletin, _a, _b = issued
    for name in STAFF:
        client = _client(world, name)
        page = client.get(reverse("reports:drafts")).content.decode()
        assert notice.title in page and bulletin.title in page and "焦直文" in page
        page = client.get(reverse("reports:draft", args=[notice.pk])).content.decode()
        assert "印发效果预览" in page and notice.content["blocks"][0]["text"][:10] in page
    for name in (*UNIT_A, "outsider", "assigned"):
        client = _client(world, name)
        assert client.get(reverse("reports:drafts")).status_code == 403, name
        assert client.get(reverse("reports:draft", args=[notice.pk])).status_code == 403, name
    other = _client(world, "other_admin")
    assert notice.title not in other.get(reverse("reports:drafts")).content.decode()
    assert other.get(reverse("reports:draft", args=[notice.pk])).status_code == 404
    for url in (reverse("reports:drafts"), reverse("reports:draft", args=[notice.pk])):
        response = _client(world, "anonymous").get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_writes_are_refused_outside_the_committees_staff(world, issued):
    notice, *_rest = issued
    create = reverse("reports:draft_create", args=[world.campaign.pk])
    posts = {
        create: {"exporter": "rectification_notice", "format": "docx", "unit": world.unit("A").pk},
        reverse("reports:draft", args=[notice.pk]): {"version": 2, "title": "改"},
        reverse("reports:draft_issue", args=[notice.pk]): {"version": 2, "date": "2026-05-26"},
        reverse("reports:register_update", args=[world.world.committee.pk]): {"code": "改"},
    }
    expected = {"other_admin": 404}
    for name in (*UNIT_A, "outsider", "assigned", "other_admin"):
        client = _client(world, name)
        for url, data in posts.items():
            status = client.post(url, data).status_code
            assert status == expected.get(name, 403), (name, url, status)
    assert DocumentDraft.objects.count() == 2 and IssuedDocument.objects.count() == 2
    assert not AuditEntry.objects.filter(action="report.register.update").exists()


def test_issued_documents_reach_staff_and_the_units_own(world, issued, issued_dir):
    _notice, _bulletin, a, b = issued
    urls = {
        doc: [
            reverse("reports:issued_docx", args=[doc.pk]),
            reverse("reports:issued_pdf", args=[doc.pk]),
        ]
        for doc in (a, b)
    }
    for name in STAFF:
        client = _client(world, name)
        page = client.get(reverse("reports:issued")).content.decode()
        assert a.number in page and b.number in page
        for url in urls[a] + urls[b]:
            assert client.get(url).status_code == 200
    for name in UNIT_A:
        client = _client(world, name)
        page = client.get(reverse("reports:issued")).content.decode()
        assert a.number in page and b.number not in page
        docx = client.get(urls[a][0])
        assert docx.status_code == 200 and docx.content == (issued_dir / a.docx_name).read_bytes()
        assert docx["Content-Security-Policy"] and "attachment" in docx["Content-Disposition"]
        for url in urls[b]:
            assert client.get(url).status_code == 404
    for name in NOBODY:
        client = _client(world, name)
        listing = client.get(reverse("reports:issued"))
        if listing.status_code == 200:
            assert a.number not in listing.content.decode()
        else:
            assert listing.status_code == 403
        for url in urls[a] + urls[b]:
            assert client.get(url).status_code in (403, 404), (name, url)
    assert _client(world, "anonymous").get(urls[a][1]).status_code == 302
    downloads = AuditEntry.objects.filter(action="report.document.download")
    assert downloads.count() == 2 * 4 + 2 * 1  # staff: four files each; unit A: one each
    assert {e.actor_id for e in downloads} <= {world.world.user(n).pk for n in STAFF + UNIT_A}


def test_the_whole_flow_through_the_pages(world, issued_dir, django_capture_on_commit_callbacks):
    admin = _client(world, "committee_admin")
    exports = admin.get(reverse("reports:exports", args=[world.campaign.pk])).content.decode()
    assert exports.count("起草公文") == 4  # the four official documents, not the tables
    unit_page = _client(world, "owner").get(reverse("reports:exports", args=[world.campaign.pk]))
    assert "起草公文" not in unit_page.content.decode()
    response = admin.post(
        reverse("reports:draft_create", args=[world.campaign.pk]),
        {"exporter": "rectification_notice", "format": "docx", "unit": world.unit("A").pk},
    )
    draft = DocumentDraft.objects.get()
    assert response["Location"] == reverse("reports:draft", args=[draft.pk])
    i = first_paragraph(draft)
    url = reverse("reports:draft", args=[draft.pk])
    form = {"version": 1, "title": draft.title, f"block_{i}": "请于（请填写日期）前报送。"}
    for n, block in enumerate(draft.content["blocks"]):
        if block["kind"] in issuing.EDITABLE and n != i:
            form[f"block_{n}"] = block["text"]
    assert admin.post(url, form).status_code == 302
    # A second clerk on the old version: refused, their text kept on the page.
    leader = _client(world, "committee_leader")
    stale = leader.post(url, {**form, f"block_{i}": "领导的稿子"}).content.decode()
    assert "刚被他人修改" in stale and "领导的稿子" in stale
    draft.refresh_from_db()
    assert draft.version == 2 and "（请填写日期）" in draft.content["blocks"][i]["text"]
    issue = reverse("reports:draft_issue", args=[draft.pk])
    refused = admin.post(issue, {"version": 2, "date": "2026-05-25"}).content.decode()
    assert "占位内容" in refused and not IssuedDocument.objects.exists()
    assert (
        admin.post(url, {**form, "version": 2, f"block_{i}": "请于6月30日前报送。"}).status_code
        == 302
    )
    future = admin.post(issue, {"version": 3, "date": "2099-01-01"}).content.decode()
    assert "成文日期不能晚于今天" in future
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(issue, {"version": 3, "date": "2026-05-25"})
    assert done.status_code == 302 and done["Location"] == reverse("reports:issued")
    issued = IssuedDocument.objects.get()
    assert issued.number == "焦直文〔2026〕1号"
    pdf = admin.get(reverse("reports:issued_pdf", args=[issued.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = admin.get(url).content.decode()
    assert "焦直文〔2026〕1号" in page and "第1版" in page
