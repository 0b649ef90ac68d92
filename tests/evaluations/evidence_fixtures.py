"""Fixtures and sample files for the evidence store tests.

Kept out of conftest.py (other evaluation tests own that file); the evidence test modules import
what they use. Every sample file is built here from bytes, the way a real one starts.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import User
from mofan.campaigns.models import Campaign, Enrollment
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from mofan.organizations.models import Unit
from tests.world import persona, review_group

# --- sample files -----------------------------------------------------------------------------


def make_pdf(extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
        + extra
        + b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def make_png(extra: bytes = b"") -> bytes:
    """A real 1×1 grey PNG: signature, IHDR, IDAT, IEND (and whatever `extra` appends)."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
        + extra
    )


def make_jpeg(extra: bytes = b"") -> bytes:
    """SOI, a JFIF APP0 segment, a comment, EOI."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    comment = b"mofan test"
    return (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", len(app0) + 2)
        + app0
        + b"\xff\xfe"
        + struct.pack(">H", len(comment) + 2)
        + comment
        + extra
        + b"\xff\xd9"
    )


CONTENT_TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def make_zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_docx(**more: bytes) -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": CONTENT_TYPES_XML,
            "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="urn:w">'
            b"<w:body><w:p><w:r><w:t>\xe8\x87\xaa\xe8\xaf\x84</w:t></w:r></w:p></w:body>"
            b"</w:document>",
            **more,
        }
    )


def make_xlsx(entries: dict[str, bytes] | None = None) -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": CONTENT_TYPES_XML,
            "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="urn:x"><sheets/></workbook>',
            **(entries or {}),
        }
    )


def make_ofd() -> bytes:
    return make_zip(
        {
            "OFD.xml": b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0">'
            b"<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
            b"</ofd:DocBody></ofd:OFD>",
            "Doc_0/Document.xml": b'<?xml version="1.0"?><ofd:Document xmlns:ofd="x"/>',
        }
    )


SAMPLES = {
    "pdf": ("自评报告.pdf", make_pdf),
    "docx": ("工作总结.docx", make_docx),
    "xlsx": ("台账.xlsx", make_xlsx),
    "jpg": ("现场照片.jpg", make_jpeg),
    "png": ("截图.png", make_png),
    "ofd": ("红头文件.ofd", make_ofd),
}


def upload_of(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- campaign and personas ------------------------------------------------------------------


@dataclass
class EvidenceWorld:
    committee: object
    unit_a: Unit
    unit_b: Unit
    campaign: Campaign
    enrollment_a: Enrollment
    enrollment_b: Enrollment
    version: IndicatorVersion
    admin_a: User
    leader_a: User
    admin_b: User
    committee_admin: User
    reviewer: User
    other_reviewer: User

    def actor(self, user: User) -> Actor:
        return actor_for(user)

    def node(self, code: str) -> IndicatorNode:
        return IndicatorNode.objects.get(version=self.version, code=code)


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a temporary MEDIA_ROOT."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def world(db, media, committee, unit_a, unit_b) -> EvidenceWorld:
    call_command("load_templates", stdout=io.StringIO())
    version = IndicatorVersion.objects.get(system__committee=None, system__slug="yueqing-2020")
    assert version.is_published
    campaign = Campaign.objects.create(
        committee=committee, name="2020年度模范机关创建考评", year=2020, indicator_version=version
    )
    enrollment_a = Enrollment.objects.create(campaign=campaign, unit=unit_a)
    enrollment_b = Enrollment.objects.create(campaign=campaign, unit=unit_b)
    reviewer = persona("reviewer", committee=committee, full_name="评审甲")
    other_reviewer = persona("reviewer", committee=committee, full_name="评审乙")
    review_group(campaign, "第一评审组", reviewer, enrollments=(enrollment_a,))
    review_group(campaign, "第二评审组", other_reviewer, enrollments=(enrollment_b,))
    where = {"committee": committee, "unit_a": unit_a, "unit_b": unit_b}
    return EvidenceWorld(
        committee=committee,
        unit_a=unit_a,
        unit_b=unit_b,
        campaign=campaign,
        enrollment_a=enrollment_a,
        enrollment_b=enrollment_b,
        version=version,
        admin_a=persona("unit_admin", **where, full_name="甲联络员"),
        leader_a=persona("unit_leader", **where, full_name="甲书记"),
        admin_b=persona("outsider", **where, full_name="乙联络员"),
        committee_admin=persona("committee_admin", **where),
        reviewer=reviewer,
        other_reviewer=other_reviewer,
    )


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())
