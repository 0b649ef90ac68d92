"""Content checks of evidence uploads.

Decision documented here: an office file whose archive holds an HTML (or SVG) part is accepted
when its structure is valid. Word and Excel legitimately carry such parts (altChunk imports,
SVG icons), nothing unpacks or renders a part, and the file itself is only ever served as an
attachment with nosniff and a sandboxing CSP. What is refused is markup in the raw bytes a
browser would sniff: the first KB of any file, and anywhere in an image or a PDF (polyglots).
"""

# The fixtures are imported from evidence_fixtures and requested by name.

from __future__ import annotations

import hashlib
import os
import struct
import zipfile

import pytest

from mofan.core import uploads
from mofan.core.uploads import UploadRejected
from mofan.evidence import checks as ev
from tests.evaluations.evidence_fixtures import (  # noqa: F401 (fixtures)
    SAMPLES,
    make_docx,
    make_jpeg,
    make_pdf,
    make_png,
    make_xlsx,
    make_zip,
    media,
    stored_files,
    upload_of,
    world,
)

# --- content checks -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_allowed_type_is_accepted_from_a_real_minimal_file(kind):
    name, build = SAMPLES[kind]
    content = build()
    checked = ev.check_evidence(upload_of(name, content), max_mb=20)
    assert checked.kind == kind
    assert checked.size == len(content)
    assert checked.content == content
    assert checked.name == name
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_jpeg_extension_is_the_jpg_kind_and_upper_case_extensions_are_fine():
    assert ev.check_evidence(upload_of("照片.JPEG", make_jpeg()), max_mb=1).kind == "jpg"
    assert ev.check_evidence(upload_of("报告.PDF", make_pdf()), max_mb=1).kind == "pdf"


@pytest.mark.parametrize(
    "name, content",
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100),
        ("page.html", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("noextension", make_pdf()),
        ("report.pdf.exe", make_pdf()),
    ],
)
def test_types_outside_the_list_are_refused(name, content):
    with pytest.raises(UploadRejected, match="不支持的文件类型"):
        ev.check_evidence(upload_of(name, content), max_mb=20)


