"""Who may see, download, preview, upload, link, unlink and delete evidence, through the views.

Personas: the owner (unit A's admin), a colleague (unit A's leader: reads, does not change), an
outsider (unit B's admin: 404 on everything of A's, even with tampered ids), the committee admin,
the reviewer assigned to A's enrollment and one who is not.
"""

# The fixtures are imported from evidence_fixtures and requested by name.
# ruff: noqa: F811

from __future__ import annotations

import datetime

import pytest

from mofan.evaluations.evidence import evidence_link
from mofan.evaluations.models import EvidenceLink
from mofan.evidence.models import Evidence
from mofan.evidence.services import evidence_upload
from mofan.evidence.storage import path_of
from mofan.indicators.models import IndicatorNode
from tests.evaluations.evidence_fixtures import (  # noqa: F401 (fixtures)
    make_docx,
    make_ofd,
    make_pdf,
    make_png,
    make_xlsx,
    media,
    stored_files,
    upload_of,
    world,
)
from tests.world import logged_in


def _upload(world, name, content, user=None):
    user = user or world.admin_a
    unit = world.unit_a if user == world.admin_a else world.unit_b
    evidence, _created = evidence_upload(
        unit=unit, upload=upload_of(name, content), actor=world.actor(user)
    )
    return evidence


def _link(world, evidence, code="1.1.1", enrollment=None):
    return evidence_link(
        evidence=evidence,
        enrollment=enrollment or world.enrollment_a,
        node=world.node(code),
        actor=world.actor(world.admin_a),
    )


@pytest.fixture
def files(world):
    """A's files: a linked PDF, a linked PNG, an unlinked Word file; B's linked PDF."""
    pdf = _upload(world, "自评报告.pdf", make_pdf())
    png = _upload(world, "现场照片.png", make_png())
    docx = _upload(world, "工作总结.docx", make_docx())
    _link(world, pdf)
    _link(world, png, "1.1.2")
    pdf_b = _upload(world, "乙单位报告.pdf", make_pdf(b"% b\n"), user=world.admin_b)
    evidence_link(
        evidence=pdf_b,
        enrollment=world.enrollment_b,
        node=world.node("1.1.1"),
        actor=world.actor(world.admin_b),
    )
    return {"pdf": pdf, "png": png, "docx": docx, "pdf_b": pdf_b}


def _download(client, evidence, inline=False):
    url = f"/evidence/{evidence.pk}/download/" + ("?inline=1" if inline else "")
    return client.get(url)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- serving --------------------------------------------------------------------------------