def test_old_office_formats_get_a_clear_message():
    with pytest.raises(UploadRejected, match=r"\.docx 或 \.xlsx"):
        ev.check_evidence(upload_of("总结.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), max_mb=20)
    # An encrypted .docx is an OLE container, not a zip.
    with pytest.raises(UploadRejected, match="加密"):
        ev.check_evidence(
            upload_of("总结.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), max_mb=20
        )


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("报告.pdf", make_png(), "内容是 PNG 图片，扩展名却是 .pdf"),
        ("照片.png", make_jpeg(), "内容是 JPG 图片，扩展名却是 .png"),
        ("台账.docx", make_xlsx(), "内容是 Excel（.xlsx），扩展名却是 .docx"),
        ("总结.xlsx", make_docx(), "内容是 Word（.docx），扩展名却是 .xlsx"),
        ("文件.ofd", make_pdf(), "内容是 PDF，扩展名却是 .ofd"),
    ],
)
def test_content_must_match_the_extension(name, content, message):
    with pytest.raises(UploadRejected, match=message):
        ev.check_evidence(upload_of(name, content), max_mb=20)


@pytest.mark.parametrize(
    "name, content",
    [
        ("报告.pdf", b"just some text, not a PDF"),
        ("照片.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20),  # signature without IHDR
        ("照片.jpg", b"GIF89a..."),
        ("台账.xlsx", make_zip({"xl/workbook.xml": b"<workbook/>"})),  # no [Content_Types].xml
        ("文件.ofd", make_zip({"Doc_0/Document.xml": b"<x/>"})),  # no OFD.xml
        ("总结.docx", b"PK\x03\x04 truncated"),
    ],
)
def test_content_that_is_not_the_claimed_type_is_refused(name, content):
    with pytest.raises(UploadRejected, match=r"不是有效的|已损坏"):
        ev.check_evidence(upload_of(name, content), max_mb=20)


def test_oversized_and_empty_files_are_refused():
    big = make_pdf(b"%" + b"x" * (1024 * 1024) + b"\n")
    with pytest.raises(UploadRejected, match="文件过大：上限为 1 MB"):
        ev.check_evidence(upload_of("大文件.pdf", big), max_mb=1)
    assert ev.check_evidence(upload_of("大文件.pdf", big), max_mb=2).size == len(big)
    with pytest.raises(UploadRejected, match="空的"):
        ev.check_evidence(upload_of("空.pdf", b""), max_mb=1)


def test_zip_bomb_is_refused_before_it_is_unpacked():
    # 20 MB of zeros compresses to ~20 KB: a ratio of about a thousand to one.
    bomb = make_xlsx({"xl/worksheets/sheet1.xml": b"\0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    with pytest.raises(UploadRejected, match="压缩炸弹"):
        ev.check_evidence(upload_of("台账.xlsx", bomb), max_mb=20)


def test_unpacked_total_is_bounded(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ARCHIVE_UNPACKED", 64 * 1024)
    parts = {f"xl/media/image{i}.bin": os.urandom(20 * 1024) for i in range(4)}
    with pytest.raises(UploadRejected, match="解压后过大"):
        ev.check_evidence(upload_of("台账.xlsx", make_xlsx(parts)), max_mb=20)


def test_archive_that_lies_about_its_sizes_is_refused():
    content = bytearray(make_xlsx({"xl/sharedStrings.xml": b"<sst>" + b"a" * 50_000 + b"</sst>"}))
    # Shrink every declared uncompressed size in the central directory to 10 bytes.
    position = content.find(b"PK\x01\x02")
    while position != -1:
        content[position + 24 : position + 28] = struct.pack("<I", 10)
        position = content.find(b"PK\x01\x02", position + 4)
    with pytest.raises(UploadRejected, match="损坏"):
        ev.check_evidence(upload_of("台账.xlsx", bytes(content)), max_mb=20)


def test_too_many_entries_are_refused():
    parts = {f"xl/worksheets/sheet{i}.xml": b"<x/>" for i in range(uploads.MAX_ARCHIVE_ENTRIES)}
    with pytest.raises(UploadRejected, match="条目超过"):
        ev.check_evidence(upload_of("台账.xlsx", make_xlsx(parts)), max_mb=20)


def test_encrypted_zip_entries_are_refused():
    content = bytearray(make_docx())
    position = content.find(b"PK\x01\x02")
    content[position + 8] |= 0x1  # the "encrypted" flag in the central directory
    with pytest.raises(UploadRejected, match="加密"):
        ev.check_evidence(upload_of("总结.docx", bytes(content)), max_mb=20)


@pytest.mark.parametrize(
    "name, content",
    [
        ("截图.png", make_png(b"<html><script>alert(document.cookie)</script></html>")),
        ("截图.png", make_png(b"\0" * 5000 + b"<SVG onload=alert(1)>")),  # beyond the first KB
        ("照片.jpg", make_jpeg(b"\0" * 5000 + b"<!DOCTYPE HTML><p>")),
        ("照片.jpg", make_jpeg(b"<?xml version='1.0'?><svg/>")),
        ("报告.pdf", make_pdf(b"<html><body>")),
        (
            "台账.xlsx",
            make_zip(
                {
                    "[Content_Types].xml": b"<Types/>",
                    "a.html": b"<html><script>x</script></html>",
                    "xl/workbook.xml": b"<workbook/>",
                },
                compression=zipfile.ZIP_STORED,
            ),
        ),
    ],
)
def test_polyglots_with_markup_are_refused(name, content):
    with pytest.raises(UploadRejected, match="网页或脚本"):
        ev.check_evidence(upload_of(name, content), max_mb=20)


def test_pdf_markup_is_looked_for_in_the_whole_file_but_xml_metadata_is_fine():
    # Markup past the first kilobyte is refused too (tests/evaluations/
    # test_evidence_active_content.py has more); XMP metadata is XML by design.
    content = make_pdf(b"%" + b" " * 2000 + b"\n% <script> in a comment\n")
    with pytest.raises(UploadRejected, match="网页或脚本"):
        ev.check_evidence(upload_of("报告.pdf", content), max_mb=20)
    xmp = make_pdf(b"<?xml version='1.0'?>")
    assert ev.check_evidence(upload_of("报告.pdf", xmp), max_mb=20).kind == "pdf"


def test_office_file_with_an_html_part_is_accepted_when_its_structure_is_valid():
    content = make_xlsx({"xl/extra/page.html": b"<html><script>alert(1)</script></html>"})
    assert ev.check_evidence(upload_of("台账.xlsx", content), max_mb=20).kind == "xlsx"
    # ...and the same for a Word file with an SVG icon.
    docx = make_docx(**{"word/media/image1.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>"})
    assert ev.check_evidence(upload_of("总结.docx", docx), max_mb=20).kind == "docx"


def test_office_files_with_macros_are_refused():
    content = make_docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"})
    with pytest.raises(UploadRejected, match="宏代码"):
        ev.check_evidence(upload_of("总结.docx", content), max_mb=20)


def test_file_names_are_cleaned():
    assert ev.clean_name("C:\\Users\\甲\\自评\x00报告.pdf") == "自评报告.pdf"
    assert ev.clean_name("../../etc/passwd.pdf") == "passwd.pdf"
    long = "长" * 300 + ".pdf"
    cleaned = ev.clean_name(long)
    assert len(cleaned) == 255 and cleaned.endswith(".pdf")