def test_download_is_an_attachment_with_safe_headers(world, files):
    response = _download(logged_in(world.admin_a), files["pdf"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E8%87%AA%E8%AF%84%E6%8A%A5%E5%91%8A.pdf" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "private, no-store"
    assert _body(response) == make_pdf()


@pytest.mark.parametrize("key", ["pdf", "png"])
def test_preview_inline_only_for_images_and_pdf(world, files, key):
    response = _download(logged_in(world.admin_a), files[key], inline=True)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Content-Type"] in {"application/pdf", "image/png"}


@pytest.mark.parametrize(
    "name, build", [("总结.docx", make_docx), ("台账.xlsx", make_xlsx), ("公文.ofd", make_ofd)]
)
def test_no_preview_for_office_and_ofd(world, name, build):
    evidence = _upload(world, name, build())
    client = logged_in(world.admin_a)
    assert _download(client, evidence, inline=True).status_code == 404
    response = _download(client, evidence)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_missing_stored_file_is_a_404_not_a_crash(world, files, media):
    path_of(files["pdf"].stored_name).unlink()
    assert _download(logged_in(world.admin_a), files["pdf"]).status_code == 404


# --- personas -------------------------------------------------------------------------------


def test_owner_sees_library_with_reminder_and_links(world, files):
    response = logged_in(world.admin_a).get("/evidence/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "涉密不上网" in html
    assert 'enctype="multipart/form-data"' in html
    for name in ("自评报告.pdf", "现场照片.png", "工作总结.docx"):
        assert name in html
    assert "乙单位报告.pdf" not in html
    assert "1.1.1" in html and "1.1.2" in html
    # Only the unlinked file offers deletion.
    assert f"/evidence/{files['docx'].pk}/delete/" in html
    assert f"/evidence/{files['pdf'].pk}/delete/" not in html


def test_colleague_reads_but_does_not_change(world, files, media):
    client = logged_in(world.leader_a)
    library = client.get("/evidence/")
    assert library.status_code == 200
    assert "自评报告.pdf" in library.content.decode()
    assert "multipart/form-data" not in library.content.decode()
    assert _download(client, files["pdf"]).status_code == 200
    assert _download(client, files["docx"]).status_code == 200
    assert _download(client, files["png"], inline=True).status_code == 200
    before = len(stored_files(media))
    response = client.post(
        "/evidence/upload/",
        {"unit": world.unit_a.pk, "file": upload_of("a.pdf", make_pdf(b"%c\n"))},
    )
    assert response.status_code in (403, 404)
    assert len(stored_files(media)) == before
    link = client.post(
        "/evidence/link/",
        {
            "evidence": files["docx"].pk,
            "enrollment": world.enrollment_a.pk,
            "node": world.node("1.1.3").pk,
        },
    )
    assert link.status_code in (403, 404)
    unlink = client.post(
        "/evidence/unlink/",
        {
            "evidence": files["pdf"].pk,
            "enrollment": world.enrollment_a.pk,
            "node": world.node("1.1.1").pk,
        },
    )
    assert unlink.status_code in (403, 404)
    assert client.post(f"/evidence/{files['docx'].pk}/delete/").status_code in (403, 404)
    assert EvidenceLink.objects.filter(enrollment=world.enrollment_a).count() == 2
    assert Evidence.objects.filter(unit=world.unit_a).count() == 3


def test_outsider_gets_404_for_everything_of_unit_a(world, files):
    client = logged_in(world.admin_b)
    for key in ("pdf", "png", "docx"):
        assert _download(client, files[key]).status_code == 404
        assert _download(client, files[key], inline=True).status_code == 404
    assert _download(client, files["pdf_b"]).status_code == 200  # its own, for contrast
    assert client.get(f"/evidence/?unit={world.unit_a.pk}").status_code == 404
    assert client.get(f"/evidence/enrollments/{world.enrollment_a.pk}/").status_code == 404
    leaf = world.node("1.1.3").pk
    tampered = [
        # A's evidence into A's enrollment.
        {"evidence": files["docx"].pk, "enrollment": world.enrollment_a.pk, "node": leaf},
        # A's evidence into B's own enrollment.
        {"evidence": files["docx"].pk, "enrollment": world.enrollment_b.pk, "node": leaf},
        # B's evidence into A's enrollment.
        {"evidence": files["pdf_b"].pk, "enrollment": world.enrollment_a.pk, "node": leaf},
    ]
    for data in tampered:
        assert client.post("/evidence/link/", data).status_code == 404
        assert client.post("/evidence/link/", data, HTTP_HX_REQUEST="true").status_code == 404
    a_link = {
        "evidence": files["pdf"].pk,
        "enrollment": world.enrollment_a.pk,
        "node": world.node("1.1.1").pk,
    }
    assert client.post("/evidence/unlink/", a_link).status_code == 404
    assert (
        client.post(
            "/evidence/unlink/", {**a_link, "enrollment": world.enrollment_b.pk}
        ).status_code
        == 404
    )
    assert client.post(f"/evidence/{files['docx'].pk}/delete/").status_code == 404
    # Uploading into A's library with a tampered unit id.
    response = client.post(
        "/evidence/upload/",
        {"unit": world.unit_a.pk, "file": upload_of("x.pdf", make_pdf(b"%x\n"))},
    )
    assert response.status_code == 404
    assert Evidence.objects.filter(unit=world.unit_a).count() == 3
    assert EvidenceLink.objects.filter(enrollment=world.enrollment_a).count() == 2
    assert EvidenceLink.objects.filter(enrollment=world.enrollment_b).count() == 1
    assert Evidence.objects.filter(pk=files["docx"].pk).exists()


def test_committee_admin_downloads_any_unit_of_its_committee(world, files):
    client = logged_in(world.committee_admin)
    for key in ("pdf", "docx", "pdf_b"):
        assert _download(client, files[key]).status_code == 200
    assert client.get(f"/evidence/enrollments/{world.enrollment_a.pk}/").status_code == 200


def test_assigned_reviewer_downloads_linked_evidence_only(world, files):
    client = logged_in(world.reviewer)
    assert _download(client, files["pdf"]).status_code == 200
    assert _download(client, files["png"], inline=True).status_code == 200
    # Not linked to the assigned enrollment: not part of what the reviewer reviews.
    assert _download(client, files["docx"]).status_code == 404
    # B's files belong to an enrollment assigned to another group.
    assert _download(client, files["pdf_b"]).status_code == 404
    page = client.get(f"/evidence/enrollments/{world.enrollment_a.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "自评报告.pdf" in html
    assert "/evidence/link/" not in html  # read only
    assert client.get(f"/evidence/enrollments/{world.enrollment_b.pk}/").status_code == 404


def test_unassigned_reviewer_gets_404(world, files):
    client = logged_in(world.other_reviewer)
    for key in ("pdf", "png", "docx"):
        assert _download(client, files[key]).status_code == 404
    assert _download(client, files["pdf_b"]).status_code == 200


# --- the owner's actions through the views -------------------------------------------------


def test_upload_view_accepts_dedupes_and_refuses_with_a_message(world, media):
    client = logged_in(world.admin_a)
    data = {"unit": world.unit_a.pk, "file": upload_of("自评报告.pdf", make_pdf())}
    response = client.post("/evidence/upload/", data, follow=True)
    assert response.status_code == 200
    assert "已上传「自评报告.pdf」" in response.content.decode()
    again = client.post(
        "/evidence/upload/",
        {"unit": world.unit_a.pk, "file": upload_of("副本.pdf", make_pdf())},
        follow=True,
    )
    assert "此前已上传" in again.content.decode()
    assert Evidence.objects.filter(unit=world.unit_a).count() == 1
    assert len(stored_files(media)) == 1
    bad = client.post(
        "/evidence/upload/", {"unit": world.unit_a.pk, "file": upload_of("截图.pdf", make_png())}
    )
    assert bad.status_code == 200
    assert "文件内容与扩展名不符" in bad.content.decode()
    polyglot = client.post(
        "/evidence/upload/",
        {"unit": world.unit_a.pk, "file": upload_of("截图.png", make_png(b"<html><script>"))},
    )
    assert "网页或脚本" in polyglot.content.decode()
    svg = client.post(
        "/evidence/upload/",
        {"unit": world.unit_a.pk, "file": upload_of("logo.svg", b"<svg/>")},
    )
    assert "不支持的文件类型" in svg.content.decode()
    assert Evidence.objects.filter(unit=world.unit_a).count() == 1
    assert len(stored_files(media)) == 1


def test_the_duplicate_upload_message_gives_the_committees_time(world, media):
    """The first upload's time, in Asia/Shanghai (a UTC time of day would be 8 hours off)."""
    client = logged_in(world.admin_a)
    data = {"unit": world.unit_a.pk, "file": upload_of("自评报告.pdf", make_pdf())}
    client.post("/evidence/upload/", data)
    first = Evidence.objects.get(unit=world.unit_a)
    at = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)  # 07:30 the next day there
    Evidence.objects.filter(pk=first.pk).update(uploaded_at=at)
    again = client.post(
        "/evidence/upload/",
        {"unit": world.unit_a.pk, "file": upload_of("副本.pdf", make_pdf())},
        follow=True,
    )
    body = again.content.decode()
    assert "2026-03-02 07:30" in body and "2026-03-01 23:30" not in body


def test_upload_limit_follows_the_campaign_setting(world):
    world.campaign.evidence_max_mb = 1
    world.campaign.save()
    client = logged_in(world.admin_a)
    big = make_pdf(b"%" + b"x" * (1024 * 1024 + 10) + b"\n")
    response = client.post(
        "/evidence/upload/", {"unit": world.unit_a.pk, "file": upload_of("大.pdf", big)}
    )
    assert "文件过大：上限为 1 MB" in response.content.decode()
    assert not Evidence.objects.exists()


def test_link_and_unlink_through_htmx_and_plain_posts(world, files):
    client = logged_in(world.admin_a)
    node = world.node("1.1.3")
    data = {"evidence": files["docx"].pk, "enrollment": world.enrollment_a.pk, "node": node.pk}
    partial = client.post("/evidence/link/", data, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in html
    assert f'id="evidence-{world.enrollment_a.pk}-{node.pk}"' in html
    assert "工作总结.docx" in html and "/evidence/unlink/" in html
    assert EvidenceLink.objects.filter(evidence=files["docx"], node=node).exists()
    plain = client.post("/evidence/unlink/", data)
    assert plain.status_code == 302
    assert plain["Location"] == f"/evidence/enrollments/{world.enrollment_a.pk}/"
    assert not EvidenceLink.objects.filter(evidence=files["docx"], node=node).exists()
    # An off-site "next" is ignored.
    evil = client.post("/evidence/link/", {**data, "next": "https://evil.example/"})
    assert evil["Location"] == f"/evidence/enrollments/{world.enrollment_a.pk}/"


def test_link_errors_are_shown_in_the_partial(world, files):
    world.campaign.evidence_cap_per_indicator = 1
    world.campaign.save()
    client = logged_in(world.admin_a)
    node = world.node("1.1.1")  # already holds the PDF
    data = {"evidence": files["docx"].pk, "enrollment": world.enrollment_a.pk, "node": node.pk}
    response = client.post("/evidence/link/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "最多可关联 1 份" in response.content.decode()
    parent = world.node("1.1")
    response = client.post("/evidence/link/", {**data, "node": parent.pk}, HTTP_HX_REQUEST="true")
    assert "末级指标" in response.content.decode()
    # A node of another indicator version is not even found.
    other = IndicatorNode.objects.exclude(version=world.version).first()
    assert client.post("/evidence/link/", {**data, "node": other.pk}).status_code == 404
    assert not EvidenceLink.objects.filter(evidence=files["docx"]).exists()


def test_locked_enrollment_page_is_read_only_and_posts_are_refused(world, files):
    world.enrollment_a.state = "submitted"
    world.enrollment_a.save()
    client = logged_in(world.admin_a)
    page = client.get(f"/evidence/enrollments/{world.enrollment_a.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "已锁定" in html and "/evidence/link/" not in html
    data = {
        "evidence": files["docx"].pk,
        "enrollment": world.enrollment_a.pk,
        "node": world.node("1.1.3").pk,
    }
    response = client.post("/evidence/link/", data, follow=True)
    assert "已锁定" in response.content.decode()
    assert not EvidenceLink.objects.filter(evidence=files["docx"]).exists()


def test_enrollment_page_shows_every_leaf_and_what_is_linked(world, files):
    # A required leaf without evidence is called out (the built-in node is changed in place
    # with an update: published nodes refuse save()).
    IndicatorNode.objects.filter(pk=world.node("1.1.3").pk).update(evidence_required=True)
    IndicatorNode.objects.filter(pk=world.node("1.1.1").pk).update(evidence_required=True)
    client = logged_in(world.admin_a)
    response = client.get(f"/evidence/enrollments/{world.enrollment_a.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="node-evidence"') == len(
        [n for n in world.version.nodes.all() if not n.children.exists()]
    )
    assert "自评报告.pdf" in html and "现场照片.png" in html
    # the unlinked file is offered when a leaf asks for the files, not in every leaf
    assert "工作总结.docx" not in html and "关联佐证材料…" in html
    assert "还有 1 项须附佐证的指标尚未关联材料" in html
    assert "须附佐证，尚未关联" in html
    leaf = world.node("1.1.3")
    url = f"/evidence/choose/?enrollment={world.enrollment_a.pk}&node={leaf.pk}"
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "工作总结.docx" in partial and "<html" not in partial
    page = client.get(url).content.decode()  # without JavaScript: a page of its own
    assert "工作总结.docx" in page and "<html" in page and leaf.title in page


def test_choosing_files_is_for_the_units_admin_only(world, files):
    """The files of unit A to link: its 联络员 only; another unit's admin, a reviewer and an
    anonymous visitor get nothing of them."""
    leaf = world.node("1.1.3")
    url = f"/evidence/choose/?enrollment={world.enrollment_a.pk}&node={leaf.pk}"
    assert "工作总结.docx" in logged_in(world.admin_a).get(url).content.decode()
    for user in (world.admin_b, world.reviewer):
        response = logged_in(user).get(url)
        assert response.status_code == 404 and "工作总结.docx" not in response.content.decode()
    assert logged_in(None).get(url).status_code == 302


def test_the_self_evaluation_page_does_not_grow_with_the_units_files(world, files, media):
    """53 leaves × 200 files used to put every file into every leaf: now the page carries the
    files of no leaf, and its queries are the same with 3 files or 40."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(world.admin_a)
    url = f"/reviews/self/{world.enrollment_a.pk}/"
    client.get(url)

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            body = client.get(url).content.decode()
        return len(captured), body.count("<option")

    few = measure()
    for n in range(37):
        Evidence.objects.create(
            unit=world.unit_a,
            original_name=f"文件{n}.pdf",
            stored_name=f"x{n}.pdf",
            kind="pdf",
            size=10,
            sha256=f"{n:064d}",
            uploaded_by=world.admin_a,
        )
    many = measure()
    assert few == many, (few, many)


def test_delete_view_removes_only_unlinked_files(
    world, files, media, django_capture_on_commit_callbacks
):
    client = logged_in(world.admin_a)
    response = client.post(f"/evidence/{files['pdf'].pk}/delete/", follow=True)
    assert "仍关联着考评指标" in response.content.decode()
    assert Evidence.objects.filter(pk=files["pdf"].pk).exists()
    path = path_of(files["docx"].stored_name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/evidence/{files['docx'].pk}/delete/")
    assert response.status_code == 302
    assert not Evidence.objects.filter(pk=files["docx"].pk).exists()
    assert not path.exists()


def test_anonymous_users_are_sent_to_login(world, files, client):
    response = client.get(f"/evidence/{files['pdf'].pk}/download/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
